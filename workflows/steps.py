"""The lifecycle's steps as thin functions: each opens its own transaction, calls a
:mod:`reporting` (or :mod:`signing`, :mod:`outbox`) service and passes ids on.

Prefect tasks wrap these one to one (``workflows/*`` flow modules); the bench and the tests
call them directly too. Inputs are ids and small pydantic models; every step is idempotent,
so a retried task does no harm. No SQL and no wording here: the rules live in the services.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.orm import Session

from registry import db, documents
from registry.calendar import WorkingCalendar
from registry.lookup import find_by_key, get_by_key
from registry.models import Document, DocumentStatus, Organization, Person
from reporting import aggregation, drafting, instructions, reminders, reports, requests
from reporting.guidance import GuidanceIn, register_guidance
from reporting.instructions import InstructionIn
from workflows import issuance

__all__ = ["CycleSettings", "DEFAULT_SETTINGS", "GuidanceIn", "InstructionIn"]


class CycleSettings(BaseModel):
    """What a cycle needs from the configuration (small, passed as a flow parameter)."""

    files_dir: str = "var/files"
    channels: list[str] = ["email"]  # documents; notices take those that carry text (reminders)
    roll_forward: bool = True
    reminder: reminders.ReminderPolicy = reminders.ReminderPolicy()
    keys_dir: str | None = None  # signer.p12 + organization.p12, unless tools are installed
    soffice: str = "soffice"
    clerk_key: str | None = None  # who issues; default: the issuer's văn thư


DEFAULT_SETTINGS = CycleSettings()  # flows' default parameter (one shared, never mutated)


def calendar() -> WorkingCalendar:
    """The working-day calendar (shipped adjustments), shared by the steps."""
    return requests.working_calendar()


def _person(session: Session, key: str | None) -> Person | None:
    return find_by_key(session=session, model=Person, key=key) if key is not None else None


def receive_guidance(guidance: GuidanceIn) -> int:
    """Register the guidance and its duties (idempotent)."""
    with db.transaction() as s:
        return register_guidance(session=s, guidance=guidance)


def draft_instruction(instr: InstructionIn, settings: CycleSettings | None = None) -> int:
    """Draft the instruction citing the guidance and submit it to its signer: it then awaits
    approval."""
    settings = settings or CycleSettings()
    with db.transaction() as s:
        return instructions.draft(session=s, instruction=instr,
                                  files_root=Path(settings.files_dir))


def record_decision(document_id: int, approver_key: str, approve: bool = True,
                    comment: str | None = None, preauthorised: bool = False) -> str:
    """Record a reviewer's decision (the data that starts issuing); returns the new status:
    "signed" once the competent person approved and signed, "returned" on a return."""
    with db.transaction() as s:
        approver = get_by_key(session=s, model=Person, key=approver_key)
        doc = drafting.decide(session=s, document_id=document_id, approver=approver,
                              approve=approve, comment=comment, preauthorised=preauthorised)
        return doc.status.value


def status_of(document_id: int) -> str:
    """The document's status."""
    with db.transaction() as s:
        return documents.get(session=s, document_id=document_id).status.value


def issue(document_id: int, on: date, settings: CycleSettings) -> str | None:
    """Issue a signed document (number, .docx, PDF signed by the person then the organisation,
    deliveries); its number, or None while it awaits approval or signature."""
    from outbox.enqueue import enqueue_document

    def on_issued(session: Session, doc: Document) -> None:
        enqueue_document(session=session, document_id=doc.id, channels=settings.channels)

    with db.transaction() as s:
        doc = documents.get(session=s, document_id=document_id)
        if doc.status is DocumentStatus.ISSUED:
            return doc.number_symbol
        if doc.status is not DocumentStatus.SIGNED:
            return None
    tools = issuance.current(keys_dir=settings.keys_dir, soffice=settings.soffice)
    with db.transaction() as s:
        doc = drafting.issue_signed(session=s, document_id=document_id, on=on, tools=tools,
                                    files_root=Path(settings.files_dir),
                                    clerk=_person(s, settings.clerk_key), on_issued=on_issued)
        return doc.number_symbol


