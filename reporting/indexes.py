"""The two Appendix VI indexes: the document index (Mục lục văn bản) of one file, or of every
document an organisation issued or registered in a year, and the file index (Mục lục hồ sơ) of
an organisation's files of a year (read from the records tables: registry.models.CaseFile).

Rows are text, ready for the .xlsx and the ND30 document (reporting.appendix6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from records.casefiles import items
from records.metadata import retention_text
from registry.access import is_secret, read_right
from registry.clock import local_date
from registry.doctypes import get_type
from registry.labels import CASE_FILE_STATUS, label
from registry.models import (
    CaseFile,
    CaseFileDocument,
    Direction,
    Document,
    DocumentStatus,
    Organization,
    Person,
    Register,
)

# Columns: (row key, header, width in centimetres on the landscape page).
DOCUMENT_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("stt", "Số TT", 1.2), ("so_ky_hieu", "Số, ký hiệu văn bản", 3.0),
    ("ngay", "Ngày tháng năm văn bản", 2.4), ("tac_gia", "Tác giả văn bản", 4.0),
    ("trich_yeu", "Tên loại và trích yếu nội dung văn bản", 7.4), ("to_so", "Số trang", 1.4),
    ("ho_so", "Số, ký hiệu hồ sơ", 2.4), ("ghi_chu", "Ghi chú", 3.4),
)
FILE_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("stt", "Số TT", 1.2), ("ma", "Số và ký hiệu hồ sơ", 2.6), ("tieu_de", "Tiêu đề hồ sơ", 7.0),
    ("thoi_gian", "Thời gian bắt đầu, kết thúc", 3.4), ("bao_quan", "Thời hạn bảo quản", 2.2),
    ("so_luong", "Số văn bản, số trang", 2.6), ("nguoi_lap", "Đơn vị, người lập hồ sơ", 3.8),
    ("tinh_trang", "Tình trạng", 2.4),
)
SHOWN = (DocumentStatus.ISSUED, DocumentStatus.REVOKED, DocumentStatus.RECEIVED)


@dataclass
class Index:
    """A titled index: what it lists, for whom, its rows."""

    title: str
    organization: Organization
    year: int
    columns: tuple[tuple[str, str, float], ...]
    rows: list[dict[str, str]]
    case_file: CaseFile | None = None


def _author(doc: Document) -> str:
    if doc.direction is Direction.INCOMING:
        return doc.sender.name_in_text if doc.sender is not None else (doc.sender_name or "")
    return doc.issuer.name_in_text if doc.issuer is not None else ""


def _number(doc: Document) -> str:
    return (doc.original_number or "") if doc.direction is Direction.INCOMING \
        else (doc.number_symbol or "")


def _date(doc: Document) -> str:
    day = doc.original_date if doc.direction is Direction.INCOMING else doc.issue_date
    return f"{day:%d/%m/%Y}" if day else ""


def _subject(session: Session, doc: Document, reader: Person | None) -> str:
    """The type and subject — of a secret document only for a reader with the right to read it
    (registry.access.read_right); others see that it exists, as on the register."""
    if is_secret(doc) and (reader is None
                           or read_right(session=session, document=doc, actor=reader) is None):
        return f"{get_type(doc.doc_type).name} ({doc.secrecy}: trích yếu chỉ hiện với người có " \
               "quyền đọc)"
    return f"{get_type(doc.doc_type).name}: {doc.subject}".strip()


def _row(n: int, doc: Document, *, pages: int | None, codes: Sequence[str],
         subject: str) -> dict[str, str]:
    notes = [m for m in (doc.secrecy, doc.urgency) if m]
    if doc.status is DocumentStatus.REVOKED:
        notes.append("đã thu hồi")
    if doc.direction is Direction.INCOMING and doc.number is not None and doc.arrived_at:
        notes.append(f"đến số {doc.number:02d} ngày {local_date(doc.arrived_at):%d/%m/%Y}")
    return {"stt": str(n), "so_ky_hieu": _number(doc), "ngay": _date(doc),
            "tac_gia": _author(doc),
            "trich_yeu": subject,
            "to_so": str(pages) if pages else "", "ho_so": ", ".join(codes),
            "ghi_chu": "; ".join(notes)}


def document_index(*, session: Session, organization: Organization, year: int,
                   case_file: CaseFile | None = None, reader: Person | None = None) -> Index:
    """The documents of one file in their order (DocOrdinal), or, without a file, every document
    the organisation issued or registered in ``year`` (outgoing, then incoming, by number).
    A secret document's subject shows only when ``reader`` may read it."""
    if case_file is not None:
        links = items(session=session, case_file=case_file)
        rows = [_row(i, link.document, pages=link.page_count, codes=[case_file.code],
                     subject=_subject(session, link.document, reader))
                for i, link in enumerate(links, start=1)]
        return Index(f"Mục lục văn bản trong hồ sơ {case_file.code}: {case_file.title}",
                     organization, case_file.year, DOCUMENT_COLUMNS, rows, case_file)
    incoming_registers = select(Register.id).where(Register.organization_id == organization.id,
                                                   Register.direction == Direction.INCOMING)
    docs = session.scalars(
        select(Document).where(
            Document.year == year, Document.status.in_(SHOWN),
            or_((Document.direction == Direction.OUTGOING)
                & (Document.issuer_id == organization.id),
                (Document.direction == Direction.INCOMING)
                & Document.register_id.in_(incoming_registers)))
        .options(selectinload(Document.issuer), selectinload(Document.sender))
        .order_by(Document.direction.desc(), Document.register_id, Document.number)).all()
    codes = _file_codes(session, [d.id for d in docs])
    rows = [_row(i, doc, pages=None, codes=codes.get(doc.id, []),
                 subject=_subject(session, doc, reader)) for i, doc in enumerate(docs, start=1)]
    return Index(f"Mục lục văn bản năm {year}", organization, year, DOCUMENT_COLUMNS, rows)


