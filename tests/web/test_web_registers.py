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
