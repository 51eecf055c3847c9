"""The outgoing and incoming registers (ND30 Appendix IV) as rows, and their .xlsx export.

Beside the ten Appendix IV columns, "Số, ký hiệu hồ sơ": the codes of the files (hồ sơ) the
document is filed in (registry.filing), as the "ĐẾN" stamp's "Số và ký hiệu HS" asks.

Rows are plain dicts of printed strings, keyed by the column keys below, so the
same rows feed the spreadsheet and the printed register book
(:mod:`doc_templates.register_book`, which knows nothing of the registry).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from registry.access import shown_subject
from registry.clock import VIETNAM as VN_TZ
from registry.doctypes import get_type
from registry.filing import file_codes
from registry.models import Delivery, DeliveryStatus, Direction, Document, Person, Register
from registry.recipients import archive_line, destinations


@dataclass(frozen=True)
class RegisterColumn:
    """A register column: row key, printed header, width in millimetres on the A4 landscape page.

    doc_templates has its own ``Column``: the two packages may not import each other.
    """

    key: str
    header: str
    width_mm: float


OUTGOING_COLUMNS = (
    RegisterColumn("so_ky_hieu", "Số, ký hiệu văn bản", 28),
    RegisterColumn("ngay", "Ngày tháng văn bản", 20),
    RegisterColumn("trich_yeu", "Tên loại và trích yếu nội dung văn bản", 50),
    RegisterColumn("nguoi_ky", "Người ký", 25),
    RegisterColumn("noi_nhan", "Nơi nhận văn bản", 30),
    RegisterColumn("ban_luu", "Đơn vị, người nhận bản lưu", 20),
    RegisterColumn("so_luong", "Số lượng bản", 15),
    RegisterColumn("ngay_chuyen", "Ngày chuyển", 19),
    RegisterColumn("ky_nhan", "Ký nhận", 20),
    RegisterColumn("ho_so", "Số, ký hiệu hồ sơ", 18),
    RegisterColumn("ghi_chu", "Ghi chú", 22),
)

INCOMING_COLUMNS = (
    RegisterColumn("ngay_den", "Ngày đến", 22),
    RegisterColumn("so_den", "Số đến", 14),
    RegisterColumn("tac_gia", "Tác giả", 28),
    RegisterColumn("so_ky_hieu", "Số, ký hiệu", 28),
    RegisterColumn("ngay", "Ngày tháng", 20),
    RegisterColumn("trich_yeu", "Tên loại và trích yếu nội dung", 50),
    RegisterColumn("don_vi_nhan", "Đơn vị hoặc người nhận", 25),
    RegisterColumn("ngay_chuyen", "Ngày chuyển", 19),
    RegisterColumn("ky_nhan", "Ký nhận", 20),
    RegisterColumn("ho_so", "Số, ký hiệu hồ sơ", 18),
    RegisterColumn("ghi_chu", "Ghi chú", 23),
)

TITLES = {Direction.OUTGOING: "Sổ đăng ký văn bản đi", Direction.INCOMING: "Sổ đăng ký văn bản đến"}


def _d(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _local(moment: datetime | None, layout: str = "%d/%m/%Y") -> str:
    if moment is None:
        return ""
    # Stored in UTC; SQLite hands them back naive.
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(VN_TZ).strftime(layout)


def _type_and_subject(session: Session, document: Document, reader: Person | None) -> str:
    # A secret document's subject only for a reader with the right (registry.access).
    subject = shown_subject(session=session, document=document, reader=reader)
    return f"{get_type(document.doc_type).name}: {subject}"


def _documents(session: Session, organization_id: int, direction: Direction, year: int
               ) -> Sequence[Document]:
    return session.scalars(
        select(Document).join(Register, Document.register_id == Register.id)
        .where(Register.organization_id == organization_id, Register.direction == direction,
               Document.year == year, Document.number.is_not(None))
        .order_by(Register.id, Document.number)
        .options(selectinload(Document.recipients), selectinload(Document.signer),
                 selectinload(Document.sender))
    ).all()


def _archive(doc: Document, spec: dict[str, Any]) -> str:
    """The archive line without "Lưu:" and its final period: ``VT, NC (2)``."""
    typed = [r.label for r in doc.recipients if r.label.lstrip("- ").startswith("Lưu")]
    text = (typed[0].lstrip("- ") if typed else archive_line(doc, spec.get("archive")))
    return text.removeprefix("Lưu").lstrip(" :").rstrip(" .;")


def _copies(archive: str) -> int:
    # "VT, NC (2)": two archive copies as stated; else one per holder named.
    match = re.search(r"\((\d+)\)\s*$", archive)
    return int(match.group(1)) if match else len([p for p in archive.split(",") if p.strip()])


def outgoing_rows(*, session: Session, organization_id: int, year: int, reader: Person | None
                  ) -> list[dict[str, str]]:
    """The outgoing register of an organisation for a year, one row per numbered document.
    A secret document's subject shows only when ``reader`` may read it (None: never)."""
    return outgoing_rows_of(session=session, documents=_documents(
        session, organization_id, Direction.OUTGOING, year), reader=reader)


