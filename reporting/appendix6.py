"""The Appendix VI reports as an .xlsx workbook and as an ND30 Báo cáo (doc_templates).

- The two handling reports (reporting.handling_stats): a Báo cáo whose body gives the totals in
  a sentence and the figures by unit and handler in a table; the workbook has the same table.
- The two indexes (reporting.indexes): a short Báo cáo with the index as its landscape appendix
  (as the records handover prints its Mục lục); the workbook has the index.

Workbooks open with the ND30 heading (the issuer on the left, the national title on the right),
the title, the period and the report's day written the ND30 way ("ngày 31 tháng 3 năm 2026");
figures are number cells (Excel shows them with the reader's separators), every text cell is
kept text (never a formula: outbox.registers.as_text). Inside the Báo cáo, numbers print the
Vietnamese way through doc_templates' tables (15.972) and percentages through Babel vi (66,7%).
"""

from __future__ import annotations

import io
from datetime import date
from typing import TYPE_CHECKING, Any

from babel.numbers import format_decimal, format_percent
from sqlalchemy.orm import Session

from doc_templates.formatting import nd30_date
from outbox.registers import as_text
from registry.calendar import Period
from registry.models import Direction, Organization, Person
from reporting.drafting import one_line, signature_for
from reporting.handling_stats import HandlingReport, Tally
from reporting.indexes import Index

if TYPE_CHECKING:
    from doc_templates.spec import DocumentSpec

DECREE = "Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư"
NATION = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
SUBJECTS = {Direction.INCOMING: "Tình hình tiếp nhận, giải quyết văn bản đến",
            Direction.OUTGOING: "Tình hình xử lý văn bản đi"}
# (received, done, pending) in the words of each direction.
WORDS = {Direction.INCOMING: ("Số văn bản đến", "Đã giải quyết", "Đang giải quyết"),
         Direction.OUTGOING: ("Số văn bản", "Đã ban hành", "Chưa ban hành")}
WIDTHS = (1.3, 4.1, 3.4, 1.6, 1.55, 1.55, 1.55, 1.55)  # cm; 16.6 cm across the portrait page


def default_signer(session: Session, organization: Organization) -> Person:
    """Who signs the Báo cáo unless told: the organisation's first active leader."""
    from sqlalchemy import select

    from registry.errors import NotFound

    people = session.scalars(select(Person).where(Person.organization_id == organization.id,
                                                  Person.active.is_(True)).order_by(Person.id))
    leader = next((p for p in people if p.has_role("leader")), None)
    if leader is None:
        raise NotFound(f"{organization.name_in_text} chưa có lãnh đạo trong danh bạ: "
                       "chỉ người ký bằng --signer KHOÁ_CÁN_BỘ")
    return leader


def _first_upper(text: str) -> str:
    # str.capitalize() would lower the rest ("quý I" → "Quý i").
    return text[:1].upper() + text[1:]


def _n(value: int) -> str:
    return format_decimal(value, locale="vi")


def period_phrase(start: date, end: date) -> str:
    """"quý I năm 2026" when the days are a standard period, else "từ ngày … đến ngày …"."""
    for key in (f"{start.year}", f"{start.year}-H1",
                *(f"{start.year}-Q{q}" for q in range(1, 5))):
        period = Period.from_key(key)
        if (period.start, period.end) == (start, end):
            return period.in_sentence
    return f"từ {nd30_date(start)} đến {nd30_date(end)}"


def _table_rows(report: HandlingReport) -> list[list[Any]]:
    def cells(n: str, row: Tally) -> list[Any]:
        return [n, row.unit, row.handler, row.total, row.done_on_time, row.done_late,
                row.pending_on_time, row.pending_late]
    return [cells(str(i), row) for i, row in enumerate(report.rows, start=1)]


def _header(direction: Direction) -> tuple[list[Any], list[Any]]:
    received, done, pending = WORDS[direction]
    late = "Chậm" if direction is Direction.OUTGOING else "Quá hạn"
    top = ["STT", "Đơn vị", "Người xử lý", received, done, None, pending, None]
    sub = [None, None, None, None, "Đúng hạn", late, "Trong hạn", "Quá hạn"]
    return top, sub


