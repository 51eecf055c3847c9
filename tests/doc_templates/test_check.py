"""The ND30 checker finds each deliberate breach, names its box and rule, and passes clean files."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from doc_templates.check import ERROR, WARNING, check_docx
from doc_templates.render import render_docx
from tests.doc_templates.conftest import minimal


def _all_paragraphs(doc):
    yield from doc.paragraphs
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def _clean() -> bytes:
    spec = minimal(
        "cong_van",
        date="2022-06-05",
        signature={
            "authority": "TM.",
            "on_behalf_of": "ỦY BAN NHÂN DÂN",
            "title": "CHỦ TỊCH",
            "name": "Nguyễn Văn A",
        },
    )
    return render_docx(spec)


def _edit(edit) -> bytes:
    doc = Document(io.BytesIO(_clean()))
    edit(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _set_text(starts: str, text: str):
    def edit(doc):
        para = next(p for p in _all_paragraphs(doc) if p.text.startswith(starts))
        for run in para.runs[1:]:
            run.text = ""
        para.runs[0].text = text

    return edit


def _runs(starts: str, **props):
    def edit(doc):
        for p in _all_paragraphs(doc):
            if p.text.startswith(starts):
                for run in p.runs:
                    for key, value in props.items():
                        setattr(run.font if key in {"size", "name"} else run, key, value)

    return edit


def _margin(doc):
    doc.sections[0].left_margin = Cm(2.5)


def _letter(doc):
    doc.sections[0].page_width, doc.sections[0].page_height = Cm(21.59), Cm(27.94)


def _body_left(doc):
    for p in doc.paragraphs:
        if p.text.startswith("Đoạn thứ nhất"):
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            for run in p.runs:
                run.font.size = Pt(12)


def _no_motto(doc):
    for p in _all_paragraphs(doc):
        if p.text.startswith("CỘNG HÒA"):
            p._p.getparent().remove(p._p)


BREACHES = [
    ("page size", _letter, "trang", "page.size"),
    ("left margin", _margin, "trang", "page.margin.left"),
    ("font", _runs("Đoạn thứ nhất", name="Arial"), "toàn văn bản", "font.family"),
    ("motto missing", _no_motto, "ô 1", "motto.missing"),
    ("motto en dash", _set_text("Độc lập", "Độc lập – Tự do – Hạnh phúc"), "ô 1", "motto.hyphen"),
    ("motto words", _set_text("Độc lập", "Độc lập - Tự do - Hạnh Phúc"), "ô 1", "motto.text"),
    ("motto upright", _runs("Độc lập", bold=False), "ô 1", "motto.bold"),
    ("quoc hieu size", _runs("CỘNG HÒA", size=Pt(11)), "ô 1", "motto.size"),
    ("number padding", _set_text("Số:", "Số: 5/SNV-VP"), "ô 3", "number.padding"),
    ("number space", _set_text("Số:", "Số: 4267 /BCĐ-NC"), "ô 3", "number.space"),
    ("symbol spaces", _set_text("Số:", "Số: 15/QĐ - UBND"), "ô 3", "symbol.spaces"),
    ("symbol case", _set_text("Số:", "Số: 15/Qđ-UBND"), "ô 3", "symbol.case"),
    ("number size", _runs("Số:", size=Pt(14)), "ô 3", "number.size"),
    (
        "month padded",
        _set_text("Kon Tum, ngày", "Kon Tum, ngày 05 tháng 06 năm 2022"),
        "ô 4",
        "date.month",
    ),
    (
        "february unpadded",
        _set_text("Kon Tum, ngày", "Kon Tum, ngày 05 tháng 2 năm 2022"),
        "ô 4",
        "date.month",
    ),
    (
        "day unpadded",
        _set_text("Kon Tum, ngày", "Kon Tum, ngày 5 tháng 6 năm 2022"),
        "ô 4",
        "date.day",
    ),
    ("date upright", _runs("Kon Tum, ngày", italic=False), "ô 4", "date.italic"),
    ("date size", _runs("Kon Tum, ngày", size=Pt(12)), "ô 4", "date.size"),
    ("vv bold", _runs("V/v", bold=True), "ô 5b", "vv.bold"),
    ("body size and alignment", _body_left, "ô 6", "body.size"),
    ("body alignment", _body_left, "ô 6", "body.justify"),
    ("noi nhan upright", _runs("Nơi nhận:", italic=False), "ô 9b", "distribution.style"),
    ("noi nhan size", _runs("Nơi nhận:", size=Pt(14)), "ô 9b", "distribution.size"),
    ("items size", _runs("- Như trên", size=Pt(13)), "ô 9b", "distribution.items.size"),
    ("luu without colon", _set_text("- Lưu:", "- Lưu VP, CAX."), "ô 9b", "archive.colon"),
    ("luu without period", _set_text("- Lưu:", "- Lưu: VT, VP (2)"), "ô 9b", "archive.period"),
    ("luu missing", _set_text("- Lưu:", "- Sở Tài chính."), "ô 9b", "archive.missing"),
    ("TM without dot", _set_text("TM.", "TM BAN CHỈ ĐẠO"), "ô 7a", "signature.prefix"),
    ("K/T slash", _set_text("TM.", "K/T CHỦ TỊCH"), "ô 7a", "signature.prefix"),
    ("authority upright", _runs("TM.", bold=False), "ô 7a", "signature.bold"),
]


class TestBrokenDocuments:
    def test_clean_document_has_no_violation(self):
        """The unbroken document is clean."""
        assert check_docx(_clean()) == []

    @pytest.mark.parametrize(
        ("edit", "box", "rule"), [b[1:] for b in BREACHES], ids=[b[0] for b in BREACHES]
    )
    def test_breach_is_found(self, edit, box, rule):
        """Each deliberate breach is reported with its component (ô số) and rule."""
        found = check_docx(_edit(edit))
        assert any(v.box == box and v.rule == rule and v.severity == ERROR for v in found), found

    def test_foreign_word_document(self, tmp_path):
        """A plain python-docx document (Letter, Calibri, no header) is checked too."""
        doc = Document()
        doc.add_paragraph("Hà Nội, ngày 5 tháng 03 năm 2020")
        path = tmp_path / "foreign.docx"
        doc.save(path)
        rules = {v.rule for v in check_docx(path)}
        assert {
            "page.size",
            "page.margin.right",
            "font.family",
            "motto.missing",
            "number.missing",
            "date.day",
            "date.month",
            "date.italic",
            "distribution.missing",
        } <= rules

    def test_not_a_docx(self):
        """Garbage is reported, not raised."""
        assert check_docx(b"not a zip")[0].rule == "file.invalid"

    def test_warnings_do_not_count_as_errors(self):
        """A missing VT in the archive line is only a warning."""
        found = check_docx(_edit(_set_text("- Lưu:", "- Lưu: VP, CAX.")))
        assert [v.severity for v in found] == [WARNING]
