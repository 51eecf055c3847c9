"""Appendices, footnotes, real tables, headings, the new types, measured rules; bad input."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from doc_templates import layout
from doc_templates.body import blocks
from doc_templates.check import ERROR, check_docx
from doc_templates.errors import SpecError
from doc_templates.render import render_appendix_docx, render_docx
from doc_templates.spec import load_spec
from tests.doc_templates.conftest import FIXTURES, docx_paragraphs, docx_text, minimal

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DECISION = FIXTURES / "documents" / "004_quyet_dinh_phu_luc.yaml"


def _xml(data: bytes, part: str = "word/document.xml") -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read(part))


def _problems(**overrides) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        minimal("ke_hoach", **overrides)
    return dict(info.value.problems)


class TestBadInput:
    def test_row_longer_than_columns_names_the_row(self):
        """A structured table row with more cells than columns names tables.<key>.rows[i]."""
        problems = _problems(
            body="Bảng:\n\n[bảng: t]",
            tables={
                "t": {"columns": [{"title": "A"}, {"title": "B"}], "rows": [[1, 2], [1, 2, 3]]}
            },
        )
        assert "3 ô" in problems["tables.t.rows[1]"] and "2 cột" in problems["tables.t.rows[1]"]

    def test_span_counts_towards_the_row(self):
        """A cell spanning two columns counts as two."""
        problems = _problems(
            body="[bảng: t]",
            tables={"t": {"columns": [{}, {}], "rows": [[{"text": "x", "span": 2}, 1]]}},
        )
        assert "tables.t.rows[0]" in problems

    def test_pipe_row_longer_than_header(self):
        """A pipe-table row with more cells than the header row is an error on body."""
        problems = _problems(body="| A | B |\n|---|---|\n| 1 | 2 | 3 |")
        assert "hàng 2 (tính cả dòng tiêu đề) có 3 ô" in problems["body"]

    def test_footnote_marker_without_note(self):
        """[^2] with no footnotes.2 is an error naming the marker."""
        problems = _problems(body="Câu có chú thích[^2].", footnotes={"1": "Một."})
        assert "[^2]" in problems["body"]
        assert "footnotes.1" in problems  # and the unused note is named too

    def test_appendix_referenced_but_missing(self):
        """'Phụ lục III' in the body with two appendices is an error on body."""
        problems = _problems(
            body="Chi tiết tại Phụ lục I, Phụ lục II và Phụ lục III.",
            appendices=[{"title": "Một"}, {"title": "Hai"}],
        )
        assert "Phụ lục III" in problems["body"] and "2 phụ lục" in problems["body"]

    def test_own_appendix_referenced_without_any(self):
        """'Phụ lục I kèm theo Kế hoạch này' with no appendices is an error."""
        problems = _problems(body="Chi tiết tại Phụ lục I kèm theo Kế hoạch này.")
        assert "không có phụ lục nào" in problems["body"]

    @pytest.mark.parametrize(
        "body",
        [
            "Báo cáo theo Mẫu số 01 tại Phụ lục I ban hành kèm theo Nghị định số 30/2020/NĐ-CP.",
            "Thực hiện theo Phụ lục II của Bộ Nội vụ.",
        ],
    )
    def test_another_documents_appendix_is_not_an_error(self, body):
        """An appendix of a cited document is not one of ours."""
        assert minimal("ke_hoach", body=body).body == body

    def test_appendix_never_referenced(self):
        """An appendix the body does not mention is named (ND30: the body refers to each)."""
        problems = _problems(body="Không nhắc.", appendices=[{"title": "Một"}])
        assert "appendices[0]" in problems

    def test_sizes_are_bounded(self):
        """A table of 6,000 rows or 13 appendices is refused, naming the field."""
        problems = _problems(
            body="[bảng: t]", tables={"t": {"columns": [{}], "rows": [[1]] * 6000}}
        )
        assert "5000" in problems["tables.t.rows"]
        assert "12" in _problems(appendices=[{"title": "x"}] * 13)["appendices"]

    def test_unknown_table_reference(self):
        """[bảng: x] with no tables.x is an error on body."""
        assert "[bảng: x]" in _problems(body="[bảng: x]")["body"]


class TestBodyBlocks:
    def test_items_each_their_own_paragraph(self):
        """'1.', 'a)', 'II.' lines start paragraphs; a plain line joins; '\\' joins explicitly."""
        kinds = [
            (b.kind, b.text)
            for b in blocks("II. NHIỆM VỤ\n1. Mục đích\nNội dung\ntiếp.\na) một;\nb) hai\n\\2. nối")
        ]
        assert kinds == [
            ("item_title", "II. NHIỆM VỤ"),
            ("item_title", "1. Mục đích"),
            ("p", "Nội dung tiếp."),
            ("p", "a) một;"),
            ("p", "b) hai 2. nối"),
        ]

    def test_chapter_heading_and_title_centred_bold(self):
        """'Chương I' and the caps line after it are centred bold paragraphs."""
        data = render_docx(minimal("quy_che", body="Chương I\nQUY ĐỊNH CHUNG\nĐiều 1. Phạm vi.\n"))
        root = _xml(data)
        for text in ("Chương I", "QUY ĐỊNH CHUNG"):
            p = next(p for p in root.iter(f"{W}p") if "".join(p.itertext()) == text)
            assert p.find(f"{W}pPr/{W}jc").get(f"{W}val") == "center"
            assert p.find(f".//{W}b") is not None


class TestTables:
    def test_widths_merges_header_repeat_numbers_total(self):
        """The structured table: STT narrow, merged header cells, repeated header, vi numbers."""
        data = render_docx(load_spec(DECISION))
        root = _xml(data)
        table = next(t for t in root.iter(f"{W}tbl") if "Nhiệm vụ" in "".join(t.itertext()))
        grid = [int(c.get(f"{W}w")) for c in table.find(f"{W}tblGrid")]
        assert grid[0] == round(1.5 * 567) and grid[1] > 3 * grid[0]
        assert sum(grid) <= layout.TEXT_WIDTH_LANDSCAPE
        rows = table.findall(f"{W}tr")
        assert rows[0].find(f"{W}trPr/{W}tblHeader") is not None
        assert rows[1].find(f"{W}trPr/{W}tblHeader") is not None
        assert rows[2].find(f"{W}trPr/{W}tblHeader") is None
        assert rows[0].find(f".//{W}vMerge").get(f"{W}val") == "restart"
        text = "".join(table.itertext())
        assert "1.200,0" in text and "350,5" in text and "1.635,5" in text  # total row
        last = rows[-1]
        assert last.find(f".//{W}gridSpan").get(f"{W}val") == "4"

    def test_pipe_table_columns_sized_by_content(self):
        """An STT column of a pipe table is narrower than the text column; numbers right."""
        body = (
            "| STT | Chỉ tiêu | Số hộ |\n|---|---|---|\n"
            "| 1 | Hộ gia đình đạt chuẩn văn hóa | 2.474 |"
        )
        root = _xml(render_docx(minimal("bao_cao", body=body)))
        table = [t for t in root.iter(f"{W}tbl")][-2]  # header, body table, signature
        grid = [int(c.get(f"{W}w")) for c in table.find(f"{W}tblGrid")]
        assert grid[0] < grid[2] < grid[1]
        cells = table.findall(f"{W}tr")[1].findall(f"{W}tc")
        assert cells[2].find(f".//{W}jc").get(f"{W}val") == "right"


class TestAppendices:
    def test_same_file_sections_numbered_separately(self):
        """Each appendix opens a section restarting page numbers, landscape when asked."""
        data = render_docx(load_spec(DECISION))
        root = _xml(data)
        sections = list(root.iter(f"{W}sectPr"))
        assert len(sections) == 3  # main document, Phụ lục I, Phụ lục II
        starts = [s.find(f"{W}pgNumType") for s in sections]
        assert starts[0] is None and all(s.get(f"{W}start") == "1" for s in starts[1:])
        assert sections[2].find(f"{W}pgSz").get(f"{W}orient") == "landscape"
        assert all(s.find(f"{W}titlePg") is not None for s in sections)
        paras = docx_paragraphs(data)
        assert "Phụ lục I" in paras and "Phụ lục II" in paras
        assert (
            "(Kèm theo Quyết định số 1025/QĐ-UBND ngày 05 tháng 3 năm 2024 "
            "của Ủy ban nhân dân huyện Đăk Hà)" in paras
        )
        assert [v for v in check_docx(data) if v.severity == ERROR] == []

    def test_separate_file(self):
        """An appendix rendered as its own file carries only its heading block and content."""
        data = render_appendix_docx(load_spec(DECISION), 0)
        text = docx_text(data)
        assert text.lstrip().startswith("Phụ lục I")
        assert "QUYẾT ĐỊNH:" not in text and "Nơi nhận:" not in text

    def test_unnumbered_draft_leaves_blanks(self):
        """A draft without number and date leaves them blank in the Kèm theo line."""
        spec = minimal(
            "quyet_dinh",
            number=None,
            date=None,
            body="Điều 1. Ban hành kèm theo Phụ lục.",
            appendices=[{"title": "Danh sách"}],
        )
        paras = docx_paragraphs(render_docx(spec, today=__import__("datetime").date(2026, 1, 2)))
        assert any(p.startswith("(Kèm theo Quyết định số       /QĐ-SNV ngày") for p in paras)


class TestFootnotes:
    def test_footnote_in_a_table_cell(self):
        """A [^n] inside a pipe-table cell becomes a footnote reference too."""
        body = "| A | B |\n|---|---|\n| x[^1] | 2 |"
        data = render_docx(minimal("bao_cao", body=body, footnotes={1: "Ghi chú."}))
        assert b"footnoteReference" in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")


class TestTypes:
    @pytest.mark.parametrize(
        ("key", "name"),
        [
            ("nghi_quyet", "NGHỊ QUYẾT"),
            ("bien_ban", "BIÊN BẢN"),
            ("giay_gioi_thieu", "GIẤY GIỚI THIỆU"),
            ("giay_uy_quyen", "GIẤY ỦY QUYỀN"),
            ("giay_nghi_phep", "GIẤY NGHỈ PHÉP"),
            ("phieu_gui", "PHIẾU GỬI"),
            ("phieu_chuyen", "PHIẾU CHUYỂN"),
        ],
    )
    def test_type_name_printed(self, key, name):
        """Each new type prints its type name and passes the checker."""
        data = render_docx(minimal(key))
        assert name in docx_paragraphs(data)
        assert [v for v in check_docx(data) if v.severity == ERROR] == []

    def test_resolution_uses_quyet_nghi(self):
        """A Nghị quyết enacts with 'QUYẾT NGHỊ:'."""
        assert "QUYẾT NGHỊ:" in docx_paragraphs(render_docx(minimal("nghi_quyet")))

    def test_minutes_layout(self):
        """Biên bản: no date line, time/place/participants, THƯ KÝ and CHỦ TỌA side by side."""
        paras = docx_paragraphs(render_docx(minimal("bien_ban")))
        assert "Thời gian bắt đầu: 08 giờ 00, ngày 16 tháng 12 năm 2022." in paras
        assert "Cuộc họp kết thúc vào 10 giờ 30, ngày 16 tháng 12 năm 2022./." in paras
        assert "THƯ KÝ" in paras and "CHỦ TỌA" in paras
        assert not any(p.startswith("Kon Tum, ngày") for p in paras)

    def test_letter_has_no_number(self):
        """Thư công prints no 'Số:' line."""
        paras = docx_paragraphs(render_docx(minimal("thu_cong")))
        assert not any(p.startswith("Số:") for p in paras)

    def test_optional_summary(self):
        """Giấy giới thiệu renders without a subject."""
        data = render_docx(minimal("giay_gioi_thieu", subject=""))
        assert "GIẤY GIỚI THIỆU" in docx_paragraphs(data)


class TestMeasuredLayout:
    def test_issuer_broken_without_a_lone_word(self):
        """A long issuer name is broken into even lines, none a single word."""
        name = "BAN CHỈ ĐẠO PHÒNG, CHỐNG TỘI PHẠM, TỆ NẠN XÃ HỘI TỈNH KON TUM"
        lines = layout.break_name(name, 12, bold=True).split("\n")
        assert len(lines) >= 2 and all(len(line.split()) >= 2 for line in lines)
        assert all(layout.text_width(line, 12, bold=True) <= layout.HEADER_TEXT for line in lines)

    def test_typed_break_is_kept(self):
        """A line break typed in the name stays (the way to force a break)."""
        assert layout.break_name("ỦY BAN NHÂN DÂN\nXÃ A", 12, bold=True) == "ỦY BAN NHÂN DÂN\nXÃ A"

    def test_rules_sized_from_the_text(self):
        """The rules under the issuer and the summary are 1/3–1/2 of the line above."""
        spec = load_spec(DECISION)
        root = _xml(render_docx(spec))
        for style, text, size, room in (
            (layout.ISSUER_RULE_STYLE, "HUYỆN ĐĂK HÀ", 12, layout.HEADER_TEXT),
            (layout.SUMMARY_RULE_STYLE, spec.subject, 14, layout.TEXT_WIDTH),
        ):
            p = next(s.getparent() for s in root.iter(f"{W}pStyle") if s.get(f"{W}val") == style)
            ind = p.find(f"{W}ind")
            rule = room - 2 * int(ind.get(f"{W}left"))
            longest = layout.longest(
                layout.break_lines(text, size, bold=True, width=room), size, bold=True
            )
            if style == layout.ISSUER_RULE_STYLE:
                longest = layout.longest("ỦY BAN NHÂN DÂN", size, bold=True)
            assert longest / 3 <= rule <= longest / 2 + 2


class TestNumbers:
    @pytest.mark.parametrize(
        "value", [0, 5, 15972, 1200.0, 350.5, -2474, 1234567.891, 0.899, 2.675, 0.125, 1.005]
    )
    @pytest.mark.parametrize("decimals", [0, 1, 2])
    def test_vi_numbers_as_babel(self, value, decimals):
        """Table numbers print exactly as Babel's locale vi would (dot groups, decimal comma)."""
        from babel.numbers import format_decimal, format_percent

        from doc_templates.tables import vi_number

        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        assert vi_number(value, decimals) == format_decimal(value, format=pattern, locale="vi")
        assert vi_number(value, decimals, percent=True) == format_percent(
            value, format=pattern + "%", locale="vi"
        )


class TestOverrides:
    def test_reserved_number_and_date(self):
        """Signing can reserve ô 3's number and the ô 4 line (escaped) and still get the
        finished document (footnotes, sections, measured rules)."""
        spec = load_spec(DECISION)
        blank = "\u2007" * 4
        data = render_docx(spec, overrides={"number": blank, "place_date": "Đăk Hà, <ngày>"})
        paras = docx_paragraphs(data)
        assert f"Số: {blank}/QĐ-UBND" in paras and "Đăk Hà, <ngày>" in paras
        assert len(list(_xml(data).iter(f"{W}sectPr"))) == 3
        with pytest.raises(KeyError):
            render_docx(spec, overrides={"body": "x"})
