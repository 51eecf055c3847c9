"""The body markup (ô 6) turned into WordprocessingML paragraphs, tables and footnotes.

Markup, kept deliberately small so a clerk can type it the way they type in Word:

- a blank line separates paragraphs, and so does a line ending a sentence (".", ":",
  ";", "!", "?"); other line breaks join lines into one paragraph (text wrapped by
  hand), except that a line starting a numbered or lettered item ("1.", "1.2.", "a)",
  "đ.", "II."), an article ("Điều 5."), a heading ("Chương II", "Mục 1") or a dash item
  ("- ", "+ ") always starts its own paragraph;
- a line starting with ``\\`` is joined to the line above (the explicit join: "\\1. …"
  continues the paragraph instead of starting item 1);
- ``# text`` is a centred bold heading line; "Phần/Chương/Mục/Tiểu mục <số>" lines are
  headings by themselves, and an all-caps line right after one is its title (ND30 Phần II.6);
- "I.", "II." (Roman) section lines are bold; "Điều 5." at the start of a paragraph is bold;
- ``**bold**``, ``*italic*`` and ``***both***`` inline; ``\\*`` prints a star;
- ``[^1]`` is a footnote reference; its text is ``footnotes: {1: …}`` of the spec;
- consecutive lines starting and ending with "|" form a table; a row of dashes
  (``|---|---|``) marks the rows above it as the header, repeated on every page;
- a line ``[bảng: key]`` places the structured table ``tables: {key: …}`` of the spec;
- a line ``[ngắt trang]`` starts a new page.

Every piece of text is XML-escaped here; nothing the user types can become markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as _escape

from doc_templates.tables import (
    LANDSCAPE_WIDTH,
    PORTRAIT_WIDTH,
    TableSpec,
    is_separator,
    pipe_problems,
    pipe_table,
    table_xml,
)

BODY_SIZE = 28  # half-points: 14 pt
TABLE_SIZE = 26  # 13 pt
FIRST_LINE = 567  # twips: 1 cm
SPACE_BEFORE = 120  # twips: 6 pt
LINE = 264  # 240ths of a line: 1.1 lines
TABLE_WIDTH = PORTRAIT_WIDTH  # twips: 16.5 cm text width
FOOTNOTE_SIZE = 24  # 12 pt
# A 1 pt paragraph: after a table (Word glues consecutive tables) and for section breaks,
# so it never pushes a blank page of its own after a table that fills the page.
_TINY_PPR = (
    '<w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>'
    '<w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr>'
)
TINY_PARAGRAPH = f"<w:p><w:pPr>{_TINY_PPR}</w:pPr></w:p>"

_STAR = "\ue000"  # a private-use stand-in for an escaped star while parsing
_INLINE = re.compile(
    r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*|\*\*(?=\S)(.+?)(?<=\S)\*\*|\*(?=\S)(.+?)(?<=\S)\*"
)
_MARKUP = re.compile(r"[*\[\\]")  # a star, a bracket or a backslash: inline markup to parse
_FOOTNOTE = re.compile(r"\[\^([^\]\s]{1,20})\]")
_ARTICLE = re.compile(r"^(Điều \d+[a-zđ]?\.)")
_ROMAN = r"[IVXLC]+"
_HEADING = re.compile(rf"^(Phần|Chương|Mục|Tiểu mục)\s+({_ROMAN}|\d+)\b\.?(?:\s*[:.-]?\s*)(.*)$")
_SECTION = re.compile(rf"^{_ROMAN}\.\s")
_ITEM = re.compile(r"^(\d+(\.\d+)*[.)]|[a-zđ][.)])\s")
_TABLE_REF = re.compile(r"^\[\s*bảng\s*:\s*([^\]]+?)\s*\]$", re.IGNORECASE)
_PAGE_BREAK = re.compile(r"^\[\s*ngắt trang\s*\]$", re.IGNORECASE)


@dataclass(frozen=True)
class Run:
    """A piece of text with its inline style (``footnote``: a reference mark, no text)."""

    text: str
    bold: bool = False
    italic: bool = False
    footnote: str | None = None


def parse_inline(text: str, *, bold: bool = False, italic: bool = False) -> list[Run]:
    """Split ``text`` into runs at ``**bold**`` / ``*italic*`` markers and ``[^n]`` notes."""
    text = text.replace("\\*", _STAR)
    out: list[Run] = []
    for r in _inline(text, bold, italic):
        pos = 0
        for m in _FOOTNOTE.finditer(r.text):
            if m.start() > pos:
                out.append(Run(r.text[pos : m.start()], r.bold, r.italic))
            out.append(Run("", r.bold, r.italic, footnote=m.group(1)))
            pos = m.end()
        if pos < len(r.text):
            out.append(Run(r.text[pos:], r.bold, r.italic))
    return [Run(r.text.replace(_STAR, "*"), r.bold, r.italic, r.footnote) for r in out]


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


def footnote_markers(text: str) -> list[str]:
    """The footnote keys referenced in ``text`` (``[^1]``), in order, repeats kept."""
    return [m.group(1) for m in _FOOTNOTE.finditer(text.replace("\\*", _STAR))]


def table_refs(text: str) -> list[str]:
    """The keys of ``[bảng: key]`` lines in ``text``."""
    out = []
    for line in text.split("\n"):
        if m := _TABLE_REF.match(line.strip()):
            out.append(m.group(1))
    return out


# ------------------------------------------------------------------ blocks


@dataclass(frozen=True)
class Block:
    """One block of the body: a paragraph (with its role), a table, a page break."""

    kind: str  # "p", "heading", "title", "section", "item_title", "table", "table_ref", …
    text: str = ""
    lines: tuple[str, ...] = ()


def _is_heading(line: str) -> bool:
    """ "Chương I", "Mục 2. QUY ĐỊNH CHUNG": the word, its number, at most a title in caps
    ("Mục 2 của Kế hoạch này quy định …" is a sentence, not a heading)."""
    m = _HEADING.match(line)
    return m is not None and len(line) <= 80 and m.group(3) == m.group(3).upper()


def _starts_paragraph(line: str) -> bool:
    return bool(
        line.startswith(("- ", "+ ", "# "))
        or _ITEM.match(line)
        or _SECTION.match(line)
        or _ARTICLE.match(line)
        or _is_heading(line)
    )


def _is_title(line: str) -> bool:
    """A numbered, Roman or article line that is a title: short, no closing punctuation."""
    if line.startswith(("- ", "+ ")) or re.match(r"^[a-zđ][.)]\s", line):
        return False
    return len(line) <= 80 and not line.rstrip("*").endswith((".", ";", ":", ",", "!", "?"))


def _is_table_line(line: str) -> bool:
    return len(line) > 1 and line.startswith("|") and line.endswith("|")


def blocks(text: str) -> list[Block]:
    """Split body text into blocks (see the module docstring for the rules)."""
    out: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        current: list[str] = []
        table: list[str] = []
        after_heading = False

        def flush(current: list[str] = current) -> None:
            if current:
                out.append(_paragraph_block(" ".join(current)))
                current.clear()

        for raw in chunk.split("\n"):
            line = raw.strip()
            if _is_table_line(line):
                flush()
                table.append(line)
                continue
            if table:
                out.append(Block("table", lines=tuple(table)))
                table.clear()
            if not line:
                continue
            if line.startswith("\\") and not line.startswith("\\*"):
                current.append(line[1:].lstrip())
                continue
            if m := _TABLE_REF.match(line):
                flush()
                out.append(Block("table_ref", text=m.group(1)))
                continue
            if _PAGE_BREAK.match(line):
                flush()
                out.append(Block("page_break"))
                continue
            if after_heading and line == line.upper() and any(c.isalpha() for c in line):
                flush()
                out.append(Block("title", text=line))
                continue
            after_heading = False
            if _starts_paragraph(line):
                flush()
                if _is_heading(line):
                    out.append(Block("heading", text=line))
                    after_heading = True
                    continue
                if line.startswith("# "):
                    out.append(Block("heading", text=line[2:].strip()))
                    after_heading = True
                    continue
                if _is_title(line):
                    # "1. Mục đích", "II. NHIỆM VỤ", "Điều 2. Tổ chức thực hiện": a titled
                    # item stands on its own line, bold (ND30 Phần II.6)
                    out.append(Block("item_title", text=line))
                    continue
            current.append(line)
            if line.endswith((".", ":", ";", "!", "?")):
                flush()  # a line ending a sentence ends its paragraph (Enter in Word)
        flush()
        if table:
            out.append(Block("table", lines=tuple(table)))
    return out


def _paragraph_block(text: str) -> Block:
    if _SECTION.match(text):
        return Block("section", text=text)
    return Block("p", text=text)


def body_problems(
    text: str, footnotes: Mapping[str, str], tables: Mapping[str, TableSpec]
) -> list[str]:
    """Vietnamese messages for what the body refers to but does not exist (or cannot fit)."""
    problems = []
    for key in dict.fromkeys(footnote_markers(text)):
        if key not in footnotes:
            problems.append(
                f"chú thích [^{key}] không có nội dung; thêm footnotes: {{{key}: …}} "
                f"hoặc xoá dấu [^{key}]"
            )
    for key in table_refs(text):
        if key not in tables:
            known = ", ".join(tables) or "chưa có bảng nào"
            problems.append(f"[bảng: {key}] không có trong tables ({known})")
    number = 0
    for block in blocks(text):
        if block.kind == "table":
            number += 1
            for message in pipe_problems(list(block.lines)):
                problems.append(f"bảng thứ {number} trong nội dung: {message}")
    return problems


# ------------------------------------------------------------------ XML


@dataclass
class Writer:
    """Writes body blocks as XML, numbering footnotes in order of first reference."""

    footnotes: Mapping[str, str] = field(default_factory=dict)
    tables: Mapping[str, TableSpec] = field(default_factory=dict)
    footnote_ids: dict[str, int] = field(default_factory=dict)
    sections: list[dict[str, object]] = field(default_factory=list)
    current: dict[str, object] = field(
        default_factory=lambda: {"orient": "portrait", "restart": False}
    )

    def run_xml(self, run: Run, size: int) -> str:
        """One run: text with its style, or a footnote reference mark."""
        props = ("<w:b/><w:bCs/>" if run.bold else "") + ("<w:i/><w:iCs/>" if run.italic else "")
        sizes = f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
        if run.footnote is not None:
            number = self.footnote_ids.setdefault(run.footnote, len(self.footnote_ids) + 1)
            return (
                f'<w:r><w:rPr>{props}{sizes}<w:vertAlign w:val="superscript"/></w:rPr>'
                f'<w:footnoteReference w:id="{number}"/></w:r>'
            )
        return (
            f"<w:r><w:rPr>{props}{sizes}</w:rPr>"
            f'<w:t xml:space="preserve">{xml_text(run.text)}</w:t></w:r>'
        )

    def runs_xml(self, text: str, size: int, bold: bool = False, italic: bool = False) -> str:
        """The runs of ``text`` (inline markup and footnotes)."""
        if not _MARKUP.search(text):  # nothing to parse: one run
            return self.run_xml(Run(text, bold, italic), size) if text else ""
        runs = parse_inline(text, bold=bold, italic=italic)
        return "".join(self.run_xml(r, size) for r in runs if r.text or r.footnote is not None)

    def paragraph(self, text: str, *, keep_next: bool = False, literal: bool = False) -> str:
        """One body paragraph: justified, 1 cm first-line indent, 6 pt before.

        ``literal`` prints the text as typed (no inline markup, no footnote marks)."""
        plain = literal or not _MARKUP.search(text)
        runs = [Run(text)] if plain else parse_inline(text)
        if runs and (m := _ARTICLE.match(runs[0].text)) and not runs[0].bold:
            first = runs[0]
            runs[0:1] = [
                Run(m.group(1), True, first.italic),
                Run(first.text[m.end() :], False, first.italic),
            ]
        keep = "<w:keepNext/>" if keep_next else ""
        ppr = (
            f'<w:pPr>{keep}<w:spacing w:before="{SPACE_BEFORE}" w:after="0" w:line="{LINE}" '
            f'w:lineRule="auto"/><w:ind w:firstLine="{FIRST_LINE}"/><w:jc w:val="both"/></w:pPr>'
        )
        body = "".join(self.run_xml(r, BODY_SIZE) for r in runs if r.text or r.footnote)
        return f"<w:p>{ppr}{body}</w:p>"

    def centred(
        self,
        text: str,
        *,
        bold: bool = True,
        italic: bool = False,
        size: int = BODY_SIZE,
        before: int = SPACE_BEFORE,
        after: int = 0,
        keep_next: bool = True,
        literal: bool = False,
    ) -> str:
        """A centred line (headings, appendix heading block)."""
        keep = "<w:keepNext/>" if keep_next else ""
        ppr = (
            f'<w:pPr>{keep}<w:spacing w:before="{before}" w:after="{after}" w:line="240" '
            'w:lineRule="auto"/><w:jc w:val="center"/></w:pPr>'
        )
        runs = (
            self.run_xml(Run(text, bold, italic), size)
            if literal
            else self.runs_xml(text, size, bold, italic)
        )
        return f"<w:p>{ppr}{runs}</w:p>"

    def section_line(self, text: str) -> str:
        """A Roman-numbered section line: bold, indented like the body, kept with the next."""
        ppr = (
            f'<w:pPr><w:keepNext/><w:spacing w:before="{SPACE_BEFORE}" w:after="0" '
            f'w:line="{LINE}" w:lineRule="auto"/><w:ind w:firstLine="{FIRST_LINE}"/>'
            '<w:jc w:val="both"/></w:pPr>'
        )
        return f"<w:p>{ppr}{self.runs_xml(text, BODY_SIZE, bold=True)}</w:p>"

    def table(self, spec: TableSpec) -> str:
        """A table (on its own landscape pages when it asks for them) and a spacer line."""
        landscape = self.current["orient"] == "landscape"
        width = LANDSCAPE_WIDTH if landscape or spec.landscape else PORTRAIT_WIDTH
        xml = table_xml(spec, lambda text, size, bold: self.runs_xml(text, size, bold), width)
        if spec.landscape and not landscape:
            orient = str(self.current["orient"])
            return (
                self.end_section("landscape", restart=False)
                + xml
                + self.end_section(orient, restart=False)
            )
        return xml + TINY_PARAGRAPH

    def end_section(self, next_orient: str, *, restart: bool) -> str:
        """A paragraph ending the current section and starting one in ``next_orient``;
        ``restart`` starts its page numbers at 1 with none printed on its first page (an
        appendix). Page size, margins and headers are filled in after rendering."""
        self.sections.append(self.current)
        self.current = {"orient": next_orient, "restart": restart}
        return (
            f"<w:p><w:pPr>{_TINY_PPR}"
            '<w:sectPr><w:type w:val="nextPage"/></w:sectPr></w:pPr></w:p>'
        )

    def body(self, text: str, *, keep_last: bool = False) -> str:
        """The body as WordprocessingML, ready for ``{{p body }}``.

        ``keep_last`` keeps the last paragraph with what follows (the signature row), so
        the signature block never stands alone at the top of a page.
        """
        items = blocks(text)
        last_p = max((i for i, b in enumerate(items) if b.kind == "p"), default=-1)
        parts = []
        for index, block in enumerate(items):
            if block.kind == "p":
                parts.append(self.paragraph(block.text, keep_next=keep_last and index == last_p))
            elif block.kind == "heading":
                parts.append(self.centred(block.text))
            elif block.kind == "title":
                parts.append(self.centred(block.text, before=0))
            elif block.kind in {"section", "item_title"}:
                parts.append(self.section_line(block.text))
            elif block.kind == "table":
                parts.append(self.table(pipe_table(list(block.lines))))
            elif block.kind == "table_ref":
                parts.append(self.table(self.tables[block.text]))
            elif block.kind == "page_break":
                parts.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
        return "".join(parts)

    def footnotes_xml(self) -> bytes | None:
        """The footnotes part for the references written so far (None when there are none)."""
        if not self.footnote_ids:
            return None
        w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
        notes = [
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" '
            'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>',
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing '
            'w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/>'
            "</w:r></w:p></w:footnote>",
        ]
        sizes = f'<w:sz w:val="{FOOTNOTE_SIZE}"/><w:szCs w:val="{FOOTNOTE_SIZE}"/>'
        for key, number in self.footnote_ids.items():
            text = self.footnotes[key]
            runs = "".join(self.run_xml(r, FOOTNOTE_SIZE) for r in parse_inline(text) if r.text)
            notes.append(
                f'<w:footnote w:id="{number}"><w:p><w:pPr><w:spacing w:before="0" w:after="0" '
                f'w:line="240" w:lineRule="auto"/><w:ind w:firstLine="{FIRST_LINE}"/>'
                f'<w:jc w:val="both"/></w:pPr><w:r><w:rPr>{sizes}'
                '<w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
                f'<w:r><w:rPr>{sizes}</w:rPr><w:t xml:space="preserve"> </w:t></w:r>'
                f"{runs}</w:p></w:footnote>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:footnotes xmlns:w="{w}">{"".join(notes)}</w:footnotes>'
        ).encode()


def paragraph_xml(text: str) -> str:
    """One body paragraph (no footnotes known): kept for callers of the old API."""
    return Writer().paragraph(text)


def body_xml(text: str) -> str:
    """The body as WordprocessingML (paragraphs and tables) ready for ``{{p body }}``."""
    return Writer().body(text)


__all__ = [
    "Block",
    "Run",
    "Writer",
    "blocks",
    "body_problems",
    "body_xml",
    "footnote_markers",
    "is_separator",
    "paragraph_xml",
    "parse_inline",
    "table_refs",
    "xml_text",
]
