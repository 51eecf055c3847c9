"""Vietnamese formatting: ND30 dates, Babel numbers, document numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from doc_templates.formatting import (
    blank_date,
    format_doc_number,
    format_number,
    format_percent,
    nd30_date,
    place_date,
)


class TestNd30Date:
    @pytest.mark.parametrize("month", range(1, 13))
    def test_every_month(self, month):
        """Months 1–2 are zero-padded, 3–12 are not; days below 10 are padded."""
        expected = f"0{month}" if month <= 2 else str(month)
        assert nd30_date(dt.date(2020, month, 5)) == f"ngày 05 tháng {expected} năm 2020"

    def test_decree_examples(self):
        """The examples of Phụ lục I print exactly."""
        assert nd30_date(dt.date(2016, 2, 1)) == "ngày 01 tháng 02 năm 2016"
        assert nd30_date(dt.date(2019, 6, 29)) == "ngày 29 tháng 6 năm 2019"
        assert place_date("Kon Tum", dt.date(2022, 12, 16)) == "Kon Tum, ngày 16 tháng 12 năm 2022"

    def test_blank_draft_date(self):
        """A draft leaves day and month blank for the clerk."""
        assert blank_date(2022) == "ngày    tháng    năm 2022"
        assert blank_date(2022, 6) == "ngày    tháng 6 năm 2022"
        assert blank_date(2022, 1) == "ngày    tháng 01 năm 2022"


class TestNumbers:
    def test_grouping_uses_dots(self):
        """Babel (vi) groups thousands with a dot."""
        assert format_number(15972) == "15.972"
        assert format_number(63264) == "63.264"

    def test_percent_uses_decimal_comma(self):
        """Percentages carry a decimal comma."""
        assert format_percent(0.899) == "89,9%"
        assert format_percent(0.996) == "99,6%"
        assert format_percent(1, decimals=0) == "100%"

    def test_document_numbers(self):
        """Numbers below 10 get one leading zero; others are printed as is."""
        assert [format_doc_number(n) for n in (1, 5, 10, 149, 1028)] == [
            "01",
            "05",
            "10",
            "149",
            "1028",
        ]
        with pytest.raises(ValueError):
            format_doc_number(0)
