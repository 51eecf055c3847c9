"""Closing a file (ND30 art. 29) and the 30-day handover warning (Appendix VI).

Closing removes the drafts and the duplicates from the file — the links only: the documents stay
in the registry — numbers what is left 1..n (DocOrdinal), counts each document's pages from its
stored PDF, fixes the totals and the start and end dates, and sets the retention again. A file
kept 5 years or more (or permanently) is due to the agency archive a year after it is closed
(art. 30–31); 30 days before that day its handler's unit is warned once, by an outbox notice in
the same transaction that records the warning.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from outbox.enqueue import enqueue_notice
from registry import audit
from registry import files as file_store
from registry.clock import local_date
from registry.errors import InvalidTransition, PermissionDenied, ValidationError
from registry.models import (
    CaseFile,
    CaseFileDocument,
    Delivery,
    Document,
    DocumentFile,
    DocumentStatus,
    Person,
)
from registry.permissions import require_member, require_role

# What stays in a closed file: documents of record. Drafts (draft … signed) are working papers.
OF_RECORD = (DocumentStatus.ISSUED, DocumentStatus.RECEIVED, DocumentStatus.REVOKED)
# The PDF that is the document, by preference: the issued signed PDF, a scan's searchable copy,
# the file as received.
PDF_KINDS = ("signed_pdf", "ocr_pdf", "source", "pdf", "attachment")
HANDOVER_MIN_YEARS = 5  # art. 31: only files kept 5 years or more go to the agency archive
WARN_DAYS = 30


def main_pdf(document: Document) -> DocumentFile | None:
    """The stored PDF that stands for the document, or None (a paper document without a scan)."""
    pdfs = [f for f in document.files if f.path.lower().endswith(".pdf")]
    for kind in PDF_KINDS:
        for stored in sorted(pdfs, key=lambda f: f.id):
            if stored.kind == kind:
                return stored
    return None


def page_count(data: bytes) -> int:
    """Pages of a PDF (its page tree's /Count)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    return int(reader.root["/Pages"]["/Count"])


def _dated(document: Document) -> date | None:
    if document.direction.value == "in":
        return document.original_date or (local_date(document.arrived_at)
                                           if document.arrived_at else None)
    return document.issue_date


def _identity(document: Document, pdf: DocumentFile | None) -> list[tuple[str, ...]]:
    """Keys under which two documents are the same paper: number/symbol/author/date, content."""
    keys: list[tuple[str, ...]] = []
    if document.direction.value == "in" and document.original_number:
        author = str(document.sender_id or (document.sender_name or "").casefold())
        keys.append(("ref", author, document.original_number.casefold(),
                     str(document.original_date)))
    elif document.number_symbol:
        keys.append(("ref", str(document.issuer_id), document.number_symbol.casefold(),
                     str(document.issue_date)))
    if pdf is not None:
        keys.append(("sha", pdf.sha256))
    return keys


@dataclass
class Closing:
    """What closing did: links removed (drafts, duplicates), totals, dates, retention."""

    case_file: CaseFile
    removed_drafts: list[int] = field(default_factory=list)
    removed_duplicates: list[int] = field(default_factory=list)
    without_pdf: list[int] = field(default_factory=list)


def _may_close(actor: Person, case_file: CaseFile) -> None:
    require_role(actor, action=f"đóng hồ sơ {case_file.code}")
    require_member(actor, case_file.organization_id, action=f"đóng hồ sơ {case_file.code}")
    if actor.id != case_file.handler_id and not (
            set(actor.roles or []) & {"clerk", "leader", "admin"}):
        raise PermissionDenied(f"{actor.full_name} không lập hồ sơ {case_file.code} (không phải "
                               "người lập, văn thư hay lãnh đạo), không được đóng hồ sơ")


def close(*, session: Session, case_file: CaseFile, actor: Person, now: datetime,
          files_root: Path, retention_years: int | None = None, permanent: bool | None = None
          ) -> Closing:
    """Close ``case_file``: drafts and duplicates out, pages counted, totals and dates fixed,
    retention set again (``retention_years``/``permanent`` change it; else the file's stands)."""
    _may_close(actor, case_file)
    if case_file.status != "open":
        raise InvalidTransition(f"hồ sơ {case_file.code} không còn đang lập, không đóng lại được")
    result = Closing(case_file=case_file)
    links = session.scalars(select(CaseFileDocument).where(
        CaseFileDocument.case_file_id == case_file.id).order_by(CaseFileDocument.ordinal)
        .options(selectinload(CaseFileDocument.document).selectinload(Document.files))).all()
    seen: set[tuple[str, ...]] = set()
    kept: list[tuple[CaseFileDocument, DocumentFile | None]] = []
    for link in links:
        doc = link.document
        pdf = main_pdf(doc)
        if doc.status not in OF_RECORD and not link.frozen:
            result.removed_drafts.append(doc.id)
            session.delete(link)
            continue
        keys = _identity(doc, pdf)
        if any(k in seen for k in keys) and not link.frozen:
            result.removed_duplicates.append(doc.id)
            session.delete(link)
            continue
        seen.update(keys)
        kept.append((link, pdf))
    if not kept:
        raise InvalidTransition(f"hồ sơ {case_file.code} không còn văn bản nào sau khi bỏ dự thảo "
                                "và bản trùng; hãy xếp văn bản trước khi đóng")
    pages = 0
    for n, (link, pdf) in enumerate(kept, start=1):
        link.ordinal = n
        if pdf is None:
            result.without_pdf.append(link.document_id)
            link.page_count = None
            continue
        link.page_count = page_count(file_store.read(files_root, pdf.path,
                                                     expected_sha256=pdf.sha256))
        pages += link.page_count
    dates = [d for d in (_dated(link.document) for link, _ in kept) if d is not None]
    _set_retention(case_file, retention_years, permanent)
    closed_on = local_date(now)
    case_file.doc_total, case_file.page_total = len(kept), pages
    case_file.start_date = min(dates) if dates else None
    case_file.end_date = max(dates) if dates else None
    case_file.status, case_file.closed_at = "closed", now
    case_file.handover_due = _handover_due(case_file, closed_on)
    session.flush()
    audit.record(session=session, action="records.close", object_type="case_file",
                 object_id=case_file.id, actor=actor, detail={
                     "documents": len(kept), "pages": pages, "drafts": result.removed_drafts,
                     "duplicates": result.removed_duplicates,
                     "retention": "permanent" if case_file.permanent
                     else case_file.retention_years})
    return result


def _set_retention(case_file: CaseFile, years: int | None, permanent: bool | None) -> None:
    if permanent:
        case_file.retention_years, case_file.permanent = None, True
    elif years is not None:
        if not 1 <= years <= 100:
            raise ValidationError("thời hạn bảo quản là số năm từ 1 đến 100 hoặc vĩnh viễn",
                                  field="thời hạn bảo quản")
        case_file.retention_years, case_file.permanent = years, False
    if not case_file.permanent and case_file.retention_years is None:
        raise ValidationError("hồ sơ chưa có thời hạn bảo quản; ghi số năm hoặc vĩnh viễn",
                              field="thời hạn bảo quản")


def _handover_due(case_file: CaseFile, closed_on: date) -> date | None:
    if not case_file.permanent and (case_file.retention_years or 0) < HANDOVER_MIN_YEARS:
        return None  # kept by the unit; not handed to the agency archive (art. 31)
    try:
        return closed_on.replace(year=closed_on.year + 1)
    except ValueError:  # 29 February
        return closed_on + timedelta(days=365)


def due_for_warning(*, session: Session, today: date) -> Sequence[CaseFile]:
    """Closed files due to the archive within 30 days and not yet warned about."""
    return session.scalars(select(CaseFile).where(
        CaseFile.status == "closed", CaseFile.handover_due.is_not(None),
        CaseFile.handover_due <= today + timedelta(days=WARN_DAYS),
        CaseFile.handover_warned_at.is_(None)).order_by(CaseFile.handover_due, CaseFile.id)
        .options(selectinload(CaseFile.unit), selectinload(CaseFile.organization),
                 selectinload(CaseFile.handler))).all()


def warning_key(case_file: CaseFile) -> str:
    """The notice's idempotency key: one warning per file, however often the run repeats."""
    return f"records-handover-{case_file.id}"


def warn_due_handover(*, session: Session, today: date, now: datetime,
                      channels: Sequence[str] = ("email",)) -> list[Delivery]:
    """Warn the unit of each file due to the archive within 30 days, once per file (the
    reminder run calls it daily); returns the deliveries added."""
    added: list[Delivery] = []
    for case_file in due_for_warning(session=session, today=today):
        office = case_file.organization
        to = case_file.unit or (case_file.handler.organization if case_file.handler else office)
        due = case_file.handover_due
        assert due is not None
        days = (due - today).days
        when = f"còn {days} ngày" if days > 0 else "đã đến hạn" if days == 0 else \
            f"đã quá hạn {-days} ngày"
        keeper = f" (người lập: {case_file.handler.full_name})" if case_file.handler else ""
        body = "\n".join([
            f"Kính gửi: {to.name_in_text}", "",
            f"Hồ sơ {case_file.code} năm {case_file.year} «{case_file.title}»{keeper} phải nộp "
            f"lưu vào lưu trữ cơ quan trước ngày {due:%d/%m/%Y} ({when}).",
            "Đề nghị kiểm tra hồ sơ, lập mục lục và giao nộp (congvan files handover).", "",
            f"Thư gửi tự động từ hệ thống quản lý văn bản của {office.name_in_text}."])
        added += enqueue_notice(
            session=session, recipient=to, sender=office, idempotency_key=warning_key(case_file),
            subject=f"Sắp đến hạn nộp lưu hồ sơ {case_file.code}", body=body, channels=channels,
            now=now)
        case_file.handover_warned_at = now
        audit.record(session=session, action="records.handover_warning",
                     object_type="case_file", object_id=case_file.id,
                     detail={"due": due.isoformat(), "to": to.key})
    session.flush()
    return added


__all__ = ["Closing", "close", "due_for_warning", "main_pdf", "page_count",
           "warn_due_handover", "warning_key"]
