"""Find the signature block (title 7a, name 7b) on the rendered PDF page.

A box at fixed coordinates overlaps the body of longer documents (TRAPS.md), so
the box goes where the text is: poppler's ``pdftotext -bbox-layout`` gives every
line's position; the block is the name line and the nearest title line above it
on the last page that has both.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree

from signing.errors import SignatureBlockNotFound

_NS = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True)
class TextLine:
    """One line of text and its box in PDF user space (origin bottom left, points)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def centre_x(self) -> float:
        """Horizontal centre of the line."""
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class SignatureBlock:
    """Where the title and name lines are: page index (0-based) and the page's size."""

    page: int
    page_width: float
    page_height: float
    title: TextLine
    name: TextLine


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _bbox_page(pdf: bytes, page: int) -> Any:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise SignatureBlockNotFound(
            "Không có lệnh pdftotext để tìm khối chữ ký; hãy cài gói poppler-utils.")
    done = subprocess.run(
        [exe, "-bbox-layout", "-f", str(page + 1), "-l", str(page + 1), "-", "-"],
        input=pdf, capture_output=True, check=False, timeout=60,
    )
    if done.returncode != 0:
        raise SignatureBlockNotFound(
            f"pdftotext không đọc được trang {page + 1}: {done.stderr.decode(errors='replace')}")
    root = ElementTree.fromstring(done.stdout)
    return root.find(f".//{_NS}page")


def page_words(pdf: bytes, page: int) -> list[TextLine]:
    """Every word of the page with its box (``page`` is 0-based), in reading order."""
    page_el = _bbox_page(pdf, page)
    if page_el is None:
        return []
    height = float(page_el.get("height"))
    return [TextLine(text=w.text or "", x0=float(w.get("xMin")), x1=float(w.get("xMax")),
                     y0=height - float(w.get("yMax")), y1=height - float(w.get("yMin")))
            for w in page_el.iter(f"{_NS}word")]


def page_lines(pdf: bytes, page: int) -> tuple[float, float, list[TextLine]]:
    """The page's width, height and text lines (``page`` is 0-based)."""
    page_el = _bbox_page(pdf, page)
    if page_el is None:
        return 0.0, 0.0, []
    height = float(page_el.get("height"))
    lines = []
    for line in page_el.iter(f"{_NS}line"):
        words = [w.text or "" for w in line.iter(f"{_NS}word")]
        lines.append(TextLine(
            text=" ".join(words),
            x0=float(line.get("xMin")), x1=float(line.get("xMax")),
            # pdftotext measures from the top; PDF user space from the bottom.
            y0=height - float(line.get("yMax")), y1=height - float(line.get("yMin")),
        ))
    return float(page_el.get("width")), height, lines


def _pair(lines: list[TextLine], title: str, name: str) -> tuple[TextLine, TextLine] | None:
    names = sorted((ln for ln in lines if _key(ln.text) == name), key=lambda ln: ln.y0)
    for name_line in names:
        above = [
            ln for ln in lines
            if _key(ln.text) == title and ln.y0 >= name_line.y1
            and ln.x0 < name_line.x1 and name_line.x0 < ln.x1
        ]
        if above:
            return min(above, key=lambda ln: ln.y0 - name_line.y1), name_line
    return None


def find_signature_block(pdf: bytes, *, title: str, name: str, page_count: int) -> SignatureBlock:
    """The last page's title line (the last line of ``title``) and the ``name`` line under it.

    Lines are compared after NFC normalisation, ignoring case and runs of spaces.
    Raises :class:`SignatureBlockNotFound` naming both strings when no page has them.
    """
    title_key = _key(title.strip().splitlines()[-1]) if title.strip() else ""
    name_key = _key(name)
    if not title_key or not name_key:
        raise SignatureBlockNotFound("Cần chức vụ (ô 7a) và họ tên người ký (ô 7b) để đặt chữ ký.")
    for page in reversed(range(page_count)):
        width, height, lines = page_lines(pdf, page)
        found = _pair(lines, title_key, name_key)
        if found:
            return SignatureBlock(page=page, page_width=width, page_height=height,
                                  title=found[0], name=found[1])
    raise SignatureBlockNotFound(
        f"Không tìm thấy khối chữ ký: dòng chức vụ “{title.strip().splitlines()[-1]}” và, bên "
        f"dưới nó, dòng họ tên “{name}” không cùng có trên trang nào của tệp PDF; hãy kiểm tra "
        "chức vụ và họ tên người ký trùng với văn bản."
    )
