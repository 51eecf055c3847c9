"""Register books (sổ đăng ký văn bản đi / đến, ND30 Appendix IV) as .docx, then PDF.

A leaf like the rest of doc_templates: the caller passes plain data (columns and
rows as dicts of strings); nothing here knows the registry. The template
``templates/register_book.docx`` holds the page (A4 landscape), styles, the
cover with ``{{…}}`` placeholders and the page-number footer (not on the
cover); the table is built here with its header row repeated on every page.
PDFs come from the same LibreOffice path as every other document.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from doc_templates.ooxml import tidy

if TYPE_CHECKING:
    from doc_templates.pdf import PdfConverter

TEMPLATE = Path(__file__).parent / "templates" / "register_book.docx"


@dataclass(frozen=True)
class Column:
    """One column of the register: the key in each row, its printed header, its width."""

    key: str
    header: str
    width_mm: float


@dataclass(frozen=True)
class RegisterBook:
    """Everything printed in one register book."""

    body_name: str
    title: str
    year: int
    columns: tuple[Column, ...]
    rows: tuple[dict[str, str], ...]
    parent_name: str = ""
    first_number: str = ""
    last_number: str = ""
    date_from: date | None = None
    date_to: date | None = None
    volume: int = 1
    note: str = ""  # printed under the volume line, e.g. the filters a partial book was cut by


def _cover_values(book: RegisterBook) -> dict[str, str]:
    dates = (f"Từ ngày {book.date_from:%d/%m/%Y} đến ngày {book.date_to:%d/%m/%Y}"
             if book.date_from and book.date_to else "")
    numbers = (f"Từ số {book.first_number} đến số {book.last_number}"
               if book.first_number else "Chưa có văn bản")
    return {
        "{{parent_name}}": book.parent_name.upper(), "{{body_name}}": book.body_name.upper(),
        "{{title}}": book.title.upper(), "{{year}}": f"Năm {book.year}",
        "{{dates}}": dates, "{{numbers}}": numbers, "{{volume}}": f"Quyển số: {book.volume:02d}",
    }


def _fill_cover(document: DocxDocument, values: dict[str, str]) -> None:
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            for placeholder, value in values.items():
                if placeholder in run.text:
                    run.text = run.text.replace(placeholder, value)


def _add_note(document: DocxDocument, after: str, note: str) -> None:
    """A cover line under the paragraph reading ``after``, in its style, italic."""
    from docx.text.paragraph import Paragraph

    for paragraph in document.paragraphs:
        if paragraph.text == after and paragraph.runs:
            element = copy.deepcopy(paragraph._p)
            paragraph._p.addnext(element)
            added = Paragraph(element, paragraph._parent)
            for extra in added.runs[1:]:
                extra._r.getparent().remove(extra._r)
            added.runs[0].text = note
            added.runs[0].italic = True
            return


def _row_properties(row: object, *, header: bool = False) -> None:
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    # A register line is never split across pages; the header row repeats on every page.
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)


def _cell_text(cell: object, text: str, *, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    lines = text.split("\n")
    for index, line in enumerate(lines):
        run = paragraph.add_run(line)
        run.bold = bold
        run.font.size = Pt(11)
        if index < len(lines) - 1:
            run.add_break()


def _table(document: DocxDocument, book: RegisterBook) -> None:
    table = document.add_table(rows=1, cols=len(book.columns))
    table.style = document.styles["Register Table"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # LibreOffice lays the table out from the grid, Word from the cells: set both.
    for grid_col, column in zip(table._tbl.tblGrid.gridCol_lst, book.columns, strict=True):
        grid_col.w = Mm(column.width_mm)
    header = table.rows[0]
    _row_properties(header, header=True)
    for cell, column in zip(header.cells, book.columns, strict=True):
        cell.width = Mm(column.width_mm)
        _cell_text(cell, column.header, bold=True)
    for row in book.rows:
        added = table.add_row()
        _row_properties(added)
        cells = added.cells
        for cell, column in zip(cells, book.columns, strict=True):
            cell.width = Mm(column.width_mm)
            _cell_text(cell, row.get(column.key, ""))


def render_register_book(book: RegisterBook) -> bytes:
    """The register book as .docx bytes: cover, then the table on landscape pages."""
    document = Document(str(TEMPLATE))
    values = _cover_values(book)
    _fill_cover(document, values)
    if book.note:
        _add_note(document, values["{{volume}}"], book.note)
    _table(document, book)
    tidy(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def register_book_pdf(book: RegisterBook, converter: PdfConverter) -> bytes:
    """The register book as PDF, through the project's LibreOffice converter."""
    return converter.convert_bytes(render_register_book(book))


def build_template(path: Path = TEMPLATE) -> None:
    """Write the template (run once when its layout changes; the .docx is committed)."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin, section.bottom_margin = Mm(15), Mm(15)
    section.different_first_page_header_footer = True
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Times New Roman", Pt(12)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Times New Roman")
    normal.paragraph_format.space_after = Pt(0)
    grid = document.styles["Table Grid"]
    table_style = copy.deepcopy(grid.element)
    table_style.set(qn("w:styleId"), "RegisterTable")
    table_style.find(qn("w:name")).set(qn("w:val"), "Register Table")
    document.styles.element.append(table_style)
    for text, size, bold, before in (
        ("{{parent_name}}", 13, False, 0), ("{{body_name}}", 13, True, 0),
        ("{{title}}", 20, True, 120), ("{{year}}", 16, True, 24), ("{{dates}}", 13, False, 48),
        ("{{numbers}}", 13, False, 6), ("{{volume}}", 13, False, 6),
    ):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = Pt(before)
        run = paragraph.add_run(text)
        run.bold, run.font.size = bold, Pt(size)
    document.add_page_break()  # type: ignore[no-untyped-call]
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)
    tidy(document)
    document.save(str(path))


if __name__ == "__main__":
    build_template()
