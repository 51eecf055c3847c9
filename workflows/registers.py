"""The outgoing and incoming registers (sổ đăng ký văn bản đi / đến, ND30 Phụ lục IV) as .xlsx.

One sheet per register with the decree's 10 columns, in register-number order.
Columns the system does not track (Số lượng bản, Ký nhận) are left for the
clerk. Used by ``congvan demo`` until the outbox engineer's register export
lands; then this module should delegate to it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.doctypes import get_type
from registry.models import (
    Delivery,
    Direction,
    Document,
    DocumentStatus,
    Organization,
    Register,
)
from registry.numbering import VN_TZ

OUTGOING_COLUMNS = ("Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung",
                    "Người ký", "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản",
                    "Ngày chuyển", "Ký nhận", "Ghi chú")
INCOMING_COLUMNS = ("Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày văn bản",
                    "Tên loại và trích yếu nội dung", "Đơn vị hoặc người nhận", "Ngày chuyển",
                    "Ký nhận", "Ghi chú")


def _d(day: date | datetime | None) -> str:
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.astimezone(VN_TZ).date() if day.tzinfo else day.date()
    return f"{day:%d/%m/%Y}"


def _kind(doc: Document) -> str:
    return f"{get_type(doc.doc_type).name}: {doc.subject}"


def outgoing_rows(*, session: Session, issuer: Organization, year: int) -> list[list[str]]:
    """One row per issued document of ``issuer`` in ``year``, by register then number."""
    docs = session.scalars(select(Document).where(
        Document.direction == Direction.OUTGOING, Document.issuer_id == issuer.id,
        Document.year == year, Document.number.is_not(None),
        Document.status.in_([DocumentStatus.ISSUED, DocumentStatus.REVOKED]),
    ).order_by(Document.register_id, Document.number)).all()
    rows = []
    for doc in docs:
        sent = session.scalars(select(Delivery.sent_at).where(
            Delivery.document_id == doc.id, Delivery.sent_at.is_not(None))).all()
        recipients = "; ".join(r.label for r in doc.recipients)
        archive = (doc.spec or {}).get("archive") or ""
        note = "Đã thu hồi" if doc.status is DocumentStatus.REVOKED else ""
        rows.append([doc.number_symbol or "", _d(doc.issue_date), _kind(doc),
                     doc.signer.full_name if doc.signer else "", recipients, archive, "",
                     _d(min(sent)) if sent else "", "", note])
    return rows


def incoming_rows(*, session: Session, receiver: Organization, year: int) -> list[list[str]]:
    """One row per incoming document registered by ``receiver`` in ``year``."""
    docs = session.scalars(select(Document).join(Register, Register.id == Document.register_id)
                           .where(Document.direction == Direction.INCOMING,
                                  Register.organization_id == receiver.id, Document.year == year)
                           .order_by(Document.number, Document.id)).all()
    return [[_d(doc.arrived_at), str(doc.number or ""),
             doc.sender_name or (doc.sender.name if doc.sender else ""),
             doc.original_number or "", _d(doc.original_date), _kind(doc),
             receiver.name.replace("\n", " "), "", "", ""] for doc in docs]


def workbook(*, title: str, organization: Organization, year: int, columns: Sequence[str],
             rows: Sequence[Sequence[str]]) -> bytes:
    """A register book as .xlsx: the body's name, the title and year, then the table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "So"
    ws.append([" ".join(organization.name.split())])
    ws.append([f"{title} NĂM {year}"])
    ws["A2"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(list(columns))
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in rows:
        ws.append(list(row))
    for letter, width in zip("ABCDEFGHIJ", (18, 14, 50, 22, 50, 20, 10, 14, 12, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A5"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def outgoing_xlsx(*, session: Session, issuer: Organization, year: int) -> bytes:
    """The outgoing register (SỔ ĐĂNG KÝ VĂN BẢN ĐI) of ``issuer`` for ``year``."""
    return workbook(title="SỔ ĐĂNG KÝ VĂN BẢN ĐI", organization=issuer, year=year,
                    columns=OUTGOING_COLUMNS,
                    rows=outgoing_rows(session=session, issuer=issuer, year=year))


def incoming_xlsx(*, session: Session, receiver: Organization, year: int) -> bytes:
    """The incoming register (SỔ ĐĂNG KÝ VĂN BẢN ĐẾN) of ``receiver`` for ``year``."""
    return workbook(title="SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", organization=receiver, year=year,
                    columns=INCOMING_COLUMNS,
                    rows=incoming_rows(session=session, receiver=receiver, year=year))
