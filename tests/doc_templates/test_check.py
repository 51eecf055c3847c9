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


def _doc(data: bytes, edit) -> bytes:
    doc = Document(io.BytesIO(data))
    edit(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _rules(data: bytes) -> set[str]:
    return {v.rule for v in check_docx(data)}


class TestStructureChecks:
    def test_body_sentence_starting_can_cu_is_not_a_basis(self):
        """A long body sentence starting 'Căn cứ' (upright, ending '.') is not a legal basis."""
        body = (
            "Căn cứ kết quả kiểm tra thực tế tại các đơn vị trong năm qua, Sở Nội vụ đề nghị các "
            "cơ quan, đơn vị tiếp tục rà soát, hoàn thiện hồ sơ theo đúng quy định hiện hành.\n\n"
            "Đoạn kết thúc văn bản./."
        )
        assert "bases.italic" not in _rules(render_docx(minimal("cong_van", body=body)))

    def test_upright_basis_in_the_bases_block(self):
        """A 'Căn cứ' line before 'QUYẾT ĐỊNH:' that is upright is an error."""
        data = _doc(render_docx(minimal("quyet_dinh")), _runs("Căn cứ", italic=False))
        assert "bases.italic" in _rules(data)

    def test_article_number_not_bold(self):
        """'Điều 2.' left upright is reported."""
        data = _doc(render_docx(minimal("quyet_dinh")), _runs("Điều 2.", bold=False))
        found = [v for v in check_docx(data) if v.rule == "article.bold"]
        assert found and "Điều 2." in found[0].message and found[0].severity == ERROR

    def test_appendix_heading_checked(self):
        """An appendix title not bold and a missing '(Kèm theo …)' line are reported."""
        spec = minimal(
            "quyet_dinh",
            body="Điều 1. Ban hành kèm theo Phụ lục.",
            appendices=[{"title": "Danh sách", "body": "Nội dung phụ lục."}],
        )
        clean = render_docx(spec)
        assert not {r for r in _rules(clean) if r.startswith("appendix")}
        broken = _doc(clean, _runs("Phụ lục", bold=False))

        def drop_attached(doc):
            for p in doc.paragraphs:
                if p.text.startswith("(Kèm theo"):
                    p._p.getparent().remove(p._p)

        assert "appendix.bold" in _rules(broken)
        assert "appendix.attached" in _rules(_doc(clean, drop_attached))

    def test_rule_lengths(self):
        """A summary rule as wide as the text column is reported; the measured one is not."""
        clean = render_docx(minimal("ke_hoach"))
        assert not {r for r in _rules(clean) if r.startswith("rule.")}

        def full_width(doc):
            for p in doc.paragraphs:
                if p.style.style_id == "CVRuleSummary":
                    p.paragraph_format.left_indent = Cm(0)
                    p.paragraph_format.right_indent = Cm(0)

        assert "rule.summary" in _rules(_doc(clean, full_width))

    def test_page_number_in_footer(self):
        """A PAGE field in the footer is reported (ND30: centred in the top margin)."""

        def move(doc):
            section = doc.sections[0]
            section.footer.is_linked_to_previous = False
            section.footer.paragraphs[0].text = "PAGE"

        assert "page.numbers.position" in _rules(_doc(_clean(), move))

    def test_footnote_reference_not_superscript(self):
        """A footnote reference printed at body size on the line is reported."""
        data = render_docx(
            minimal("bao_cao", body="Câu[^1] kết thúc./.", footnotes={1: "Ghi chú."})
        )
        assert not {r for r in _rules(data) if r.startswith("footnote")}
        w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

        def flatten(doc):
            for ref in doc.element.body.iter(f"{w}footnoteReference"):
                for align in ref.getparent().iter(f"{w}vertAlign"):
                    align.getparent().remove(align)

        broken = _doc(data, flatten)
        assert "footnote.reference" in _rules(broken)

    def test_signature_not_kept_with_body(self):
        """Without keep-with-next on the last body paragraph the checker warns."""

        def loose(doc):
            for p in doc.paragraphs:
                p.paragraph_format.keep_with_next = False

        assert "signature.keep" not in _rules(_clean())
        assert "signature.keep" in _rules(_doc(_clean(), loose))

    def test_table_header_not_repeated(self):
        """A bordered table whose header row does not repeat is reported."""
        body = "| A | B |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\nHết./."
        clean = render_docx(minimal("bao_cao", body=body))
        assert "table.header.repeat" not in _rules(clean)

        def no_repeat(doc):
            for table in doc.tables:
                for el in table._tbl.iter(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader"
                ):
                    el.getparent().remove(el)

        assert "table.header.repeat" in _rules(_doc(clean, no_repeat))