def outgoing_rows_of(*, session: Session, documents: Sequence[Document], reader: Person | None
                     ) -> list[dict[str, str]]:
    """Outgoing register rows of ``documents`` (numbered, in the order given): the year's
    register, or the part of it a search selected (the printed book of the registers page)."""
    rows = []
    filed = file_codes(session=session, document_ids=[d.id for d in documents])
    for doc in documents:
        deliveries = session.scalars(select(Delivery).where(Delivery.document_id == doc.id)).all()
        sent = [d.sent_at for d in deliveries if d.sent_at is not None]
        acked = sum(1 for d in deliveries if d.acknowledged_at is not None)
        dead = sum(1 for d in deliveries if d.status is DeliveryStatus.DEAD)
        spec = doc.spec or {}
        places = destinations(doc, spec.get("distribution") or [])
        archive = _archive(doc, spec)
        notes = [m for m in (doc.urgency, doc.secrecy) if m]
        if dead:
            notes.append(f"{dead} lượt gửi thất bại")
        rows.append({
            "so_ky_hieu": doc.number_symbol or "",
            "ngay": _d(doc.issue_date),
            "trich_yeu": _type_and_subject(session, doc, reader),
            "nguoi_ky": doc.signer.full_name if doc.signer else "",
            "noi_nhan": "\n".join(places),
            "ban_luu": archive,
            "so_luong": str(len(places) + _copies(archive)),
            "ngay_chuyen": _local(min(sent)) if sent else "",
            "ky_nhan": f"Đã xác nhận {acked}/{len(deliveries)}" if deliveries else "",
            "ho_so": "\n".join(filed.get(doc.id, [])),
            "ghi_chu": "; ".join(notes),
        })
    return rows


def incoming_rows(*, session: Session, organization_id: int, year: int, reader: Person | None
                  ) -> list[dict[str, str]]:
    """The incoming register of an organisation for a year, in incoming-number order; the
    handling columns (unit or person, date passed on, signed for) come from outbox.handling.
    A secret document's subject shows only when ``reader`` may read it (None: never)."""
    return incoming_rows_of(session=session, documents=_documents(
        session, organization_id, Direction.INCOMING, year), reader=reader)


def incoming_rows_of(*, session: Session, documents: Sequence[Document], reader: Person | None
                     ) -> list[dict[str, str]]:
    """Incoming register rows of ``documents`` (numbered, in the order given)."""
    from outbox.handling import register_columns

    handling = register_columns(session=session, document_ids=[d.id for d in documents])
    filed = file_codes(session=session, document_ids=[d.id for d in documents])
    rows = []
    for doc in documents:
        handled = handling.get(doc.id, {})
        notes = [doc.urgency, doc.secrecy,
                 f"Hạn trả lời {_d(doc.due_date)}" if doc.due_date else None,
                 handled.get("ghi_chu")]
        rows.append({
            "ngay_den": _local(doc.arrived_at, "%d/%m/%Y %H:%M"),
            "so_den": f"{doc.number:02d}" if doc.number is not None else "",
            "tac_gia": doc.sender_name or "",
            "so_ky_hieu": doc.original_number or "",
            "ngay": _d(doc.original_date),
            "trich_yeu": _type_and_subject(session, doc, reader),
            "don_vi_nhan": handled.get("don_vi_nhan", ""),
            "ngay_chuyen": handled.get("ngay_chuyen", ""),
            "ky_nhan": handled.get("ky_nhan", ""),
            "ho_so": "\n".join(filed.get(doc.id, [])),
            "ghi_chu": "; ".join(m for m in notes if m),
        })
    return rows


# A spreadsheet takes a cell starting with one of these as a formula (or, on re-editing, as
# one: "+1", "-1+2", "@SUM"); tab and CR start DDE payloads in some readers.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: Any) -> None:
    """Keep an openpyxl cell's string as text: never a formula, even when re-edited.

    openpyxl writes any string starting with ``=`` as a formula; a register row holds an
    outside sender's name or a subject (``=HYPERLINK(…)``). The cell is stored as an inline
    string with the "quote prefix" style, so Excel and LibreOffice show it as typed.
    """
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def to_xlsx(*, title: str, columns: Sequence[RegisterColumn], rows: Sequence[dict[str, str]]
            ) -> bytes:
    """The register as an .xlsx workbook: a title row, the Appendix IV headers, the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([title.upper()])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([c.header for c in columns])
    thin = Side(style="thin")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        sheet.column_dimensions[get_column_letter(index)].width = column.width_mm / 2.2
    for row in rows:
        sheet.append([row.get(c.key, "") for c in columns])
        for cell in sheet[sheet.max_row]:
            as_text(cell)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
