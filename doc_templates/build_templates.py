"""Build the .docx templates (docxtpl) from code, so every template follows ND30 the same way.

Run ``python -m doc_templates.build_templates`` after changing this file and
commit the .docx files; a test fails when they are out of date. The output
stays editable in Word: every Jinja tag sits whole inside one run.

Sizes follow the Decree's own sample (Phụ lục I, Mục V): 12 pt header names
and Quốc hiệu, 13 pt Tiêu ngữ, number and date; 14 pt body, type name,
summary, signature; 12 pt "Nơi nhận:", 11 pt distribution list.
"""

from __future__ import annotations

import io
import sys
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, Twips

from doc_templates.doctypes import DOCTYPES, TEMPLATE_DIR, DocType, Layout
from doc_templates.layout import ISSUER_RULE_STYLE, SUMMARY_RULE_STYLE
from doc_templates.ooxml import tidy

FONT = "Times New Roman"
APPENDIX_TEMPLATE = TEMPLATE_DIR / "phu_luc.docx"
CENTER = WD_ALIGN_PARAGRAPH.CENTER
LEFT = WD_ALIGN_PARAGRAPH.LEFT
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY

TEXT_WIDTH = Cm(16.5)  # A4 210 mm - 30 mm left - 15 mm right
HEADER_LEFT, HEADER_RIGHT = Cm(6.8), Cm(9.7)
SIGN_LEFT, SIGN_RIGHT = Cm(8.0), Cm(8.5)
CELL_MARGIN = Twips(108)  # Word's default left/right cell margin

# Width of "Độc lập - Tự do - Hạnh phúc" in Times New Roman / Liberation Serif
# Bold 13 pt (measured from the font's advance widths), plus 2 pt so the
# rule is never shorter than the text.
MOTTO_WIDTH = Twips(3178 + 40)
BODY_RULE = Cm(2.2)  # under the issuing body: 1/3–1/2 of a typical name line
SUMMARY_RULE = Cm(3.5)  # under the summary (ô 5a)
MARK_WIDTHS = {  # ô 10a/10b stamp widths (urgency sizes from Phụ lục I, III.2)
    "urgency": {"HỎA TỐC": Cm(3.0), "THƯỢNG KHẨN": Cm(4.0), "KHẨN": Cm(2.0)},
    "secrecy": {"TUYỆT MẬT": Cm(3.5), "TỐI MẬT": Cm(3.0), "MẬT": Cm(2.0)},
}


# ---------------------------------------------------------------- low level


def _set_fonts(rpr: Any, size_pt: float | None = None) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    if size_pt is not None:
        for tag in ("w:sz", "w:szCs"):
            el = OxmlElement(tag)
            el.set(qn("w:val"), str(int(size_pt * 2)))
            rpr.append(el)


def _border(ppr: Any, side: str) -> None:
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        line.set(qn(key), value)
    borders.append(line)


def _box(ppr: Any) -> None:
    for side in ("top", "left", "bottom", "right"):
        _border(ppr, side)


def para(
    container: Any,
    runs: list[str | tuple[str, dict[str, Any]]] | str = "",
    *,
    size: float = 14,
    align: Any = CENTER,
    bold: bool = False,
    italic: bool = False,
    before: float = 0,
    after: float = 0,
    left: Any = None,
    right: Any = None,
    first_line: Any = None,
    tab_at: Any = None,
    rule: str | None = None,
    keep_next: bool = False,
) -> Any:
    """Add a paragraph; each item of ``runs`` becomes one run, "\\t" a tab run."""
    p = container.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.0
    if left is not None:
        fmt.left_indent = left
    if right is not None:
        fmt.right_indent = right
    if first_line is not None:
        fmt.first_line_indent = first_line
    if tab_at is not None:
        fmt.tab_stops.add_tab_stop(tab_at)
    if keep_next:
        fmt.keep_with_next = True
    if rule == "bottom":
        _border(p._p.get_or_add_pPr(), "bottom")
    elif rule == "top":
        _border(p._p.get_or_add_pPr(), "top")
    elif rule == "box":
        _box(p._p.get_or_add_pPr())
    if isinstance(runs, str):
        runs = [runs] if runs else []
    for item in runs:
        text, opts = (item, {}) if isinstance(item, str) else item
        run = p.add_run()
        if text == "\t":
            run.add_tab()
        else:
            run.text = text
        run.bold = opts.get("bold", bold)
        run.italic = opts.get("italic", italic)
        _set_fonts(run._r.get_or_add_rPr(), opts.get("size", size))
    if not runs:  # an empty paragraph still carries its size (vertical space)
        _set_fonts(_para_mark(p), size)
    return p


