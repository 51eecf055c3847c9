"""Tables of the body: column widths, merged cells, repeated header rows, vi number formats.

A table comes either from a pipe table typed in the body (``| a | b |``) or from a
structured ``tables:`` entry of the spec, referenced in the body by a line
``[bảng: key]``. Both end as a :class:`TableSpec` and are written by :func:`table_xml`.

Column widths: ``width`` in centimetres (``3.5``) or a share of the table (``"20%"``);
columns without one share the rest by their content, measured with the font metrics
(an "STT" column stays narrow, "Chỉ tiêu" gets the room). Numbers given as numbers
print the Vietnamese way (as Babel's locale vi: ``15.972``, ``89,9%``) and align right.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

from doc_templates.metrics import text_width_pt

PORTRAIT_WIDTH = 9355  # twips: A4 210 mm - 30 mm - 15 mm
LANDSCAPE_WIDTH = 14288  # twips: 297 mm - 30 mm - 15 mm
TABLE_SIZE = 26  # half-points: 13 pt
CELL_PADDING = 2 * 108 + 60  # twips: Word's cell margins and a little air
_NUMERIC = re.compile(r"^[+-]?[\d.,]+\s*%?$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Column(_Model):
    """One column: its title, width, alignment and number format."""

    title: str = ""
    width: float | str | None = None
    align: Literal["left", "center", "right", "both"] | None = None
    format: Literal["text", "number", "percent"] = "text"
    decimals: int = Field(default=0, ge=0, le=6)

    @field_validator("width")
    @classmethod
    def _width(cls, value: float | str | None) -> float | str | None:
        if isinstance(value, str):
            text = value.strip().replace(",", ".")
            if re.fullmatch(r"\d+(\.\d+)?%", text):
                share = float(text[:-1])
                if not 0 < share <= 100:
                    raise ValueError("tỷ lệ độ rộng cột phải trong khoảng 0–100%")
                return text
            if re.fullmatch(r"\d+(\.\d+)?(\s*cm)?", text):
                return float(text.removesuffix("cm").strip())
            raise ValueError("độ rộng cột: số cm (ví dụ 3.5) hoặc tỷ lệ (ví dụ '20%')")
        if value is not None and not 0.3 <= value <= 27:
            raise ValueError("độ rộng cột phải từ 0,3 đến 27 cm")
        return value


class Cell(_Model):
    """A cell that spans columns (``span``) or rows (``rowspan``), or is bold."""

    text: str | int | float | None = None
    span: int = Field(default=1, ge=1, le=63)
    rowspan: int = Field(default=1, ge=1, le=1000)
    bold: bool = False
    align: Literal["left", "center", "right", "both"] | None = None


CellValue = str | int | float | None | Cell


class Row(_Model):
    """A body row; ``total`` rows print bold."""

    cells: list[CellValue]
    total: bool = False


class TableSpec(_Model):
    """A table: columns, header rows (default: the column titles), body rows, options."""

    columns: list[Column] = Field(min_length=1, max_length=63)
    header: list[list[CellValue]] | None = Field(default=None, max_length=10)
    rows: list[list[CellValue] | Row] = Field(default=[], max_length=5000)
    total: str | None = None
    landscape: bool = False
    repeat_header: bool = True
    font_size: float = Field(default=13, ge=9, le=14)

    def header_rows(self) -> list[list[CellValue]]:
        """The header rows as given, or one row of column titles."""
        if self.header is not None:
            return self.header
        if any(c.title for c in self.columns):
            return [[c.title for c in self.columns]]
        return []

    def body_rows(self) -> list[Row]:
        """Rows as :class:`Row`, with the computed total row appended when asked for."""
        rows = [
            r if isinstance(r, Row) else Row.model_construct(cells=r, total=False)
            for r in self.rows
        ]
        if self.total:
            rows.append(self._total_row(rows))
        return rows

    def _total_row(self, rows: list[Row]) -> Row:
        sums: dict[int, float] = {}
        for row in rows:
            if row.total:
                continue
            for index, value in enumerate(row.cells):
                if index < len(self.columns) and self.columns[index].format != "text":
                    raw = value.text if isinstance(value, Cell) else value
                    if isinstance(raw, int | float) and not isinstance(raw, bool):
                        sums[index] = sums.get(index, 0) + raw
        first_number = min(sums) if sums else len(self.columns)
        label_span = max(1, first_number)
        cells: list[CellValue] = [Cell(text=self.total, span=label_span, bold=True)]
        for index in range(label_span, len(self.columns)):
            value = sums.get(index)
            if (
                isinstance(value, float)
                and value.is_integer()
                and self.columns[index].decimals == 0
            ):
                value = int(value)
            cells.append(value)
        return Row(cells=cells, total=True)

    def problems(self, path: str) -> list[tuple[str, str]]:
        """(field, message) for every row that does not fit the columns."""
        out: list[tuple[str, str]] = []
        ncols = len(self.columns)
        for name, rows in (("header", self.header or []), ("rows", self.rows)):
            cells_rows = [r.cells if isinstance(r, Row) else r for r in rows]
            for index, (_, used) in enumerate(layout(cells_rows, ncols)):
                if used > ncols:
                    out.append(
                        (
                            f"{path}.{name}[{index}]",
                            f"hàng có {used} ô (tính cả ô gộp) nhưng bảng có {ncols} cột; "
                            "bỏ bớt ô hoặc thêm cột trong columns",
                        )
                    )
        return out


class Placed(NamedTuple):
    """A cell placed on the grid (a light copy of :class:`Cell`, built per table row)."""

    text: Any = None
    span: int = 1
    rowspan: int = 1
    bold: bool = False
    align: str | None = None


_EMPTY = Placed()


def _placed(value: Any) -> Placed:
    if isinstance(value, Cell):
        return Placed(value.text, value.span, value.rowspan, value.bold, value.align)
    return Placed(value)


Slot = tuple[str, int, int, Placed]  # ("cell" | "continue", first column, span, cell)


def layout(rows: list[list[CellValue]], ncols: int) -> list[tuple[list[Slot], int]]:
    """Place each row's cells on the grid, skipping columns covered by a rowspan above.

    Returns per row its slots (short rows padded with empty cells) and the number of
    columns its own cells and the covered ones take (more than ``ncols``: the row is too long).
    """
    out: list[tuple[list[Slot], int]] = []
    covered: dict[int, tuple[int, int]] = {}  # first column -> (rows left, span)
    for cells in rows:
        queue = [_placed(c) for c in cells]
        slots: list[Slot] = []
        added: dict[int, tuple[int, int]] = {}
        col = used = 0
        while queue or col < ncols:
            if col in covered:
                span = covered[col][1]
                slots.append(("continue", col, span, _EMPTY))
                col += span
                continue
            if not queue:
                slots.append(("cell", col, 1, _EMPTY))
                col += 1
                continue
            cell = queue.pop(0)
            slots.append(("cell", col, cell.span, cell))
            if cell.rowspan > 1:
                added[col] = (cell.rowspan - 1, cell.span)
            col += cell.span
            used = col
        out.append((slots, used))
        covered = {k: (n - 1, w) for k, (n, w) in covered.items() if n > 1}
        covered.update(added)
    return out


# ------------------------------------------------------------------ pipe tables

_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def cells_of(line: str) -> list[str]:
    """The cells of a pipe-table line."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def is_separator(line: str) -> bool:
    """A ``|---|---|`` line (the rows above it are the header)."""
    return bool(_SEPARATOR.match(line.strip()))