def summary(report: HandlingReport) -> str:
    """The totals in one sentence, with the on-time rate (Babel vi percent)."""
    total = report.total
    received, done, pending = WORDS[report.direction]
    rate = ""
    if total.done:
        share = format_percent(total.done_on_time / total.done, locale="vi", format="#,##0.0%")
        rate = f"; tỷ lệ đúng hạn {share}"
    late = "chậm" if report.direction is Direction.OUTGOING else "quá hạn"
    return (f"{received}: {_n(total.total)}; {done.lower()} {_n(total.done)} (đúng hạn "
            f"{_n(total.done_on_time)}, {late} {_n(total.done_late)}{rate}); "
            f"{pending.lower()} {_n(total.pending)} (trong hạn {_n(total.pending_on_time)}, "
            f"quá hạn {_n(total.pending_late)}).")


def _issuer(organization: Organization) -> dict[str, Any]:
    return {"parent": organization.header_parent, "name": organization.name,
            "code": organization.code, "text_name": organization.text_name}


def handling_spec(*, session: Session, report: HandlingReport, signer: Person, on: date
                  ) -> DocumentSpec:
    """The handling report as a Báo cáo spec (number and date left for issuing)."""
    from doc_templates.spec import parse_spec

    org = report.organization
    top, sub = _header(report.direction)
    table = {
        "columns": [{"width": w, "align": "left" if i in (1, 2) else "center"}
                    for i, w in enumerate(WIDTHS)],
        "header": [[*(_cell(top[i], rows=2) for i in range(4)), _cell(top[4], cols=2),
                    _cell(top[6], cols=2)], [_cell(text) for text in sub[4:]]],
        "rows": [*_table_rows(report),
                 {"cells": [{"text": "Tổng cộng", "span": 3}, *_table_rows_total(report)],
                  "total": True}],
        "font_size": 12,
    }
    phrase = period_phrase(report.start, report.end)
    subject = SUBJECTS[report.direction]
    body = "\n\n".join([
        f"Thực hiện {DECREE}, {org.name_in_text} báo cáo {subject[:1].lower() + subject[1:]} "
        f"{phrase} (số liệu tính đến hết {nd30_date(report.as_of)}) như sau:",
        "**1. Số liệu chung**",
        summary(report),
        "**2. Theo đơn vị, người xử lý**",
        "[bảng: so_lieu]",
        "Cách tính: văn bản giải quyết xong trong ngày hạn xử lý (theo giờ Việt Nam) là đúng "
        "hạn; văn bản chưa xong khi đã qua ngày hạn là quá hạn.",
    ])
    data = {
        "type": "bao_cao", "issuer": _issuer(org), "place": org.place or "…",
        "date": on.isoformat(), "subject": f"{subject} {phrase}", "body": body,
        "signature": signature_for(session, signer, org, "bao_cao"),
        "distribution": [f"Lãnh đạo {org.name_in_text}"], "archive": "VT",
        "tables": {"so_lieu": table},
    }
    return parse_spec({k: v for k, v in data.items() if v is not None})


def _cell(text: str | None, *, rows: int = 1, cols: int = 1) -> dict[str, Any]:
    return {"text": text, "rowspan": rows, "span": cols, "bold": True}


def _table_rows_total(report: HandlingReport) -> list[int]:
    total = report.total
    return [total.total, total.done_on_time, total.done_late, total.pending_on_time,
            total.pending_late]


def index_spec(*, session: Session, index: Index, signer: Person, on: date) -> DocumentSpec:
    """The index as a short Báo cáo with the index as its landscape appendix."""
    from doc_templates.spec import parse_spec

    org = index.organization
    what = "hồ sơ" if index.columns[1][0] == "ma" else "văn bản"
    table = {"columns": [{"title": header, "width": width,
                          "align": "left" if key in ("tieu_de", "trich_yeu", "tac_gia")
                          else "center"} for key, header, width in index.columns],
             "rows": [[row[key] for key, _, _ in index.columns] for row in index.rows],
             "font_size": 11}
    body = "\n\n".join([
        f"Thực hiện {DECREE}, {org.name_in_text} lập {index.title[0].lower()}"
        f"{index.title[1:]} gồm {_n(len(index.rows))} {what} (Phụ lục kèm theo).",
        "Mục lục được lập từ dữ liệu của Hệ thống quản lý văn bản, tính đến "
        f"{nd30_date(on)}.",
    ])
    data = {
        "type": "bao_cao", "issuer": _issuer(org), "place": org.place or "…",
        "date": on.isoformat(), "subject": index.title, "body": body,
        "signature": signature_for(session, signer, org, "bao_cao"),
        "distribution": [f"Lãnh đạo {org.name_in_text}", "Lưu trữ cơ quan"], "archive": "VT",
        "tables": {"muc_luc": table},
        "appendices": [{"title": index.title, "body": "[bảng: muc_luc]", "landscape": True}],
    }
    return parse_spec({k: v for k, v in data.items() if v is not None})


