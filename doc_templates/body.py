"""The body markup (ô 6) turned into WordprocessingML paragraphs and tables.

Markup, kept deliberately small so a clerk can type it:

- a blank line separates paragraphs; single line breaks inside a paragraph join with a space;
- a line starting with "- " or "+ " is its own paragraph and keeps its dash;
- ``**bold**``, ``*italic*`` and ``***both***`` inline; ``\\*`` prints a star;
- "Điều 5." at the start of a paragraph is set bold (ND30, Phần II.6);
- consecutive lines starting and ending with "|" form a table; a row of dashes
  (``|---|---|``) marks the rows above it as the bold header row.

Every piece of text is XML-escaped here; nothing the user types can become markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape as _escape

BODY_SIZE = 28  # half-points: 14 pt
TABLE_SIZE = 26  # 13 pt
FIRST_LINE = 567  # twips: 1 cm
SPACE_BEFORE = 120  # twips: 6 pt
LINE = 264  # 240ths of a line: 1.1 lines
TABLE_WIDTH = 9355  # twips: 16.5 cm text width

_STAR = "\ue000"  # a private-use stand-in for an escaped star while parsing
_INLINE = re.compile(
    r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*|\*\*(?=\S)(.+?)(?<=\S)\*\*|\*(?=\S)(.+?)(?<=\S)\*"
)
_ARTICLE = re.compile(r"^(Điều \d+[a-zđ]?\.)")
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


@dataclass(frozen=True)
class Run:
    """A piece of text with its inline style."""

    text: str
    bold: bool = False
    italic: bool = False


def parse_inline(text: str, *, bold: bool = False, italic: bool = False) -> list[Run]:
    """Split ``text`` into runs at ``**bold**`` / ``*italic*`` markers."""
    text = text.replace("\\*", _STAR)
    return [Run(r.text.replace(_STAR, "*"), r.bold, r.italic) for r in _inline(text, bold, italic)]


def _inline(text: str, bold: bool, italic: bool) -> list[Run]:
    runs: list[Run] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            runs.append(Run(text[pos : m.start()], bold, italic))
        if m.group(1) is not None:
            runs.extend(_inline(m.group(1), True, True))
        elif m.group(2) is not None:
            runs.extend(_inline(m.group(2), True, italic))
        else:
            runs.extend(_inline(m.group(3), bold, True))
        pos = m.end()
    if pos < len(text):
        runs.append(Run(text[pos:], bold, italic))
    return runs


def xml_text(text: str) -> str:
    """Escape text for a ``<w:t>``; braces become character references because
    docxtpl rewrites "{_{" and "}_}" in its output after rendering."""
    return _escape(text).replace("{", "&#123;").replace("}", "&#125;")


def _run_xml(run: Run, size: int) -> str:
    props = ("<w:b/><w:bCs/>" if run.bold else "") + ("<w:i/><w:iCs/>" if run.italic else "")
    return (
        f'<w:r><w:rPr>{props}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
        f'<w:t xml:space="preserve">{xml_text(run.text)}</w:t></w:r>'
    )


def paragraph_xml(text: str) -> str:
    """One body paragraph: justified, 1 cm first-line indent, 6 pt before."""
    runs = parse_inline(text)
    if runs and (m := _ARTICLE.match(runs[0].text)) and not runs[0].bold:
        first = runs[0]
        runs[0:1] = [
            Run(m.group(1), True, first.italic),
            Run(first.text[m.end() :], False, first.italic),
        ]
    ppr = (
        f'<w:pPr><w:spacing w:before="{SPACE_BEFORE}" w:after="0" w:line="{LINE}" '
        f'w:lineRule="auto"/><w:ind w:firstLine="{FIRST_LINE}"/><w:jc w:val="both"/></w:pPr>'
    )
    return f"<w:p>{ppr}{''.join(_run_xml(r, BODY_SIZE) for r in runs if r.text)}</w:p>"


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table_xml(lines: list[str]) -> str:
    """A bordered full-width table; rows above a ``|---|`` line are the bold header."""
    header_rows = 0
    rows: list[list[str]] = []
    for line in lines:
        if _SEPARATOR.match(line.strip()):
            header_rows = len(rows)
        else:
            rows.append(_cells(line))
    ncols = max(len(r) for r in rows)
    width = TABLE_WIDTH // ncols
    border = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    grid = "".join(f'<w:gridCol w:w="{width}"/>' for _ in range(ncols))
    out = [
        f'<w:tbl><w:tblPr><w:tblW w:w="{width * ncols}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>"
    ]
    for index, row in enumerate(rows):
        is_header = index < header_rows
        trpr = "<w:trPr><w:tblHeader/></w:trPr>" if is_header else ""
        out.append(f"<w:tr>{trpr}")
        for cell in row + [""] * (ncols - len(row)):
            numeric = bool(re.fullmatch(r"[\d.,%/\s-]+", cell))
            jc = "center" if is_header or numeric else "left"
            runs = "".join(
                _run_xml(r, TABLE_SIZE) for r in parse_inline(cell, bold=is_header) if r.text
            )
            out.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                f'<w:p><w:pPr><w:spacing w:before="40" w:after="40"/><w:jc w:val="{jc}"/></w:pPr>'
                f"{runs}</w:p></w:tc>"
            )
        out.append("</w:tr>")
    out.append("</w:tbl>")
    # A paragraph after a table keeps Word from gluing the next table onto it.
    return "".join(out)


def _is_table_line(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) > 1 and stripped.startswith("|") and stripped.endswith("|")


def blocks(text: str) -> list[tuple[str, object]]:
    """Split body text into ("p", text) and ("table", lines) blocks."""
    out: list[tuple[str, object]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        current: list[str] = []
        table: list[str] = []

        def flush_paragraph(current: list[str] = current) -> None:
            if current:
                out.append(("p", " ".join(current)))
                current.clear()

        for raw in chunk.split("\n"):
            line = raw.strip()
            if _is_table_line(line):
                flush_paragraph()
                table.append(line)
                continue
            if table:
                out.append(("table", list(table)))
                table.clear()
            if not line:
                continue
            if line.startswith(("- ", "+ ")):
                flush_paragraph()
            current.append(line)
        flush_paragraph()
        if table:
            out.append(("table", list(table)))
    return out


def body_xml(text: str) -> str:
    """The body as WordprocessingML (paragraphs and tables) ready for ``{{p body }}``."""
    parts = []
    for kind, value in blocks(text):
        if kind == "p":
            parts.append(paragraph_xml(value))  # type: ignore[arg-type]
        else:
            parts.append(table_xml(value))  # type: ignore[arg-type]
            parts.append('<w:p><w:pPr><w:spacing w:before="0" w:after="0"/></w:pPr></w:p>')
    return "".join(parts)
