"""The instruction công văn that passes a guidance's reporting duties on to the units, and the
requests it opens once issued.

:func:`draft` drafts it citing the guidance and submits it to its signer (approval is data:
it then awaits the signer's decision); :func:`plan` says which duty, period and units get
requests once it is issued.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import documents
from registry.calendar import Period, WorkingCalendar, due_date, periods_for, policy_from_dict
from registry.errors import NotFound
from registry.lookup import find_by_key, get_by_key
from registry.models import DocumentRecipient, Organization, Person, ReportingDuty
from reporting import drafting


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


def units(*, session: Session, keys: Sequence[str]) -> list[Organization]:
    """The organisations with ``keys``, in that order; NotFound naming the first missing ones."""
    rows = {o.key: o for o in session.scalars(
        select(Organization).where(Organization.key.in_(keys)))}
    missing = [k for k in keys if k not in rows]
    if missing:
        raise NotFound(f"không có đơn vị {', '.join(missing[:5])} trong danh bạ "
                       "(xem danh bạ: congvan directory export)")
    return [rows[k] for k in keys]


def draft(*, session: Session, instruction: InstructionIn, files_root: Path,
          actor: Person | None = None) -> int:
    """Draft the instruction citing the guidance and submit it to its signer; returns its id.

    Idempotent per guidance: a guidance whose duties already have an instruction returns it.
    ``actor`` (who drafts and submits) defaults to ``instruction.clerk_key``'s person.
    """
    instr = instruction
    duties = duties_of_guidance(session=session, guidance_id=instr.guidance_id)
    existing = next((d.instruction_document_id for d in duties if d.instruction_document_id),
                    None)
    if existing is not None:
        return existing
    issuer = get_by_key(session=session, model=Organization, key=instr.issuer_key)
    signer = get_by_key(session=session, model=Person, key=instr.signer_key)
    clerk = actor or (find_by_key(session=session, model=Person, key=instr.clerk_key)
                      if instr.clerk_key else None)
    spec = drafting.base_spec(
        session=session, doc_type="cong_van", issuer=issuer, signer=signer,
        subject=instr.subject, body=instr.body, recipients=instr.recipient_lines,
        distribution=instr.distribution, drafting_unit=instr.drafting_unit,
        archive=instr.archive)
    doc = drafting.create_draft(session=session, spec=spec, issuer=issuer,
                                units=units(session=session, keys=instr.unit_keys),
                                signer=signer, created_by=clerk)
    if instr.reporting_unit_keys is not None:
        # Units that get the instruction but owe no report are "cc" lines.
        owing = set(instr.reporting_unit_keys)
        for line in doc.recipients:
            org = line.organization
            line.kind = "to" if org is not None and org.key in owing else "cc"
    guidance = documents.get(session=session, document_id=instr.guidance_id)
    documents.link(session=session, source=doc, target=guidance, kind="cites")
    for duty in duties:
        duty.instruction_document_id = doc.id
    drafting.submit(session=session, document_id=doc.id, files_root=files_root,
                    reviewers=[signer], signer=signer, actor=clerk)
    return doc.id


def duties_of_guidance(*, session: Session, guidance_id: int) -> list[ReportingDuty]:
    """The duties a guidance set, by id."""
    return list(session.scalars(select(ReportingDuty).where(
        ReportingDuty.source_document_id == guidance_id).order_by(ReportingDuty.id)))


def duties_of_instruction(*, session: Session, instruction_id: int) -> list[int]:
    """Ids of the duties an instruction passed on."""
    return list(session.scalars(select(ReportingDuty.id).where(
        ReportingDuty.instruction_document_id == instruction_id).order_by(ReportingDuty.id)))


def plan(*, session: Session, instruction_id: int, period_keys: Sequence[str] | None,
         calendar: WorkingCalendar) -> list[tuple[int, str, list[int]]]:
    """(duty id, period, unit ids) to open for an issued instruction.

    Without ``period_keys``: every period of the issue year and the next whose due date is
    after the issue date. Periods the duty's policy does not have are left out.
    """
    doc = documents.get(session=session, document_id=instruction_id)
    unit_ids = [r for (r,) in session.execute(select(DocumentRecipient.organization_id).where(
        DocumentRecipient.document_id == instruction_id, DocumentRecipient.kind == "to",
        DocumentRecipient.organization_id.is_not(None)).order_by(DocumentRecipient.position))]
    result = []
    for duty in session.scalars(select(ReportingDuty).where(
            ReportingDuty.instruction_document_id == instruction_id)):
        policy = policy_from_dict(duty.policy)
        keys = list(period_keys or [])
        if not keys and doc.issue_date is not None:
            for year in (doc.issue_date.year, doc.issue_date.year + 1):
                keys += [p.key for p in periods_for(policy, year)
                         if due_date(policy, p, calendar=calendar) > doc.issue_date]
        valid = [k for k in keys
                 if any(p.key == k for p in periods_for(policy, Period.from_key(k).year))]
        result += [(duty.id, k, list(dict.fromkeys(unit_ids))) for k in valid]
    return result
