"""The Báo cáo that aggregates a period: figures from the current valid submissions, drafted to
the superior and routed to the signer. Once it is issued the period is closed for the units it
aggregates (:mod:`reporting.submissions` refuses later figures)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry import documents
from registry.calendar import Period
from registry.doctypes import get_type
from registry.errors import NotFound
from registry.models import Document, Organization, Person, ReportingDuty, ReportRequest
from reporting import aggregation, drafting
from reporting.forms import form_of


def _duty(session: Session, duty_id: int) -> ReportingDuty:
    duty = session.get(ReportingDuty, duty_id)
    if duty is None:
        raise NotFound(f"không có nhiệm vụ báo cáo #{duty_id}")
    return duty


def figures(*, session: Session, duty_id: int, period_key: str) -> aggregation.Figures:
    """The aggregated figures of one duty and period."""
    duty = _duty(session, duty_id)
    return aggregation.aggregate(session=session, duty_id=duty_id, period_key=period_key,
                                 form=form_of(duty.form))


def report_of(*, session: Session, duty_id: int, period_key: str) -> int | None:
    """The Báo cáo already drafted for a duty and period, if any."""
    return session.scalar(select(ReportRequest.report_document_id).where(
        ReportRequest.duty_id == duty_id, ReportRequest.period == period_key,
        ReportRequest.report_document_id.is_not(None)).limit(1))


def draft_report(*, session: Session, duty_id: int, period_key: str, signer: Person,
                 superior: Organization, files_root: Path) -> int:
    """Aggregate the period and draft the Báo cáo to ``superior``, submitted to ``signer``;
    returns its id. Idempotent: a period already reported returns its report."""
    existing = report_of(session=session, duty_id=duty_id, period_key=period_key)
    if existing is not None:
        return existing
    duty = _duty(session, duty_id)
    if duty.instruction_document_id is None or duty.source_document_id is None:
        raise NotFound(f"nhiệm vụ báo cáo #{duty_id} chưa có công văn hướng dẫn đã ban hành")
    form = form_of(duty.form)
    found = aggregation.aggregate(session=session, duty_id=duty_id, period_key=period_key,
                                  form=form)
    instruction = documents.get(session=session, document_id=duty.instruction_document_id)
    guidance = documents.get(session=session, document_id=duty.source_document_id)
    issuer = instruction.issuer
    assert issuer is not None
    period = Period.from_key(period_key)
    body = aggregation.report_body(
        form=form, figures=found,
        instruction_ref=f"Công văn số {instruction.number_symbol} ngày "
                        f"{instruction.issue_date:%d/%m/%Y}",
        guidance_ref=f"{get_type(guidance.doc_type).name} số {guidance.original_number} ngày "
                     f"{guidance.original_date:%d/%m/%Y} của {_sender_in_text(guidance)}",
        collector_name=issuer.name_in_text)
    spec = drafting.base_spec(
        session=session, doc_type="bao_cao", issuer=issuer, signer=signer,
        subject=f"{form.wording.report_subject} {period.in_sentence}",
        body=body, distribution=[f"{superior.name_in_text} (b/c)"],
        drafting_unit=instruction.drafting_unit)
    doc = drafting.create_draft(session=session, spec=spec, issuer=issuer, units=[superior],
                                signer=signer)
    documents.link(session=session, source=doc, target=instruction, kind="aggregates")
    documents.link(session=session, source=doc, target=guidance, kind="answers")
    session.execute(update(ReportRequest).where(
        ReportRequest.duty_id == duty_id, ReportRequest.period == period_key
    ).values(report_document_id=doc.id))
    drafting.submit(session=session, document_id=doc.id, files_root=files_root,
                    reviewers=[signer], signer=signer)
    return doc.id


def _sender_in_text(guidance: Document) -> str:
    # The directory's running-text name when the sender is known; else the name as registered.
    if guidance.sender is not None:
        return guidance.sender.name_in_text
    return drafting.one_line(guidance.sender_name or "")
