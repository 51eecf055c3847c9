"""render_docx: literal user text, body markup, the Decree's blocks."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docx import Document

from doc_templates.render import BLANK_NUMBER, render_docx
from tests.doc_templates.conftest import docx_paragraphs, docx_text, minimal

NASTY = "Sở <Kon Tum> & {{ x }} {% if %} {_{ }_} </w:t></w:r><w:r><w:t>"


class TestLiteralText:
    @pytest.mark.parametrize("field", ["subject", "place", "body", "archive"])
    def test_markup_characters_print_literally(self, field):
        """<, &, {{ }}, {% %} and injected XML in any field print as typed."""
        data = render_docx(minimal("cong_van", **{field: NASTY}))
        Document(io.BytesIO(data))  # a valid package python-docx can open
        assert NASTY in docx_text(data).replace("\n", "")

    def test_lists_and_signature_print_literally(self):
        """Recipients, distribution, bases and signature lines are escaped too."""
        spec = minimal(
            "quyet_dinh",
            bases=[NASTY],
            distribution=[NASTY],
            recipients=[NASTY],
            signature={"title": NASTY, "name": NASTY},
            issuer={"name": NASTY, "code": "SNV"},
        )
        text = docx_text(render_docx(spec))
        assert text.count(NASTY) >= 4

    def test_vietnamese_is_unchanged(self):
        """Every Vietnamese letter survives exactly (NFC)."""
        letters = (
            "ăâđêôơư ĂÂĐÊÔƠƯ àảãáạ ằẳẵắặ ầẩẫấậ èẻẽéẹ ềểễếệ ìỉĩíị òỏõóọ ồổỗốộ ờởỡớợ "
            "ùủũúụ ừửữứự ỳỷỹýỵ Hoá"
        )
        assert letters in docx_text(render_docx(minimal("cong_van", body=letters)))


class TestBodyMarkup:
    def _body_runs(self, body: str):
        document = Document(io.BytesIO(render_docx(minimal("cong_van", body=body))))
        return document

    def test_paragraphs_dashes_and_inline_styles(self):
        """Blank lines split paragraphs, dashes stay, **bold** and *italic* become runs."""
        doc = self._body_runs(
            "Mở đầu **đậm** và *nghiêng* và ***cả hai***.\n\n- Gạch đầu dòng\n+ Dấu cộng\ntiếp dòng"
        )
        paras = {p.text: p for p in doc.paragraphs}
        first = paras["Mở đầu đậm và nghiêng và cả hai."]
        styles = {r.text: (bool(r.bold), bool(r.italic)) for r in first.runs}
        assert styles["đậm"] == (True, False)
        assert styles["nghiêng"] == (False, True)
        assert styles["cả hai"] == (True, True)
        assert "- Gạch đầu dòng" in paras
        assert "+ Dấu cộng tiếp dòng" in paras
        assert first.paragraph_format.first_line_indent is not None

    def test_escaped_star_and_lone_star(self):
        """\\* prints a star; an unmatched star stays literal."""
        doc = self._body_runs("5 \\* 3 và 2 * 4")
        assert any(p.text == "5 * 3 và 2 * 4" for p in doc.paragraphs)

    def test_article_number_is_bold(self):
        """'Điều 1.' at the start of a paragraph is bold, the rest upright."""
        doc = Document(io.BytesIO(render_docx(minimal("quyet_dinh"))))
        para = next(p for p in doc.paragraphs if p.text.startswith("Điều 1."))
        assert para.runs[0].text == "Điều 1." and para.runs[0].bold
        assert not para.runs[1].bold
        assert any(p.text == "QUYẾT ĐỊNH:" for p in doc.paragraphs)

    def test_pipe_table_becomes_a_word_table(self):
        """A pipe table becomes a Word table with a bold header row."""
        body = (
            "Kết quả:\n\n| Đơn vị | Số hộ | Tỷ lệ |\n|---|---|---|\n"
            "| Phường Ba Đình | 2.474 | 99,6% |\n| Xã Hà Lan | 1.916 | 100% |\n\nHết./."
        )
        doc = Document(io.BytesIO(render_docx(minimal("bao_cao", body=body))))
        tables = [t for t in doc.tables if t.rows[0].cells[0].text == "Đơn vị"]
        assert len(tables) == 1
        table = tables[0]
        assert [c.text for c in table.rows[1].cells] == ["Phường Ba Đình", "2.474", "99,6%"]
        assert table.rows[0].cells[1].paragraphs[0].runs[0].bold


class TestBlocks:
    def test_one_recipient_on_the_kinh_gui_line(self):
        """One recipient sits on the 'Kính gửi:' line, without a dash."""
        paras = docx_paragraphs(render_docx(minimal("cong_van", recipients=["Sở Tài chính"])))
        assert "Kính gửi: Sở Tài chính" in paras

    def test_many_recipients_one_per_line(self):
        """Several recipients: one per line, '-' first, ';' between and '.' last."""
        paras = docx_paragraphs(render_docx(minimal("cong_van", recipients=["A", "B", "C"])))
        assert "Kính gửi: - A;" in paras and " - B;" in paras and " - C." in paras

    @pytest.mark.parametrize(
        ("signature", "lines"),
        [
            ({"title": "CHỦ TỊCH", "name": "X"}, ["CHỦ TỊCH"]),
            (
                {
                    "authority": "TM.",
                    "on_behalf_of": "ỦY BAN NHÂN DÂN",
                    "title": "CHỦ TỊCH",
                    "name": "X",
                },
                ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
            ),
            (
                {
                    "authority": "KT.",
                    "on_behalf_of": "ỦY BAN NHÂN DÂN",
                    "for_title": "CHỦ TỊCH",
                    "title": "PHÓ CHỦ TỊCH",
                    "name": "X",
                },
                ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
            ),
            (
                {
                    "authority": "TL.",
                    "for_title": "BỘ TRƯỞNG",
                    "title": "CHÁNH VĂN PHÒNG",
                    "name": "X",
                },
                ["TL. BỘ TRƯỞNG", "CHÁNH VĂN PHÒNG"],
            ),
            (
                {
                    "authority": "TUQ.",
                    "for_title": "GIÁM ĐỐC",
                    "title": "TRƯỞNG PHÒNG",
                    "name": "X",
                },
                ["TUQ. GIÁM ĐỐC", "TRƯỞNG PHÒNG"],
            ),
            ({"authority": "Q.", "for_title": "GIÁM ĐỐC", "name": "X"}, ["Q. GIÁM ĐỐC"]),
        ],
    )
    def test_signature_stacking(self, signature, lines):
        """Authority prefixes stack TM. over KT./TL./TUQ./Q., then title, room, the name."""
        paras = docx_paragraphs(render_docx(minimal("cong_van", signature=signature)))
        start = paras.index(lines[0])
        assert paras[start : start + len(lines)] == lines
        after = paras[start + len(lines) :]
        assert after[:4] == ["", "", "", ""]  # room for the signature image and seal
        assert after[4] == "X"

    def test_distribution_ends_with_archive(self):
        """Nơi nhận items end with ';' and the list with '- Lưu: VT, … (n).'."""
        paras = docx_paragraphs(render_docx(minimal("cong_van")))
        start = paras.index("Nơi nhận:")
        assert paras[start + 1 : start + 4] == [
            "- Như trên;",
            "- Lưu trữ điện tử;",
            "- Lưu: VT, VP (2).",
        ]

    def test_draft_leaves_number_and_date_blank(self):
        """Without number and date the clerk finds blanks: 'Số:      /…' and 'ngày    tháng'."""
        paras = docx_paragraphs(render_docx(minimal("quyet_dinh", number=None, date="2022")))
        assert f"Số: {BLANK_NUMBER}/QĐ-SNV" in paras
        assert "Kon Tum, ngày    tháng    năm 2022" in paras

    def test_marks_and_address(self):
        """Urgency and secrecy stamps and the page-1 address footer are printed when given."""
        data = render_docx(
            minimal(
                "cong_van",
                urgency="HỎA TỐC",
                secrecy="MẬT",
                address="Số 1 Trần Hưng Đạo, TP Kon Tum; ĐT: 0260 3862 xxx",
            )
        )
        paras = docx_paragraphs(data)
        assert "HỎA TỐC" in paras and "MẬT" in paras and "KHẨN" not in paras
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            footers = "".join(
                archive.read(n).decode()
                for n in archive.namelist()
                if re.match(r"word/footer\d*\.xml", n)
            )
        assert "Trần Hưng Đạo" in footers

    def test_page_numbers_from_page_two(self):
        """The default header holds a centred PAGE field; page 1 has its own empty header."""
        doc = Document(io.BytesIO(render_docx(minimal("cong_van"))))
        section = doc.sections[0]
        assert section.different_first_page_header_footer
        assert "PAGE" in section.header._element.xml
        assert "PAGE" not in section.first_page_header._element.xml


class TestSubjectPrefix:
    def test_subject_typed_with_vv_is_not_doubled(self) -> None:
        """A công văn subject that already starts with "V/v" prints "V/v" once."""
        import io
        from pathlib import Path

        from docx import Document as Docx

        from doc_templates.render import render_docx
        from doc_templates.spec import load_spec

        fixtures = sorted(Path(__file__).parents[1].glob("fixtures/documents/*003*.yaml"))
        spec = load_spec(fixtures[0])
        spec = spec.model_copy(update={"subject": "V/v xây dựng mô hình"})
        doc = Docx(io.BytesIO(render_docx(spec)))
        text = "\n".join(p.text for t in doc.tables for r in t.rows for c in r.cells
                         for p in c.paragraphs)
        assert "V/v xây dựng mô hình" in text
        assert "V/v V/v" not in text
