"""The chain of a reporting cycle, from any document in it, for `congvan trace`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from registry import labels
from registry.calendar import Period
from registry.doctypes import get_type
from registry.errors import NotFound
from registry.models import (
    Delivery,
    Direction,
    Document,
    DocumentLink,
    Reminder,
    ReportingDuty,
    ReportRequest,
    Submission,
)


def find(*, session: Session, ref: str) -> Document:
    """A document by "#id", id, "number/symbol" or original number."""
    text = ref.lstrip("#")
    if text.isdigit() and (doc := session.get(Document, int(text))) is not None:
        return doc
    if "/" in text:
        number, _, symbol = text.partition("/")
        own = and_(Document.number == int(number), Document.symbol == symbol) \
            if number.isdigit() else false()
        found = session.scalar(select(Document).where(
            or_(Document.original_number == text, own)).order_by(Document.id.desc()).limit(1))
        if found is not None:
            return found
    raise NotFound(f"không tìm thấy văn bản '{ref}'; dùng #id hoặc số/ký hiệu (4267/BCĐ-NC)")


def _label(doc: Document, role: str) -> str:
    incoming = doc.direction is Direction.INCOMING
    ident = doc.original_number if incoming else (doc.number_symbol or f"dự thảo #{doc.id}")
    day = doc.original_date if incoming else doc.issue_date
    when = f"{day:%d/%m/%Y}" if day else "—"
    state = labels.label(labels.DOCUMENT_STATUS_IN_TEXT, doc.status)
    return f"{role}: {ident} ({when}, {state}) — {doc.subject[:70]}"


def _role(doc: Document) -> str:
    """What the document is, from its own type and direction ("Công văn (văn bản đi)")."""
    name = get_type(doc.doc_type).name
    return f"{name[:1].upper()}{name[1:]} ({labels.label(labels.DIRECTION, doc.direction)})"


def _period(key: str) -> str:
    try:
        return Period.from_key(key).in_sentence
    except ValueError:
        return key


def _deliveries(session: Session, doc_id: int) -> str:
    rows = session.execute(select(Delivery.status, func.count()).where(
        Delivery.document_id == doc_id).group_by(Delivery.status)).all()
    return ", ".join(f"{n} {labels.label(labels.DELIVERY_STATE, status).lower()}"
                     for status, n in rows) or "chưa gửi"


def chain(*, session: Session, ref: str) -> dict[str, Any]:
    """The cycle's tree, rooted at the guidance of the document named by ``ref``. Each node has
    a ``label`` and ``children``; a node that is a document also has its ``document_id``."""
    doc = find(session=session, ref=ref)
    guidance = doc
    for kind in ("cites", "answers", "aggregates", "reminds"):
        link = session.scalar(select(DocumentLink).where(DocumentLink.from_id == guidance.id,
                                                         DocumentLink.kind == kind))
        if link is not None:
            guidance = session.get(Document, link.to_id) or guidance
            if kind in ("aggregates", "reminds"):
                link = session.scalar(select(DocumentLink).where(
                    DocumentLink.from_id == guidance.id, DocumentLink.kind == "cites"))
                if link is not None:
                    guidance = session.get(Document, link.to_id) or guidance
            break
    root: dict[str, Any] = {"label": _label(guidance, _role(guidance)), "children": [],
                            "document_id": guidance.id}
    instructions = session.scalars(select(Document).join(
        DocumentLink, DocumentLink.from_id == Document.id).where(
        DocumentLink.to_id == guidance.id, DocumentLink.kind == "cites")).all()
    for ins in instructions:
        node: dict[str, Any] = {"label": _label(ins, "Chỉ đạo") + f" — gửi: "
                                f"{_deliveries(session, ins.id)}", "children": [],
                                "document_id": ins.id}
        root["children"].append(node)
        for duty in session.scalars(select(ReportingDuty).where(
                ReportingDuty.instruction_document_id == ins.id)):
            periods = session.execute(select(
                ReportRequest.period, func.count(), func.min(ReportRequest.due_date),
                func.max(ReportRequest.report_document_id)).where(
                ReportRequest.duty_id == duty.id).group_by(ReportRequest.period)).all()
            for period, owed, due, report_id in periods:
                sub = session.scalar(select(func.count(func.distinct(Submission.request_id)))
                                     .join(ReportRequest).where(
                    ReportRequest.duty_id == duty.id, ReportRequest.period == period,
                    Submission.current.is_(True)))
                p_node: dict[str, Any] = {
                    "label": f"Kỳ {_period(period)} (hạn {due:%d/%m/%Y}): {owed} yêu cầu, "
                             f"{sub} đã nộp",
                    "children": []}
                reminders = session.execute(select(Reminder.stage, func.count()).join(
                    ReportRequest).where(ReportRequest.duty_id == duty.id,
                                         ReportRequest.period == period)
                    .group_by(Reminder.stage)).all()
                if reminders:
                    p_node["children"].append({"label": "Nhắc: " + ", ".join(
                        f"{labels.label(labels.REMINDER_STAGE, stage)} × {n}"
                        for stage, n in reminders)})
                if report_id is not None:
                    report = session.get(Document, report_id)
                    assert report is not None
                    sent = _deliveries(session, report_id)
                    p_node["children"].append(
                        {"label": _label(report, "Báo cáo") + f" — gửi cấp trên: {sent}",
                         "document_id": report.id})
                node["children"].append(p_node)
        for dd in session.scalars(select(Document).join(
                DocumentLink, DocumentLink.from_id == Document.id).where(
                DocumentLink.to_id == ins.id, DocumentLink.kind == "reminds")):
            node["children"].append({"label": _label(dd, "Đôn đốc") +
                                     f" — gửi: {_deliveries(session, dd.id)}",
                                     "document_id": dd.id})
    return root