def reconcile(on: date, settings: CycleSettings) -> list[str]:
    """Issue everything signed but not issued (the scheduled reconciler)."""
    with db.transaction() as s:
        ids = drafting.signed_not_issued(session=s)
    return [n for n in (issue(i, on, settings) for i in ids) if n]


def instruction_plan(instruction_id: int, period_keys: Sequence[str] | None
                     ) -> list[tuple[int, str, list[int]]]:
    """(duty id, period, unit ids) to open for an issued instruction."""
    with db.transaction() as s:
        return instructions.plan(session=s, instruction_id=instruction_id,
                                 period_keys=period_keys, calendar=calendar())


def open_requests_chunk(duty_id: int, period_key: str, unit_ids: list[int],
                        roll_forward: bool = True) -> int:
    """Open the requests of one chunk of units (idempotent)."""
    with db.transaction() as s:
        return requests.open_requests(session=s, duty_id=duty_id, unit_ids=unit_ids,
                                      period_key=period_key, calendar=calendar(),
                                      roll_forward=roll_forward)


def request_ids(duty_id: int, period_key: str) -> list[tuple[int, str]]:
    """(request id, unit key) of one duty and period."""
    with db.transaction() as s:
        return requests.request_ids(session=s, duty_id=duty_id, period_key=period_key)


def duties_of_instruction(instruction_id: int) -> list[int]:
    """Duty ids an instruction passed on."""
    with db.transaction() as s:
        return instructions.duties_of_instruction(session=s, instruction_id=instruction_id)


def send_notices(duty_id: int, period_key: str, stage: str, today: date,
                 settings: CycleSettings, chunk: list[int] | None = None) -> int:
    """Notice or escalation stage: claim the pending requests and enqueue their notices in
    one transaction (the relay delivers them); returns how many requests were claimed."""
    with db.transaction() as s:
        return reminders.send_notices(
            session=s, duty_id=duty_id, period_key=period_key, stage=stage, today=today,
            calendar=calendar(), policy=settings.reminder, channels=settings.channels,
            request_ids=chunk)


def pending_reminders(duty_id: int, period_key: str, stage: str, today: date,
                      settings: CycleSettings) -> list[int]:
    """Request ids for which ``stage`` is due and not yet sent."""
    with db.transaction() as s:
        return reminders.pending(session=s, duty_id=duty_id, period_key=period_key, stage=stage,
                                 today=today, calendar=calendar(), policy=settings.reminder)


def draft_don_doc(duty_id: int, period_key: str, today: date, signer_key: str,
                  settings: CycleSettings) -> int | None:
    """Claim the late units and draft one numbered đôn đốc công văn listing them; its id, or
    None when nobody is late or everybody late was already reminded."""
    with db.transaction() as s:
        return reminders.draft_don_doc(
            session=s, duty_id=duty_id, period_key=period_key, today=today,
            signer=get_by_key(session=s, model=Person, key=signer_key), calendar=calendar(),
            policy=settings.reminder, files_root=Path(settings.files_dir))


def aggregate_and_draft(duty_id: int, period_key: str, signer_key: str,
                        superior_key: str, settings: CycleSettings | None = None) -> int:
    """Aggregate the period and draft the Báo cáo to the superior, submitted for approval.

    Idempotent: a period already reported returns its report.
    """
    settings = settings or CycleSettings()
    with db.transaction() as s:
        return reports.draft_report(
            session=s, duty_id=duty_id, period_key=period_key,
            signer=get_by_key(session=s, model=Person, key=signer_key),
            superior=get_by_key(session=s, model=Organization, key=superior_key),
            files_root=Path(settings.files_dir))


def figures(duty_id: int, period_key: str) -> aggregation.Figures:
    """The aggregated figures of a period (for summaries)."""
    with db.transaction() as s:
        return reports.figures(session=s, duty_id=duty_id, period_key=period_key)


def default_dates(period_key: str, duty_id: int) -> dict[str, date]:
    """Key dates of a period: due, notice day, the day after due, escalation day."""
    with db.transaction() as s:
        return requests.key_dates(session=s, duty_id=duty_id, period_key=period_key,
                                  calendar=calendar())