def _para_mark(p: Any) -> Any:
    ppr = p._p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        ppr.append(rpr)
    return rpr


def tag(container: Any, text: str) -> Any:
    """A paragraph holding only a block tag ({%p … %}); docxtpl removes it on rendering."""
    return para(container, text, size=14, align=LEFT)


def _borderless_table(doc: Any, widths: list[Any]) -> Any:
    table = doc.add_table(rows=1, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for col, width in zip(table.columns, widths, strict=True):
        col.width = width
        for cell in col.cells:
            cell.width = width
    return table


def _clear(cell: Any) -> None:
    """Remove the empty paragraph python-docx puts in a new cell (we add our own)."""
    for p in list(cell.paragraphs):
        p._p.getparent().remove(p._p)


def _inset(total: Any, width: Any) -> Any:
    """Left/right indent that centres a ``width`` rule in a cell of ``total`` width."""
    return Twips(int((total - 2 * CELL_MARGIN - width) / 2 / 635))


# ------------------------------------------------------------ components


def _issuer(cell: Any) -> None:
    """Ô 2: parent (upright), body name (bold), short rule."""
    tag(cell, "{%p if issuer_parent %}")
    para(cell, "{{ issuer_parent }}", size=12)
    tag(cell, "{%p endif %}")
    para(cell, "{{ issuer_name }}", size=12, bold=True)
    inset = _inset(HEADER_LEFT, BODY_RULE)
    _style(para(cell, "", size=2, left=inset, right=inset, rule="bottom"), ISSUER_RULE_STYLE)


def _motto(cell: Any) -> None:
    """Ô 1: Quốc hiệu, Tiêu ngữ with a rule as long as the motto."""
    para(cell, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    inset = _inset(HEADER_RIGHT, MOTTO_WIDTH)
    para(
        cell,
        "Độc lập - Tự do - Hạnh phúc",
        size=13,
        bold=True,
        left=inset,
        right=inset,
        rule="bottom",
    )


def _marks(cell: Any) -> None:
    """Ô 10a/10b: secrecy and urgency stamps, boxed, bold caps."""
    for field, widths in MARK_WIDTHS.items():
        for value, width in widths.items():
            inset = _inset(HEADER_LEFT, width)
            tag(cell, f'{{%p if {field} == "{value}" %}}')
            para(cell, value, size=13, bold=True, before=6, left=inset, right=inset, rule="box")
            tag(cell, "{%p endif %}")


def _style(p: Any, style_id: str) -> Any:
    """Mark a paragraph with one of our paragraph styles (found again after rendering)."""
    el = OxmlElement("w:pStyle")
    el.set(qn("w:val"), style_id)
    p._p.get_or_add_pPr().insert(0, el)
    return p


def _header(doc: Any, dt: DocType) -> None:
    table = _borderless_table(doc, [HEADER_LEFT, HEADER_RIGHT])
    left, right = table.rows[0].cells
    _clear(left)
    _clear(right)
    _issuer(left)
    _motto(right)
    row = table.add_row()
    left, right = row.cells
    _clear(left)
    _clear(right)
    if dt.layout is not Layout.LETTER:
        para(left, "Số: {{ number }}/{{ symbol }}", size=13, before=6)
    else:  # a thư công has no number; the cell still needs a paragraph
        para(left, "", size=13, before=6)
    if dt.layout is Layout.CONG_VAN:
        para(left, "V/v {{ subject }}", size=12, before=6)
    _marks(left)
    if dt.layout is Layout.MINUTES:  # Mẫu 1.9: no place/date line, the date is in the text
        para(right, "", size=13, before=6)
    else:
        para(right, "{{ place_date }}", size=13, italic=True, before=6)


def _recipients(doc: Any) -> None:
    """Ô 9a: one recipient on the "Kính gửi:" line; several one per line under the colon."""
    tag(doc, "{%p if recipients|length == 1 %}")
    para(doc, ["Kính gửi: ", "{{ recipients[0] }}"], size=14, before=12, after=6)
    tag(doc, "{%p elif recipients %}")
    para(doc, "", size=6)
    tag(doc, "{%p for line in recipients %}")
    para(
        doc,
        ["{% if loop.first %}Kính gửi:{% endif %}", "\t", "{{ line }}"],
        size=14,
        align=LEFT,
        left=Cm(4.5),
        first_line=Cm(-2.3),
        tab_at=Cm(4.5),
    )
    tag(doc, "{%p endfor %}")
    para(doc, "", size=6)
    tag(doc, "{%p endif %}")


def _type_name(doc: Any, dt: DocType) -> None:
    """Ô 5a: type name and bold summary with its short rule."""
    para(doc, dt.type_name or "", size=14, bold=True, before=12, keep_next=True)
    if not dt.summary_required:
        tag(doc, "{%p if subject %}")
    para(doc, "{{ subject }}", size=14, bold=True, keep_next=True)
    inset = Twips(int((TEXT_WIDTH - SUMMARY_RULE) / 2 / 635))
    rule = para(
        doc, "", size=2, left=inset, right=inset, rule="bottom", before=3, after=6, keep_next=True
    )
    _style(rule, SUMMARY_RULE_STYLE)
    if not dt.summary_required:
        tag(doc, "{%p endif %}")


def _bases(doc: Any) -> None:
    """Ô 6: căn cứ lines, italic, one per line."""
    tag(doc, "{%p for line in bases %}")
    para(doc, "{{ line }}", size=14, italic=True, align=JUSTIFY, first_line=Cm(1), before=6)
    tag(doc, "{%p endfor %}")


def _body(doc: Any) -> None:
    para(doc, "{{p body }}", align=JUSTIFY)


def _copy_block(doc: Any, dt: DocType) -> None:
    """Mẫu 3.1: full-width rule, then the copying body, copy form, number and date."""
    para(doc, "", size=6, rule="bottom", after=6)
    table = _borderless_table(doc, [HEADER_LEFT, HEADER_RIGHT])
    left, right = table.rows[0].cells
    _clear(left)
    _clear(right)
    para(left, "{{ issuer_name }}", size=12, bold=True)
    para(left, "Số: {{ number }}/{{ symbol }}", size=13, before=6)
    para(right, dt.type_name or "", size=14, bold=True)
    para(right, "{{ place_date }}", size=13, italic=True, before=6)


def _signature(doc: Any) -> None:
    """Ô 9b (left) and ô 7 (right): Nơi nhận level with the authority line."""
    para(doc, "", size=12, keep_next=True)
    table = _borderless_table(doc, [SIGN_LEFT, SIGN_RIGHT])
    # Title and name stay on one page: the signature image and the seal go between them.
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    left, right = table.rows[0].cells
    _clear(left)
    _clear(right)
    para(left, "Nơi nhận:", size=12, bold=True, italic=True, align=LEFT)
    tag(left, "{%p for line in distribution %}")
    para(left, "{{ line }}", size=11, align=LEFT)
    tag(left, "{%p endfor %}")
    para(left, "- Lưu: {{ archive }}", size=11, align=LEFT)
    tag(right, "{%p for line in authority_lines %}")
    para(right, "{{ line }}", size=14, bold=True)
    tag(right, "{%p endfor %}")
    for _ in range(4):  # room for the signature image and the seal (ô 7c, ô 8)
        para(right, "", size=14)
    para(right, "{{ signer_name }}", size=14, bold=True)


def _minutes_signature(doc: Any) -> None:
    """Mẫu 1.9: THƯ KÝ on the left, CHỦ TỌA on the right, Nơi nhận under the left one.

    One unsplittable row: the signatures and Nơi nhận never part across pages."""
    para(doc, "", size=12, keep_next=True)
    table = _borderless_table(doc, [SIGN_LEFT, SIGN_RIGHT])
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    left, right = table.rows[0].cells
    _clear(left)
    _clear(right)
    for cell, lines, name in (
        (left, "secretary_lines", "secretary_name"),
        (right, "authority_lines", "signer_name"),
    ):
        tag(cell, f"{{%p for line in {lines} %}}")
        para(cell, "{{ line }}", size=14, bold=True)
        tag(cell, "{%p endfor %}")
        for _ in range(4):
            para(cell, "", size=14)
        para(cell, f"{{{{ {name} }}}}", size=14, bold=True)
    para(left, "Nơi nhận:", size=12, bold=True, italic=True, align=LEFT, before=18)
    tag(left, "{%p for line in distribution %}")
    para(left, "{{ line }}", size=11, align=LEFT)
    tag(left, "{%p endfor %}")
    para(left, "- Lưu: {{ archive }}", size=11, align=LEFT)


def _page_setup(doc: Any) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
    section.header_distance = section.footer_distance = Cm(1.0)
    section.different_first_page_header_footer = True
    # Page numbers from page 2, centred in the header (page 1 has an empty header).
    header = section.header
    p = header.paragraphs[0]
    p.alignment = CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    _set_fonts(rpr, 14)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    p._p.append(field)
    first_header = section.first_page_header
    first_header.paragraphs[0].text = ""
    # Ô 13: address footer on page 1 only, 11 pt, under a full-width rule.
    footer = section.first_page_footer
    fp = footer.paragraphs[0]
    fp._p.getparent().remove(fp._p)
    tag(footer, "{%p if address %}")
    para(footer, "{{ address }}", size=11, align=LEFT, rule="top")
    tag(footer, "{%p endif %}")
    # An empty footer for the other pages; appendix sections use it on their first page too.
    section.footer.is_linked_to_previous = False


def _styles(doc: Any) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    _set_fonts(normal.element.get_or_add_rPr())
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    normal.element.get_or_add_rPr().append(lang)
    normal.paragraph_format.space_after = Pt(0)
    for style_id in (ISSUER_RULE_STYLE, SUMMARY_RULE_STYLE):
        style = doc.styles.add_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.element.set(qn("w:customStyle"), "1")
    # docDefaults too, so text outside Normal (tables, headers) never falls back to Calibri.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is not None:
        rpr.remove(fonts)
    _set_fonts(rpr)
    # The document language: LibreOffice writes it as the PDF's /Lang (vi-VN, not en-US).
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")
    lang.set(qn("w:bidi"), "ar-SA")
    rpr.append(lang)


# ------------------------------------------------------------------ build


def build(dt: DocType) -> Any:
    """Return the python-docx Document of the template for ``dt``."""
    doc = Document()
    _styles(doc)
    _page_setup(doc)
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    if dt.layout is Layout.COPY:
        _body(doc)
        _copy_block(doc, dt)
    else:
        _header(doc, dt)
        if dt.layout in {Layout.CONG_VAN, Layout.LETTER}:
            _recipients(doc)
        else:
            _type_name(doc, dt)
        if dt.layout is Layout.DECISION:
            tag(doc, "{%p if enacting_authority %}")
            para(doc, "{{ enacting_authority }}", size=14, bold=True, before=6, after=6)
            tag(doc, "{%p endif %}")
            _bases(doc)
            para(doc, dt.directive or "", size=14, bold=True, before=12, after=6)
        elif dt.layout is Layout.MINUTES:
            para(doc, "{{p meeting }}", align=JUSTIFY)
        elif dt.layout is Layout.TELEGRAM:
            para(doc, "{{ enacting_authority }} điện:", size=14, bold=True, before=6)
            tag(doc, "{%p for line in recipients %}")
            para(doc, "{{ line }}", size=14, align=JUSTIFY, first_line=Cm(1))
            tag(doc, "{%p endfor %}")
        elif dt.layout is Layout.NAMED:
            _recipients(doc)
            _bases(doc)
        _body(doc)
    if dt.layout is Layout.MINUTES:
        para(doc, "{{p closing }}", align=JUSTIFY)
        _minutes_signature(doc)
    else:
        _signature(doc)
    if dt.layout is not Layout.COPY:
        para(doc, "{{p appendices }}", align=JUSTIFY)
    tidy(doc)
    return doc


def build_appendix() -> Any:
    """The template of an appendix issued as its own file: page setup and the content."""
    doc = Document()
    _styles(doc)
    _page_setup(doc)
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    _body(doc)
    tidy(doc)
    return doc


def to_bytes(dt: DocType) -> bytes:
    """The template for ``dt`` as .docx bytes."""
    buffer = io.BytesIO()
    build(dt).save(buffer)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write every template into doc_templates/templates/."""
    for dt in DOCTYPES.values():
        dt.template_file.parent.mkdir(parents=True, exist_ok=True)
        dt.template_file.write_bytes(to_bytes(dt))
        print(dt.template_file)
    build_appendix().save(str(APPENDIX_TEMPLATE))
    print(APPENDIX_TEMPLATE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