def _workbook_head(sheet: Any, organization: Organization, width: int, title: str,
                   lines: list[str]) -> int:
    """The ND30 heading, the title and ``lines``; returns the row for the table's header (one
    blank row below the lines)."""
    from openpyxl.styles import Alignment, Font

    half = max(width // 2, 1)
    left = [one_line(organization.header_parent or "").upper(), one_line(organization.name)]
    rows = [(left[0], NATION[0]), (left[1], NATION[1])]
    for r, (a, b) in enumerate(rows, start=1):
        sheet.cell(row=r, column=1, value=a).font = Font(bold=r == 2)
        sheet.cell(row=r, column=half + 1, value=b).font = Font(bold=True)
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=half)
        sheet.merge_cells(start_row=r, start_column=half + 1, end_row=r, end_column=width)
        for c in (1, half + 1):
            sheet.cell(row=r, column=c).alignment = Alignment(horizontal="center")
    row = 4
    for text, bold, size in ((title.upper(), True, 14), *((line, False, 12) for line in lines)):
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font, cell.alignment = Font(bold=bold, size=size), Alignment(horizontal="center")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1
    return row + 1


def _put(sheet: Any, first_row: int, rows: list[list[Any]]) -> None:
    for r, values in enumerate(rows, start=first_row):
        for c, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)


def _finish(sheet: Any, first_body_row: int, header_rows: int) -> bytes:
    from openpyxl.styles import Alignment, Border, Side

    thin = Side(style="thin")
    for line in sheet.iter_rows(min_row=first_body_row - header_rows):
        for cell in line:
            as_text(cell)
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if cell.row < first_body_row:
                cell.alignment = Alignment(horizontal="center", vertical="center",
                                           wrap_text=True)
            elif isinstance(cell.value, int):
                cell.number_format = "#,##0"
            else:
                cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = sheet.cell(row=first_body_row, column=1)
    sheet.print_title_rows = f"{first_body_row - header_rows}:{first_body_row - 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    out = io.BytesIO()
    sheet.parent.save(out)
    return out.getvalue()


def handling_xlsx(report: HandlingReport) -> bytes:
    """The handling report as a workbook (heading, figures by unit and handler, total)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    subject = SUBJECTS[report.direction]
    sheet.title = "Văn bản đến" if report.direction is Direction.INCOMING else "Văn bản đi"
    row = _workbook_head(sheet, report.organization, 8, f"Báo cáo {subject.lower()}", [
        _first_upper(period_phrase(report.start, report.end)),
        f"Số liệu tính đến hết {nd30_date(report.as_of)}", summary(report)])
    top, sub = _header(report.direction)
    header = row
    rows = [top, sub, *_table_rows(report), ["Tổng cộng", None, None,
                                             *_table_rows_total(report)]]
    _put(sheet, header, rows)
    for col in (1, 2, 3, 4):
        sheet.merge_cells(start_row=header, start_column=col, end_row=header + 1, end_column=col)
    for col in (5, 7):
        sheet.merge_cells(start_row=header, start_column=col, end_row=header, end_column=col + 1)
    last = header + len(rows) - 1
    sheet.merge_cells(start_row=last, start_column=1, end_row=last, end_column=3)
    for cell in sheet[last]:
        cell.font = Font(bold=True)
    for col, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width * 5
    return _finish(sheet, header + 2, 2)


def index_xlsx(index: Index) -> bytes:
    """The index as a workbook (heading, one row per document or file)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Mục lục"
    count = f"Gồm {_n(len(index.rows))} " + ("hồ sơ" if index.columns[1][0] == "ma"
                                              else "văn bản")
    row = _workbook_head(sheet, index.organization, len(index.columns), index.title, [count])
    _put(sheet, row, [[header for _, header, _ in index.columns],
                      *([values[key] for key, _, _ in index.columns] for values in index.rows)])
    for col, (_, _, width) in enumerate(index.columns, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width * 5
    return _finish(sheet, row + 1, 1)


__all__ = ["default_signer", "handling_spec", "handling_xlsx", "index_spec", "index_xlsx",
           "period_phrase", "summary"]