def pipe_table(lines: list[str]) -> TableSpec:
    """A :class:`TableSpec` from pipe-table lines; numeric columns align right."""
    header_rows = 0
    rows: list[list[str]] = []
    for line in lines:
        if is_separator(line):
            header_rows = len(rows)
        else:
            rows.append(cells_of(line))
    ncols = len(rows[0]) if header_rows else max(len(r) for r in rows)
    head, body = rows[:header_rows], rows[header_rows:]
    columns = []
    for index in range(ncols):
        values = [r[index] for r in body if index < len(r) and r[index]]
        align: Literal["left", "center", "right", "both"] | None = None
        if values and all(_NUMERIC.match(v) for v in values):
            sequence = [str(n) for n in range(1, len(values) + 1)]
            align = "center" if values == sequence else "right"
        columns.append(Column(align=align))
    return TableSpec(
        columns=columns,
        header=[list(r) for r in head],
        rows=[list(r) for r in body],
    )


def pipe_problems(lines: list[str]) -> list[str]:
    """Vietnamese messages for pipe-table rows longer than the header row."""
    rows = [cells_of(line) for line in lines if not is_separator(line)]
    has_header = any(is_separator(line) for line in lines)
    if not has_header or not rows:
        return []
    ncols = len(rows[0])
    return [
        f"hàng {index + 1} (tính cả dòng tiêu đề) có {len(row)} ô nhưng dòng tiêu đề có {ncols} cột"
        for index, row in enumerate(rows)
        if len(row) > ncols
    ]


# ------------------------------------------------------------------ XML


def format_value(value: Any, column: Column) -> str:
    """A cell value as printed: numbers in the vi format of their column, text as typed."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None or kind is bool:
        return "" if value is None else str(value)
    if kind is int or kind is float:
        return vi_number(value, column.decimals, percent=column.format == "percent")
    return str(value)


@lru_cache(maxsize=4096)
def vi_number(value: float, decimals: int = 0, *, percent: bool = False) -> str:
    """Babel's vi format (dot groups, decimal comma: 1.200,5; 89,9%) without its per-call cost."""
    number = Decimal(str(value)) * (100 if percent else 1)
    number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    text = f"{number:,.{decimals}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text + ("%" if percent else "")


def _natural(texts: list[str], size: float) -> tuple[float, float]:
    """(longest word, longest line) of the texts in twips."""
    longest_word = longest_line = 0.0
    for text in texts:
        word, line = _measure(text, size)
        longest_word = max(longest_word, word)
        longest_line = max(longest_line, line)
    return longest_word + CELL_PADDING, longest_line + CELL_PADDING


