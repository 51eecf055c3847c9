"""Vietnamese formatting as Decree 30 wants it: dates, document numbers, figures.

Babel does numbers and percentages (decimal comma, dot grouping). Dates are our
own: Babel's long Vietnamese date ("25 tháng 7, 2019") is not the ND30 form.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal
from babel.numbers import format_percent as _babel_percent

LOCALE = "vi"
# Parsed once: given the string, Babel parses the locale identifier on every call — 3/4 of
# the cost of a number on the deadlines board's 100 rows (bench/web.py).
_VI = Locale.parse(LOCALE)


def nd30_date(date: dt.date) -> str:
    """Return the ND30 date phrase: day padded below 10, months 1–2 padded, 3–12 not.

    >>> nd30_date(dt.date(2020, 3, 5))
    'ngày 05 tháng 3 năm 2020'
    """
    month = f"{date.month:02d}" if date.month <= 2 else str(date.month)
    return f"ngày {date.day:02d} tháng {month} năm {date.year}"


def blank_date(year: int | None = None, month: int | None = None) -> str:
    """Return a draft date with blanks for the clerk: 'ngày    tháng    năm 2022'."""
    gap = "    "
    month_text = gap if month is None else f" {month:02d} " if month <= 2 else f" {month} "
    year_text = gap if year is None else f" {year}"
    return f"ngày{gap}tháng{month_text}năm{year_text}"


def place_date(place: str, date: dt.date | None) -> str:
    """Return the ô 4 line, e.g. 'Kon Tum, ngày 16 tháng 12 năm 2022'."""
    return f"{place}, {nd30_date(date) if date else blank_date()}"


@lru_cache(maxsize=8192, typed=True)
def format_number(n: int | float) -> str:
    """Format a number the Vietnamese way (Babel, locale vi): 15972 -> '15.972'.

    Memoised (typed, so 1 and 1.0 and True stay apart): pages repeat the same small counts."""
    return format_decimal(n, locale=_VI)


def format_percent(ratio: float, decimals: int = 1) -> str:
    """Format a ratio as a Vietnamese percentage: 0.899 -> '89,9%'."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return _babel_percent(ratio, format=pattern, locale=_VI)


def format_doc_number(n: int) -> str:
    """Format a document number: below 10 padded to two digits (05), others as is (149)."""
    if n < 1:
        raise ValueError("Số văn bản phải là số nguyên dương")
    return f"{n:02d}"
