"""Layout measured, not assumed: line breaks of names and the short rules ND30 draws.

Widths come from the advance widths of Liberation Serif (:mod:`doc_templates.metrics`),
which has the metrics of Times New Roman, so what is measured here is what Word and
LibreOffice set. All lengths are twips (1/20 pt).

- A name wider than its column is broken into the fewest lines, as even as possible,
  never leaving one word alone on a line (as a clerk breaks "ỦY BAN NHÂN DÂN / HUYỆN
  ĐĂK HÀ"); a line break typed in the name is kept (the way to force a break).
- The rule under the issuer's name and under the summary is 2/5 of the longest line
  above it (ND30: one third to one half of the text).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

from doc_templates.metrics import text_width_pt

TEXT_WIDTH = 9355  # A4 portrait: 210 mm - 30 mm - 15 mm
TEXT_WIDTH_LANDSCAPE = 14288  # 297 mm - 30 mm - 15 mm
CELL_MARGIN = 108  # Word's default left/right cell margin
HEADER_LEFT = 3855  # 6.8 cm: the issuer's column of the header table
HEADER_TEXT = HEADER_LEFT - 2 * CELL_MARGIN
RULE_SHARE = 0.4  # between 1/3 and 1/2
ISSUER_RULE_STYLE = "CVRuleIssuer"
SUMMARY_RULE_STYLE = "CVRuleSummary"


def text_width(text: str, size: float, *, bold: bool = False, italic: bool = False) -> int:
    """Width of one line of text in twips."""
    return round(text_width_pt(text, size, bold=bold, italic=italic) * 20)


def longest(text: str, size: float, *, bold: bool = False, room: int | None = None) -> int:
    """The longest line of ``text`` (lines split at "\\n"), capped at ``room`` when given."""
    widest = max((text_width(line, size, bold=bold) for line in text.split("\n")), default=0)
    return min(widest, room) if room else widest


def rule_length(line: int) -> int:
    """The rule under a line ``line`` twips long: 2/5 of it (ND30: 1/3 to 1/2)."""
    return round(line * RULE_SHARE)


def rule_inset(line: int, room: int) -> int:
    """Left/right indent that centres the rule for a ``line`` in a space ``room`` wide."""
    return max(0, (room - rule_length(min(line, room))) // 2)


def rule_xml(line: int, room: int) -> str:
    """A centred rule paragraph (a bottom border) sized for ``line`` within ``room``."""
    inset = rule_inset(line, room)
    return (
        '<w:p><w:pPr><w:keepNext/><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" '
        'w:color="000000"/></w:pBdr><w:spacing w:before="0" w:after="120" w:line="240" '
        f'w:lineRule="auto"/><w:ind w:left="{inset}" w:right="{inset}"/><w:jc w:val="center"/>'
        '<w:rPr><w:sz w:val="4"/><w:szCs w:val="4"/></w:rPr></w:pPr></w:p>'
    )


def break_name(name: str, size: float, *, bold: bool) -> str:
    """An issuer (or parent) name broken to fit the header column, lines kept as typed."""
    return break_lines(name, size, bold=bold, width=HEADER_TEXT)


def break_lines(text: str, size: float, *, bold: bool, width: int) -> str:
    """Each typed line of ``text`` that is wider than ``width`` broken into balanced lines."""
    if not text:
        return text
    return "\n".join(
        "\n".join(_balance(tuple(line.split()), size, bold, width)) if line.strip() else line
        for line in text.split("\n")
    )


# Words that open an administrative unit: a clerk breaks before them ("ỦY BAN NHÂN DÂN /
# HUYỆN ĐĂK HÀ"), and pairs a clerk never splits.
_UNIT_WORDS = {"TỈNH", "HUYỆN", "XÃ", "PHƯỜNG", "QUẬN", "THỊ", "THÀNH", "VÀ", "TRƯỜNG"}
_NO_SPLIT = {
    ("NHÂN", "DÂN"),
    ("ỦY", "BAN"),
    ("HỘI", "ĐỒNG"),
    ("THÀNH", "PHỐ"),
    ("THỊ", "TRẤN"),
    ("THỊ", "XÃ"),
    ("CHỈ", "ĐẠO"),
    ("BAN", "CHỈ"),
    ("SỞ", "NỘI"),
    ("NỘI", "VỤ"),
    ("CÔNG", "AN"),
    ("VĂN", "PHÒNG"),
}


@lru_cache(maxsize=512)
def _balance(words: tuple[str, ...], size: float, bold: bool, width: int) -> list[str]:
    """The fewest lines that fit ``width``; among those, the break a clerk makes: before the
    unit word ("HUYỆN", "XÃ" …), never inside "NHÂN DÂN", no word alone, lines even."""
    line = " ".join(words)
    if text_width(line, size, bold=bold) <= width or len(words) < 2:
        return [line]
    n = len(words)
    for count in range(2, min(n, 6) + 1):
        best: tuple[float, tuple[int, ...]] | None = None
        for cuts in combinations(range(1, n), count - 1):
            bounds = (0, *cuts, n)
            spans = list(zip(bounds, bounds[1:], strict=False))
            widths = [text_width(" ".join(words[a:b]), size, bold=bold) for a, b in spans]
            if max(widths) > width:
                continue
            if n >= 2 * count and any(b - a == 1 for a, b in spans):
                continue  # a single word alone on a line
            score = float(max(widths) - min(widths))
            for cut in cuts:
                pair = (words[cut - 1].upper(), words[cut].upper())
                if pair in _NO_SPLIT:
                    score += width
                after = tuple(w.upper() for w in words[cut : cut + 2])
                if pair[1] in _UNIT_WORDS and after not in _NO_SPLIT:
                    score -= width / 2
                if words[cut - 1].endswith(","):
                    score -= width / 4
            if best is None or score < best[0]:
                best = (score, cuts)
        if best is not None:
            bounds = (0, *best[1], n)
            return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    return [line]