@lru_cache(maxsize=8192)
def _measure(text: str, size: float) -> tuple[float, float]:
    word = line = 0.0
    for part in text.split("\n"):
        line = max(line, text_width_pt(part, size) * 20)
        for token in part.split():
            word = max(word, text_width_pt(token, size, bold=True) * 20)
    return word, line


def column_widths(table: TableSpec, total: int, texts: list[list[str]]) -> list[int]:
    """Column widths in twips summing to ``total``: given widths first, the rest by content."""
    ncols = len(table.columns)
    fixed: dict[int, float] = {}
    for index, column in enumerate(table.columns):
        if isinstance(column.width, str):
            fixed[index] = total * float(column.width[:-1]) / 100
        elif column.width is not None:
            fixed[index] = column.width * 567
    free = [i for i in range(ncols) if i not in fixed]
    remaining = max(0.0, total - sum(fixed.values()))
    if free:
        mins, maxs = {}, {}
        for i in free:
            mins[i], maxs[i] = _natural(texts[i], table.font_size)
        smin, smax = sum(mins.values()), sum(maxs.values())
        for i in free:
            if smax <= remaining:
                fixed[i] = maxs[i] * remaining / smax if smax else remaining / len(free)
            elif smin >= remaining:
                fixed[i] = mins[i] * remaining / smin
            else:
                fixed[i] = mins[i] + (maxs[i] - mins[i]) * (remaining - smin) / (smax - smin)
    elif fixed and sum(fixed.values()) > total:
        scale = total / sum(fixed.values())
        fixed = {i: w * scale for i, w in fixed.items()}
    widths = [int(fixed[i]) for i in range(ncols)]
    if sum(widths) < total and not any(c.width is not None for c in table.columns):
        widths[-1] += total - sum(widths)
    return widths


def _column_texts(table: TableSpec, body: list[Row]) -> list[list[str]]:
    texts: list[list[str]] = [[] for _ in table.columns]
    for row in body:
        for index, value in enumerate(row.cells):
            if index < len(texts) and not (isinstance(value, Cell) and value.span > 1):
                raw = value.text if isinstance(value, Cell) else value
                texts[index].append(format_value(raw, table.columns[index]))
    for row_values in table.header_rows():
        for index, value in enumerate(row_values):
            if index < len(texts) and not (isinstance(value, Cell) and value.span > 1):
                raw = value.text if isinstance(value, Cell) else value
                # header words may wrap between words, never inside one: the header adds its
                # longest word (as measured: one word a line) to the column's needs
                texts[index].append("\n".join(str(raw or "").split()))
    return texts


def table_xml(table: TableSpec, run_xml: Any, width: int | None = None) -> str:
    """A bordered table; header rows bold, centred and repeated on every page.

    ``run_xml(text, size, bold)`` writes the runs of a cell's text (inline markup, footnotes).
    """
    total = width or (LANDSCAPE_WIDTH if table.landscape else PORTRAIT_WIDTH)
    body_rows = table.body_rows()
    widths = column_widths(table, total, _column_texts(table, body_rows))
    ncols = len(widths)
    size = int(table.font_size * 2)
    border = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    out = [
        f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" '
        'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>"
    ]
    header = table.header_rows()
    rows: list[tuple[list[CellValue], bool, bool]] = [(r, True, False) for r in header]
    rows += [(r.cells, False, r.total) for r in body_rows]
    placed = layout([r[0] for r in rows], ncols)
    for (_, is_header, is_total), (slots, _) in zip(rows, placed, strict=True):
        trpr = "<w:cantSplit/>"
        if is_header and table.repeat_header:
            trpr += "<w:tblHeader/>"
        out.append(f"<w:tr><w:trPr>{trpr}</w:trPr>")
        for kind, col, span, cell in slots:
            if col >= ncols:
                break
            span = min(span, ncols - col)
            cell_width = sum(widths[col : col + span])
            if kind == "continue":
                out.append(_cell(cell_width, span, "continue", "", "left"))
                continue
            column = table.columns[col]
            text = format_value(cell.text, column)
            align = cell.align or (
                "center" if is_header else column.align or _default_align(cell.text, column)
            )
            runs = run_xml(text, size, is_header or is_total or cell.bold)
            vmerge = "restart" if cell.rowspan > 1 else None
            out.append(_cell(cell_width, span, vmerge, runs, align))
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _default_align(value: Any, column: Column) -> str:
    if column.format != "text" or (isinstance(value, int | float) and not isinstance(value, bool)):
        return "right"
    return "left"


def _cell(width: int, span: int, vmerge: str | None, runs: str, align: str) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        props += "<w:vMerge/>"
    props += '<w:vAlign w:val="center"/>'
    return (
        f"<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:pPr>"
        f'<w:spacing w:before="40" w:after="40" w:line="240" w:lineRule="auto"/>'
        f'<w:jc w:val="{align}"/></w:pPr>{runs}</w:p></w:tc>'
    )
