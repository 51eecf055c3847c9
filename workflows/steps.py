"""The lifecycle's steps as plain functions, each in its own transaction.

Prefect tasks wrap these one to one (``workflows/*`` flow modules); the bench
and the tests call them directly too. Inputs are ids and small pydantic
models; every step is idempotent, so a retried task does no harm.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry import db, documents
from registry.calendar import Period, WorkingCalendar, due_date, periods_for, policy_from_dict
from registry.lookup import find_by_key
from registry.models import (
    Document,
    DocumentRecipient,
    DocumentStatus,
    Person,
    Reminder,
    ReportingDuty,
    ReportRequest,
)
from workflows import aggregation, drafting, issuance, reminders, requests
from workflows.forms import form_of
from workflows.guidance import GuidanceIn, org_by_key, register_guidance


class CycleSettings(BaseModel):
    """What a cycle needs from the configuration (small, passed as a flow parameter)."""

    files_dir: str = "var/files"
    channels: list[str] = ["email"]  # documents; notices take those that carry text (reminders)
    roll_forward: bool = True
    reminder: reminders.ReminderPolicy = reminders.ReminderPolicy()
    keys_dir: str | None = None  # signer.p12 + organization.p12, unless tools are installed
    soffice: str = "soffice"
    clerk_key: str | None = None  # who issues; default: the issuer's văn thư


class InstructionIn(BaseModel):
    """The instruction công văn: who issues it, to whom, citing which guidance."""

    guidance_id: int
    issuer_key: str
    drafting_unit: str
    clerk_key: str | None = None
    signer_key: str
    subject: str
    body: str
    recipient_lines: list[str]  # "Kính gửi" as printed
    unit_keys: list[str]  # every instructed unit (deliveries)
    reporting_unit_keys: list[str] | None = None  # units that owe reports (default: all)
    distribution: list[str] = []
    archive: str | None = None


DEFAULT_SETTINGS = CycleSettings()  # flows' default parameter (one shared, never mutated)


@lru_cache(maxsize=1)
def calendar() -> WorkingCalendar:
    """The working-day calendar (shipped adjustments), shared by the steps."""
    return WorkingCalendar()


def _person(session: Session, key: str | None) -> Person | None:
    if key is None:
        return None
    return find_by_key(session=session, model=Person, key=key)


def receive_guidance(guidance: GuidanceIn) -> int:
    """Register the guidance and its duties (idempotent)."""
    with db.transaction() as s:
        return register_guidance(session=s, guidance=guidance)


def draft_instruction(instr: InstructionIn, settings: CycleSettings | None = None) -> int:
    """Draft the instruction citing the guidance and submit it to its signer: it then awaits
    approval."""
    settings = settings or CycleSettings()
    with db.transaction() as s:
        duties = list(s.scalars(select(ReportingDuty).where(
            ReportingDuty.source_document_id == instr.guidance_id)))
        existing = next((d.instruction_document_id for d in duties if d.instruction_document_id),
                        None)
        if existing is not None:
            return existing
        issuer = org_by_key(s, instr.issuer_key)
        signer = _person(s, instr.signer_key)
        assert signer is not None, f"không có người ký '{instr.signer_key}'"
        spec = drafting.base_spec(
            session=s, doc_type="cong_van", issuer=issuer, signer=signer, subject=instr.subject,
            body=instr.body, recipients=instr.recipient_lines, distribution=instr.distribution,
            drafting_unit=instr.drafting_unit, archive=instr.archive)
        units = _units(s, instr.unit_keys)
        doc = drafting.create_draft(session=s, spec=spec, issuer=issuer, units=units,
                                    signer=signer, created_by=_person(s, instr.clerk_key))
        if instr.reporting_unit_keys is not None:
            # Units that get the instruction but owe no report are "cc" lines.
            owing = set(instr.reporting_unit_keys)
            for line in doc.recipients:
                line.kind = "to" if line.organization.key in owing else "cc"
        guidance = documents.get(session=s, document_id=instr.guidance_id)
        documents.link(session=s, source=doc, target=guidance, kind="cites")
        for duty in duties:
            duty.instruction_document_id = doc.id
        drafting.submit(session=s, document_id=doc.id, files_root=Path(settings.files_dir),
                        reviewers=[signer], signer=signer, actor=_person(s, instr.clerk_key))
        return doc.id


def _units(s: Session, keys: Sequence[str]) -> list[Any]:
    from registry.models import Organization

    rows = {o.key: o for o in s.scalars(select(Organization).where(Organization.key.in_(keys)))}
    missing = [k for k in keys if k not in rows]
    if missing:
        raise ValueError(f"không có đơn vị {missing[:5]} trong danh bạ")
    return [rows[k] for k in keys]


def record_decision(document_id: int, approver_key: str, approve: bool = True,
                    comment: str | None = None, preauthorised: bool = False) -> str:
    """Record a reviewer's decision (the data that starts issuing); returns the new status:
    "signed" once the competent person approved and signed, "returned" on a return."""
    with db.transaction() as s:
        approver = _person(s, approver_key)
        assert approver is not None, f"không có người duyệt '{approver_key}'"
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
    """(duty id, period, unit ids) to open for an issued instruction.

    Without ``period_keys``: every period of the issue year and the next whose due date is
    after the issue date.
    """
    with db.transaction() as s:
        doc = documents.get(session=s, document_id=instruction_id)
        unit_ids = [r for (r,) in s.execute(select(DocumentRecipient.organization_id).where(
            DocumentRecipient.document_id == instruction_id, DocumentRecipient.kind == "to",
            DocumentRecipient.organization_id.is_not(None)).order_by(DocumentRecipient.position))]
        plan = []
        for duty in s.scalars(select(ReportingDuty).where(
                ReportingDuty.instruction_document_id == instruction_id)):
            policy = policy_from_dict(duty.policy)
            keys = list(period_keys or [])
            if not keys and doc.issue_date is not None:
                for year in (doc.issue_date.year, doc.issue_date.year + 1):
                    keys += [p.key for p in periods_for(policy, year)
                             if due_date(policy, p, calendar=calendar()) > doc.issue_date]
            valid = [k for k in keys if _policy_has(policy, k)]
            plan += [(duty.id, k, list(dict.fromkeys(unit_ids))) for k in valid]
        return plan


def _policy_has(policy: Any, key: str) -> bool:
    period = Period.from_key(key)
    return any(p.key == key for p in periods_for(policy, period.year))


def open_requests_chunk(duty_id: int, period_key: str, unit_ids: list[int],
                        roll_forward: bool = True) -> int:
    """Open the requests of one chunk of units (idempotent)."""
    with db.transaction() as s:
        return requests.open_requests(session=s, duty_id=duty_id, unit_ids=unit_ids,
                                      period_key=period_key, calendar=calendar(),
                                      roll_forward=roll_forward)


def request_ids(duty_id: int, period_key: str) -> list[tuple[int, str]]:
    """(request id, unit key) of one duty and period."""
    from registry.models import Organization

    with db.transaction() as s:
        return [tuple(r) for r in s.execute(
            select(ReportRequest.id, Organization.key)
            .join(Organization, Organization.id == ReportRequest.unit_id)
            .where(ReportRequest.duty_id == duty_id, ReportRequest.period == period_key)
            .order_by(ReportRequest.id))]


def duties_of_instruction(instruction_id: int) -> list[int]:
    """Duty ids an instruction passed on."""
    with db.transaction() as s:
        return list(s.scalars(select(ReportingDuty.id).where(
            ReportingDuty.instruction_document_id == instruction_id).order_by(ReportingDuty.id)))


def send_notices(duty_id: int, period_key: str, stage: str, today: date,
                 settings: CycleSettings, chunk: list[int] | None = None) -> int:
    """Notice or escalation stage: claim the pending requests and enqueue their notices in
    one transaction (the relay delivers them); returns how many requests were claimed."""
    with db.transaction() as s:
        ids = chunk if chunk is not None else reminders.pending(
            session=s, duty_id=duty_id, period_key=period_key, stage=stage, today=today,
            calendar=calendar(), policy=settings.reminder)
        claimed = reminders.claim(session=s, request_ids=ids, stage=stage)
        reminders.enqueue_notices(session=s, request_ids=claimed, stage=stage,
                                  channels=settings.channels)
        return len(claimed)


def pending_reminders(duty_id: int, period_key: str, stage: str, today: date,
                      settings: CycleSettings) -> list[int]:
    """Request ids for which ``stage`` is due and not yet sent."""
    with db.transaction() as s:
        return reminders.pending(session=s, duty_id=duty_id, period_key=period_key, stage=stage,
                                 today=today, calendar=calendar(), policy=settings.reminder)


def draft_don_doc(duty_id: int, period_key: str, today: date, signer_key: str,
                  settings: CycleSettings) -> int | None:
    """Claim the late units and draft one numbered đôn đốc công văn listing them.

    Routed to the leader (submitted); pre-authorised, it is approved at once. Returns the
    draft's id, or None when nobody is late or everybody late was already reminded.
    """
    with db.transaction() as s:
        ids = reminders.pending(session=s, duty_id=duty_id, period_key=period_key,
                                stage="don_doc", today=today, calendar=calendar(),
                                policy=settings.reminder)
        claimed = reminders.claim(session=s, request_ids=ids, stage="don_doc")
        if not claimed:
            return None
        duty = s.get(ReportingDuty, duty_id)
        assert duty is not None and duty.instruction_document_id is not None
        instruction = documents.get(session=s, document_id=duty.instruction_document_id)
        issuer = instruction.issuer
        signer = _person(s, signer_key)
        assert issuer is not None and signer is not None
        late = list(s.scalars(select(ReportRequest).where(ReportRequest.id.in_(claimed))
                              .order_by(ReportRequest.unit_id)))
        period = Period.from_key(period_key)
        names = [aggregation._advisory_name(r.unit) if r.unit.kind == "advisory"
                 else drafting.one_line(r.unit.name) for r in late]
        due = late[0].due_date.strftime("%d/%m/%Y")
        body = "\n".join([
            f"Thực hiện Công văn số {instruction.number_symbol} ngày "
            f"{instruction.issue_date:%d/%m/%Y} của {issuer.name_in_text}, "
            f"đến hết ngày {due} (hạn gửi báo cáo {period.in_sentence}), các đơn vị sau chưa "
            "gửi báo cáo kết quả xây dựng, nhân rộng mô hình, điển hình tiên tiến kèm mẫu "
            "thống kê:",
            "", *[f"- {n};" for n in names], "",
            "Đề nghị các đơn vị trên khẩn trương gửi báo cáo theo đúng mẫu thống kê trước ngày "
            f"{calendar().add_working_days(today, 3):%d/%m/%Y} để tổng hợp, báo cáo cấp trên.",
        ])
        spec = drafting.base_spec(
            session=s, doc_type="cong_van", issuer=issuer, signer=signer,
            subject="V/v đôn đốc báo cáo kết quả xây dựng, nhân rộng mô hình "
                    f"{period.in_sentence}",
            body=body, recipients=names, distribution=["Như trên"],
            drafting_unit=instruction.drafting_unit)
        doc = drafting.create_draft(session=s, spec=spec, issuer=issuer,
                                    units=[r.unit for r in late], signer=signer)
        documents.link(session=s, source=doc, target=instruction, kind="reminds")
        s.execute(update(Reminder).where(Reminder.request_id.in_(claimed),
                                         Reminder.stage == "don_doc").values(document_id=doc.id))
        drafting.submit(session=s, document_id=doc.id, files_root=Path(settings.files_dir),
                        reviewers=[signer], signer=signer)
        if settings.reminder.preauthorise_don_doc:
            drafting.decide(session=s, document_id=doc.id, approver=signer, preauthorised=True)
        return doc.id


def aggregate_and_draft(duty_id: int, period_key: str, signer_key: str,
                        superior_key: str, settings: CycleSettings | None = None) -> int:
    """Aggregate the period and draft the Báo cáo to the superior, submitted for approval.

    Idempotent: a period already reported returns its report.
    """
    settings = settings or CycleSettings()
    with db.transaction() as s:
        existing = s.scalar(select(ReportRequest.report_document_id).where(
            ReportRequest.duty_id == duty_id, ReportRequest.period == period_key,
            ReportRequest.report_document_id.is_not(None)).limit(1))
        if existing is not None:
            return existing
        duty = s.get(ReportingDuty, duty_id)
        assert duty is not None and duty.instruction_document_id is not None
        form = form_of(duty.form)
        figures = aggregation.aggregate(session=s, duty_id=duty_id, period_key=period_key,
                                        form=form)
        instruction = documents.get(session=s, document_id=duty.instruction_document_id)
        guidance = documents.get(session=s, document_id=duty.source_document_id)
        issuer, signer = instruction.issuer, _person(s, signer_key)
        superior = org_by_key(s, superior_key)
        assert issuer is not None and signer is not None
        period = Period.from_key(period_key)
        body = aggregation.report_body(
            form=form, figures=figures,
            instruction_ref=f"Công văn số {instruction.number_symbol} ngày "
                            f"{instruction.issue_date:%d/%m/%Y}",
            guidance_ref=f"{_type_name(guidance.doc_type)} số {guidance.original_number} ngày "
                         f"{guidance.original_date:%d/%m/%Y} của "
                         f"{_sender_in_text(guidance)}",
            collector_name=issuer.name_in_text)
        spec = drafting.base_spec(
            session=s, doc_type="bao_cao", issuer=issuer, signer=signer,
            subject=f"Kết quả xây dựng, nhân rộng mô hình, điển hình tiên tiến trong phong trào "
                    f"toàn dân bảo vệ an ninh Tổ quốc {period.in_sentence}",
            body=body, distribution=[f"{superior.name_in_text} (b/c)"],
            drafting_unit=instruction.drafting_unit)
        doc = drafting.create_draft(session=s, spec=spec, issuer=issuer, units=[superior],
                                    signer=signer)
        documents.link(session=s, source=doc, target=instruction, kind="aggregates")
        documents.link(session=s, source=doc, target=guidance, kind="answers")
        s.execute(update(ReportRequest).where(
            ReportRequest.duty_id == duty_id, ReportRequest.period == period_key
        ).values(report_document_id=doc.id))
        drafting.submit(session=s, document_id=doc.id, files_root=Path(settings.files_dir),
                        reviewers=[signer], signer=signer)
        return doc.id


def _type_name(doc_type: str) -> str:
    from registry.doctypes import get_type

    return get_type(doc_type).name


def figures(duty_id: int, period_key: str) -> aggregation.Figures:
    """The aggregated figures of a period (for summaries)."""
    with db.transaction() as s:
        duty = s.get(ReportingDuty, duty_id)
        assert duty is not None
        return aggregation.aggregate(session=s, duty_id=duty_id, period_key=period_key,
                                     form=form_of(duty.form))


def default_dates(period_key: str, duty_id: int) -> dict[str, date]:
    """Key dates of a period: due, notice day, the day after due, escalation day."""
    with db.transaction() as s:
        duty = s.get(ReportingDuty, duty_id)
        assert duty is not None
        period = Period.from_key(period_key)
        due = due_date(policy_from_dict(duty.policy), period, calendar=calendar())
    cal = calendar()
    return {"due": due, "notice": cal.add_working_days(due, -3),
            "after_due": cal.next_working_day(due), "escalation": cal.add_working_days(due, 5),
            "report": cal.add_working_days(due, 6), "submit": due - timedelta(days=7)}


def _sender_in_text(guidance: Document) -> str:
    # The directory's running-text name when the sender is known; else the name as registered.
    if guidance.sender is not None:
        return guidance.sender.name_in_text
    return drafting.one_line(guidance.sender_name or "")
