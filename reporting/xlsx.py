"""The .xlsx door: a form workbook per unit and period, and reading it back safely.

The workbook has one sheet, ``MauThongKe``: labels locked, value cells open
with data validation, the unit and period pre-filled and hidden keys (request
id, form code) in column Z. Reading refuses, before openpyxl sees the bytes, a
file that is too large, not a zip, or whose members declare more uncompressed
bytes than a form can hold (a zip bomb).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from reporting.forms import FIRST_ROW, FormDef

SHEET = "MauThongKe"
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 200
MAX_RATIO = 200  # a form compresses ~10:1; a bomb compresses 1000:1
MAX_ROWS = 1000  # the form has a few dozen rows; a sheet declaring more is not the form
MAX_COLUMNS = 52


class XlsxRejected(ValueError):
    """A workbook that cannot be read as the form; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class FormMeta:
    """What the workbook says it is for."""

    request_id: int | None
    form_code: str | None
    unit_key: str | None
    period: str | None


def build_workbook(form: FormDef, *, unit_name: str, unit_key: str, period_key: str,
                   period_label: str, request_id: int, due: str) -> bytes:
    """The form workbook for one unit and period (openpyxl), as bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    bold = Font(bold=True, name="Times New Roman", size=13)
    ws["A1"] = form.name.upper()
    ws["A1"].font = bold
    ws["A2"] = f"Đơn vị: {unit_name.replace(chr(10), ' ')}"
    ws["A3"] = f"Kỳ báo cáo: {period_label} — hạn gửi: {due}"
    ws["A4"] = form.source
    for col, title in zip("ABCD", ("STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu"), strict=True):
        ws[f"{col}5"] = title
        ws[f"{col}5"].font = bold
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 14
    ws.column_dimensions["D"].width = 18
    open_cell = Protection(locked=False)
    for index, ind in enumerate(form.indicators):
        row = FIRST_ROW + index
        ws[f"A{row}"] = index + 1
        ws[f"B{row}"] = ind.label + ("" if ind.required else " (không bắt buộc)")
        ws[f"B{row}"].alignment = Alignment(wrap_text=True)
        ws[f"C{row}"] = ind.unit
        cell = ws[f"D{row}"]
        cell.protection = open_cell
        if ind.type == "text":
            continue
        kind = "whole" if ind.type == "integer" else "decimal"
        low = ind.min if ind.min is not None else -1e12
        high = ind.max if ind.max is not None else 1e12
        dv = DataValidation(type=kind, operator="between", formula1=str(low), formula2=str(high),
                            allow_blank=not ind.required, showErrorMessage=True,
                            errorTitle="Số liệu không hợp lệ",
                            error=f"{ind.label}: nhập số từ {low:g} đến {high:g}")
        ws.add_data_validation(dv)
        dv.add(cell)
    for cell_ref, value in (("Z1", request_id), ("Z2", form.code), ("Z3", unit_key),
                            ("Z4", period_key)):
        ws[cell_ref] = value
    ws.column_dimensions["Z"].hidden = True
    ws.protection.sheet = True
    ws.protection.formatCells = False
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def guard_zip(data: bytes) -> None:
    """Refuse a file too large, not a zip, or a zip bomb — from the zip directory alone
    (registry.zipguard, the check records.plan uses too)."""
    from registry.zipguard import zip_problem

    found = zip_problem(data, max_bytes=MAX_FILE_BYTES, max_members=MAX_MEMBERS,
                        max_uncompressed=MAX_UNCOMPRESSED_BYTES, max_ratio=MAX_RATIO)
    if found is None:
        return
    if found.kind == "size":
        raise XlsxRejected(
            f"tệp {found.size / 1024 / 1024:.1f} MB vượt quá giới hạn "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB; hãy gửi đúng tệp mẫu thống kê (.xlsx) đã tải về")
    if found.kind == "not_zip":
        raise XlsxRejected("tệp không phải bảng tính .xlsx; hãy lưu lại bằng Excel dạng "
                           "\"Excel Workbook (*.xlsx)\" rồi gửi lại")
    if found.kind == "broken":
        raise XlsxRejected(f"tệp .xlsx bị hỏng ({found.detail}); hãy tải lại mẫu và nhập lại")
    if found.kind == "members":
        raise XlsxRejected(f"tệp chứa {found.members} thành phần, bất thường với một mẫu thống "
                           "kê; hãy dùng đúng tệp mẫu")
    raise XlsxRejected(
        f"tệp khai báo {found.declared / 1024 / 1024:.0f} MB khi giải nén (tỷ lệ nén "
        f"{found.ratio}:1), có dấu hiệu tệp nén độc hại; không xử lý. Hãy gửi "
        "đúng tệp mẫu thống kê")


def read_workbook(data: bytes, form: FormDef) -> tuple[FormMeta, dict[str, Any]]:
    """The raw values typed in a form workbook, by indicator key, and its hidden keys."""
    guard_zip(data)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise XlsxRejected(f"không đọc được bảng tính ({exc.__class__.__name__}); hãy tải lại "
                           "mẫu và nhập lại") from None
    try:
        if SHEET not in wb.sheetnames:
            raise XlsxRejected(f"không có trang tính '{SHEET}' (tệp có: "
                               f"{', '.join(wb.sheetnames)}); hãy nhập số liệu vào đúng tệp mẫu "
                               "đã tải về, không đổi tên trang tính")
        ws = wb[SHEET]
        last = FIRST_ROW + len(form.indicators) - 1
        # Rows by position: a row whose first cell is empty (A4 when the form has no source
        # line, once Excel or openpyxl re-saves the file) starts with an EmptyCell, no .row.
        cells = dict(enumerate(ws.iter_rows(min_row=1, max_row=max(last, 4), min_col=1,
                                            max_col=26), start=1))
        meta_cells = {r: cells.get(r) for r in (1, 2, 3, 4)}

        def hidden(r: int) -> Any:
            row = meta_cells.get(r)
            return row[25].value if row is not None and len(row) > 25 else None

        request_id = hidden(1)
        number = int(request_id) if isinstance(request_id, (int, float)) else None
        meta = FormMeta(request_id=number, form_code=hidden(2), unit_key=hidden(3),
                        period=hidden(4))
        raw: dict[str, Any] = {}
        for index, ind in enumerate(form.indicators):
            row = cells.get(FIRST_ROW + index)
            raw[ind.key] = row[3].value if row is not None and len(row) > 3 else None
        return meta, raw
    finally:
        wb.close()


def check_sheet(data: bytes, form: FormDef) -> None:
    """Refuse what a filled form never holds: a value or hidden key computed by a formula
    (it can fetch, or hide, what the unit reports) or a sheet far larger than the form.

    Reads the zip-checked bytes once more without cached values, in read-only mode, up to
    the form's last row only.
    """
    guard_zip(data)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise XlsxRejected(f"không đọc được bảng tính ({exc.__class__.__name__}); hãy tải lại "
                           "mẫu và nhập lại") from None
    try:
        if SHEET not in wb.sheetnames:
            return  # read_workbook names the missing sheet
        ws = wb[SHEET]
        rows, columns = ws.max_row or 0, ws.max_column or 0
        if rows > MAX_ROWS or columns > MAX_COLUMNS:
            raise XlsxRejected(
                f"trang tính '{SHEET}' khai báo {rows} dòng × {columns} cột, quá lớn với mẫu "
                f"{len(form.indicators)} chỉ tiêu; hãy nhập số liệu vào đúng tệp mẫu đã tải về")
        last = FIRST_ROW + len(form.indicators) - 1
        formulas = [cell.coordinate for row in ws.iter_rows(min_row=1, max_row=max(last, 4),
                                                            min_col=1, max_col=26)
                    for cell in row
                    if getattr(cell, "data_type", None) == "f"
                    or (isinstance(getattr(cell, "value", None), str)
                        and str(cell.value).startswith("="))]
        if formulas:
            shown = ", ".join(formulas[:5]) + (" …" if len(formulas) > 5 else "")
            raise XlsxRejected(f"ô {shown} chứa công thức; mẫu chỉ nhận số liệu gõ trực tiếp — "
                               "hãy thay công thức bằng giá trị (Dán đặc biệt → Giá trị) rồi "
                               "gửi lại")
    finally:
        wb.close()


def fill_workbook(template: bytes, values: dict[str, Any], form: FormDef) -> bytes:
    """A copy of a form workbook with ``values`` typed in (what a unit's clerk does)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template))
    ws = wb[SHEET]
    for key, value in values.items():
        ws[form.cell(key)] = value
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