def _file_codes(session: Session, document_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if not document_ids:
        return found
    for doc_id, code in session.execute(
            select(CaseFileDocument.document_id, CaseFile.code)
            .join(CaseFile, CaseFile.id == CaseFileDocument.case_file_id)
            .where(CaseFileDocument.document_id.in_(document_ids)).order_by(CaseFile.code)):
        found.setdefault(doc_id, []).append(code)
    return found


def file_index(*, session: Session, organization: Organization, year: int) -> Index:
    """Every file of the organisation's year, by file code (open, closed and handed over)."""
    files = session.scalars(select(CaseFile).where(CaseFile.organization_id == organization.id,
                                                   CaseFile.year == year)
                            .order_by(CaseFile.code)).all()
    rows = []
    for i, case_file in enumerate(files, start=1):
        span = " – ".join(f"{d:%d/%m/%Y}" for d in (case_file.start_date, case_file.end_date)
                          if d)
        docs = case_file.doc_total if case_file.doc_total is not None else _count(session,
                                                                                  case_file)
        who = [x for x in ((case_file.unit.name_in_text if case_file.unit else ""),
                           (case_file.handler.full_name if case_file.handler else "")) if x]
        rows.append({
            "stt": str(i), "ma": case_file.code, "tieu_de": case_file.title, "thoi_gian": span,
            "bao_quan": retention_text(case_file),
            "so_luong": f"{docs} văn bản" + (f", {case_file.page_total} trang"
                                             if case_file.page_total else ""),
            "nguoi_lap": " — ".join(who),
            "tinh_trang": label(CASE_FILE_STATUS, case_file.status),
        })
    return Index(f"Mục lục hồ sơ năm {year}", organization, year, FILE_COLUMNS, rows)


def _count(session: Session, case_file: CaseFile) -> int:
    return len(session.scalars(select(CaseFileDocument.id).where(
        CaseFileDocument.case_file_id == case_file.id)).all())


__all__ = ["DOCUMENT_COLUMNS", "FILE_COLUMNS", "Index", "document_index", "file_index"]
