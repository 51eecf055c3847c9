"""Registers: diacritics- and case-insensitive search, exact number/symbol, filters, .xlsx."""

from __future__ import annotations

import io

import pytest

from registry.search import fold
from tests.web.conftest import Web


class TestFold:
    @pytest.mark.parametrize(("text", "folded"), [
        ("Đôn đốc BÁO CÁO", "don doc bao cao"),
        ("Hoá  Thuỷ\nỶ", "hoa thuy y"),
        ("4267/BCĐ-NC", "4267/bcd-nc"),
        ("", ""),
    ])
    def test_fold_removes_marks_and_case(self, text: str, folded: str) -> None:
        """Every Vietnamese letter folds to its plain lower-case base."""
        assert fold(text) == folded

    def test_decomposed_input_folds_like_composed(self) -> None:
        """Text typed in NFD (some Mac keyboards) folds the same."""
        assert fold("Trie\u0302\u0309n khai") == fold("Triển khai") == "trien khai"


class TestSearch:
    @pytest.mark.parametrize("query", ["trien khai huong dan", "TRIỂN KHAI Hướng Dẫn",
                                       "22/hd-bca", "01/BCĐ-NC", "01/bcd-nc", "1/BCĐ-NC"])
    def test_finds_the_issued_letter_however_typed(self, web: Web, query: str) -> None:
        """Accented, unaccented, upper case, or the exact number/symbol all find it."""
        page = web.client.get("/so-dang-ky", params={"q": query}).text
        assert "01/BCĐ-NC" in page, query

    def test_every_word_must_match(self, web: Web) -> None:
        """A word that is in no document finds nothing."""
        page = web.client.get("/so-dang-ky", params={"q": "trien khai xyzzy"}).text
        assert "Không có văn bản nào khớp" in page

    def test_another_bodys_documents_are_never_found(self, web: Web) -> None:
        """The register is the organisation's own."""
        page = web.client.get("/so-dang-ky", params={"q": "sa thay noi bo"}).text
        assert "Không có văn bản nào khớp" in page

    def test_filters_and_htmx_fragment(self, web: Web) -> None:
        """Direction, year and status filter; an HTMX request gets the results only."""
        incoming = web.client.get("/so-dang-ky", params={"huong": "den"},
                                  headers={"HX-Request": "true"}).text
        assert "<html" not in incoming and "Không có văn bản nào khớp" in incoming
        issued = web.client.get("/so-dang-ky", params={"huong": "di", "nam": 2022,
                                                        "trang_thai": "issued"}).text
        assert "01/BCĐ-NC" in issued and "V/v báo cáo kết quả thực hiện" not in issued
        by_party = web.client.get("/so-dang-ky", params={"co_quan": "ban chi dao 138"}).text
        assert "01/BCĐ-NC" in by_party

    def test_like_wildcards_in_the_query_are_literal(self, web: Web) -> None:
        """% and _ typed in the box match themselves, not everything."""
        page = web.client.get("/so-dang-ky", params={"q": "%"}).text
        assert "Không có văn bản nào khớp" in page

    def test_xlsx_export(self, web: Web) -> None:
        """The outgoing register of 2022 downloads as a workbook with the letter in it."""
        from openpyxl import load_workbook

        answer = web.client.get("/so-dang-ky/xlsx", params={"huong": "di", "nam": 2022})
        assert answer.status_code == 200
        sheet = load_workbook(io.BytesIO(answer.content)).active
        assert sheet is not None
        values = [c.value for row in sheet.iter_rows() for c in row if c.value]
        assert any("01/BCĐ-NC" in str(v) for v in values)


class TestPages:
    def test_the_register_pages_by_fifty_newest_first(self, web: Web) -> None:
        """120 received letters: page 1 shows the newest 50 and links to page 2; the pages
        together are every letter once, in order; a search keeps its words across pages and
        a page past the end says so."""
        import datetime as dt
        import re

        from sqlalchemy import select

        from registry import db
        from registry.models import Direction, Document, DocumentStatus, Register

        with db.transaction() as s:
            register = s.scalar(select(Register).where(Register.code == "DEN"))
            assert register is not None
            for n in range(1, 121):
                s.add(Document(direction=Direction.INCOMING, doc_type="cong_van",
                               status=DocumentStatus.RECEIVED, register_id=register.id,
                               number=n, year=2023, subject=f"Về việc phân trang số {n:03d}",
                               sender_name="Công an huyện Đăk Hà", original_number=f"{n}/CAH",
                               original_date=dt.date(2023, 1, 1) + dt.timedelta(days=n)))

        def subjects(page: str) -> list[int]:
            return [int(m) for m in re.findall(r"phân trang số (\d{3})", page)]

        seen: list[int] = []
        for number in (1, 2, 3):
            page = web.client.get("/so-dang-ky", params={"q": "phan trang", "trang": number}
                                  ).text
            seen += subjects(page)
            assert ("trang=" + str(number + 1) in page) is (number < 3), number
        assert seen == list(range(120, 0, -1))
        first = web.client.get("/so-dang-ky", params={"q": "phan trang"}).text
        assert "q=phan+trang&amp;trang=2" in first and "Văn bản 1–50" in first
        assert len(subjects(first)) == 50
        past = web.client.get("/so-dang-ky", params={"q": "phan trang", "trang": 9}).text
        assert "Không còn văn bản nào ở trang này" in past
        assert web.client.get("/so-dang-ky", params={"trang": 0}).status_code == 422


class TestRefusedFilters:
    @pytest.mark.parametrize(("params", "words"), [
        ({"trang": "0"}, "query.trang: phải lớn hơn hoặc bằng 1"),
        ({"trang": "100001"}, "query.trang: phải nhỏ hơn hoặc bằng 100.000"),
        ({"trang": "hai"}, "query.trang: phải là một số nguyên"),
        ({"q": "a" * 201}, "query.q: dài quá 200 ký tự; hãy rút gọn"),
    ])
    def test_a_bad_filter_is_named_and_explained_in_vietnamese(
            self, web: Web, params: dict[str, str], words: str) -> None:
        """422 names the field and the fix in Vietnamese (the bound as Babel's vi prints it),
        with no English from the validator."""
        answer = web.client.get("/so-dang-ky", params=params)
        assert answer.status_code == 422
        assert words in answer.text and "Input should" not in answer.text
