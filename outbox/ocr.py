"""Scanned documents read with Tesseract's Vietnamese model (through pytesseract).

Two passes, so a clerk gets the incoming number without waiting for the whole page:

1. :func:`header_lines` reads only the top of page 1 — the issuer, «Số: …/…», the place
   and date, the «V/v …» summary or the type name and its summary — and gives its lines
   column by column (the header is two columns printed side by side).
2. :func:`text_layer` reads every page and returns a PDF with the page images and an
   invisible text layer (Tesseract's PDF renderer), plus the plain text, so the stored
   scan is searchable (pdftotext, the register search).

Pages come from images (.png, .jpg, .tiff, multi-page TIFF included) or from a scanned
PDF rasterised by poppler's pdftoppm. Sizes, pages and pixels are bounded: a hostile file
gets a Vietnamese error, never a long stall or a MemoryError.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from outbox.errors import IntakeError
from registry.text import nfc

if TYPE_CHECKING:
    from PIL.Image import Image

LANG = "vie"
DPI = 300
MAX_PAGES = 30
MAX_PIXELS = 60_000_000  # ≈ an A3 page at 600 dpi; more is not a scan of a công văn
MAX_BYTES = 80 * 1024 * 1024
HEADER_FRACTION = 0.36  # of page 1's height: header, number, date, summary (A4, ND30 layout)
TIMEOUT_S = 120
PARAGRAPH = "¶"  # in header_lines: a vertical gap inside a column
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def poppler_reason(stderr: bytes) -> str:
    """The last line poppler printed about a file it refused, at most 200 characters: a
    damaged file makes it print one line per bad byte, which no person should have to read."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "tệp hỏng hoặc không phải PDF"


@functools.cache
def available() -> bool:
    """Whether the tesseract program and its Vietnamese model are installed (asked once per
    process: it runs ``tesseract --list-langs``)."""
    if shutil.which("tesseract") is None:
        return False
    import pytesseract

    try:
        return LANG in pytesseract.get_languages(config="")
    except pytesseract.TesseractError:
        return False


def _require_tesseract() -> None:
    if not available():
        raise IntakeError("Cần Tesseract và mô hình tiếng Việt để đọc bản quét: cài gói Debian "
                          "tesseract-ocr và tesseract-ocr-vie (scripts/install-system.sh).")


def load_pages(data: bytes, suffix: str) -> list[Image]:
    """The pages of a scan as greyscale images (a PDF is rasterised at 300 dpi)."""
    from PIL import Image as PilImage

    if len(data) > MAX_BYTES:
        raise IntakeError(f"Tệp quét quá lớn ({len(data) // 1_048_576} MB; tối đa "
                          f"{MAX_BYTES // 1_048_576} MB): quét lại ở 200–300 dpi.")
    if suffix == ".pdf":
        return _rasterise(data)
    PilImage.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = PilImage.open(io.BytesIO(data))
        pages = []
        for index in range(min(getattr(image, "n_frames", 1), MAX_PAGES + 1)):
            image.seek(index)
            pages.append(image.convert("L"))
    except (OSError, ValueError, PilImage.DecompressionBombError) as error:
        raise IntakeError(f"Không đọc được ảnh quét «{suffix}»: {error}") from error
    if len(pages) > MAX_PAGES:
        raise IntakeError(f"Bản quét có hơn {MAX_PAGES} trang: tách thành nhiều tệp.")
    return pages


def _rasterise(data: bytes) -> list[Image]:
    from PIL import Image as PilImage

    if shutil.which("pdftoppm") is None:
        raise IntakeError("Cần pdftoppm (gói poppler-utils) để đọc bản quét PDF.")
    with tempfile.TemporaryDirectory(prefix="congvan-scan-") as folder:
        source = Path(folder) / "scan.pdf"
        source.write_bytes(data)
        try:
            result = subprocess.run(
                ["pdftoppm", "-r", str(DPI), "-gray", "-png", "-l", str(MAX_PAGES + 1),
                 str(source), str(Path(folder) / "page")],
                capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as error:
            raise IntakeError("Đọc bản quét PDF quá lâu: kiểm tra lại tệp.") from error
        if result.returncode != 0:
            raise IntakeError(f"Không đọc được tệp PDF: {poppler_reason(result.stderr)}")
        files = sorted(Path(folder).glob("page-*.png"))
        if len(files) > MAX_PAGES:
            raise IntakeError(f"Bản quét có hơn {MAX_PAGES} trang: tách thành nhiều tệp.")
        pages = []
        for file in files:
            with PilImage.open(file) as page:
                pages.append(page.convert("L"))
    if not pages:
        raise IntakeError("Tệp PDF không có trang nào.")
    return pages


@dataclass(frozen=True)
class _Word:
    text: str
    left: int
    top: int
    right: int
    bottom: int


def header_lines(page: Image) -> list[str]:
    """The lines of the top of ``page``: the left column, a blank line, the right column, a
    blank line, then lines that span the page (type name, summary), each top to bottom;
    :data:`PARAGRAPH` marks a vertical gap inside a column."""
    _require_tesseract()
    import pytesseract
    from PIL import ImageFilter

    width, height = page.size
    crop = page.crop((0, 0, width, max(1, int(height * HEADER_FRACTION))))
    # A 3×3 median removes a scanner's speckle (salt-and-pepper) that otherwise hides the
    # header from Tesseract; strokes of 13-pt text at 200–300 dpi survive it.
    crop = crop.filter(ImageFilter.MedianFilter(3))
    try:
        data = pytesseract.image_to_data(crop, lang=LANG, config=f"--dpi {DPI}",
                                         output_type=pytesseract.Output.DICT, timeout=TIMEOUT_S)
    except RuntimeError as error:  # pytesseract's timeout
        raise IntakeError("Đọc bản quét quá lâu: quét lại rõ hơn hoặc nhập các trường.") from error
    return _columns(_lines(data), width)


def _lines(data: dict[str, list[object]]) -> list[list[_Word]]:
    lines: dict[tuple[int, int, int], list[_Word]] = {}
    for k, text in enumerate(data["text"]):
        if not str(text).strip():
            continue
        key = (int(str(data["block_num"][k])), int(str(data["par_num"][k])),
               int(str(data["line_num"][k])))
        left, top = int(str(data["left"][k])), int(str(data["top"][k]))
        lines.setdefault(key, []).append(_Word(
            nfc(str(text)), left, top, left + int(str(data["width"][k])),
            top + int(str(data["height"][k]))))
    return [sorted(words, key=lambda w: w.left) for words in lines.values()]


def _segments(words: Sequence[_Word]) -> list[list[_Word]]:
    """Split a printed line where the gap between words is wide: two columns side by side."""
    height = max(w.bottom - w.top for w in words)
    parts = [[words[0]]]
    for previous, word in zip(words, words[1:], strict=False):
        if word.left - previous.right > 2.5 * height:
            parts.append([])
        parts[-1].append(word)
    return parts


def _columns(lines: list[list[_Word]], width: int) -> list[str]:
    columns: tuple[list[_Word], ...] = ([], [], [])  # left, right, spanning: first word + text
    texts: dict[int, str] = {}
    for words in lines:
        for part in _segments(words):
            start, end = part[0].left, part[-1].right
            box = _Word("", start, min(w.top for w in part), end, max(w.bottom for w in part))
            texts[id(box)] = " ".join(w.text for w in part)
            # By the centre: the left column sits near 0.28 of the width, the right one near
            # 0.69, a centred title (BÁO CÁO) or a body line near 0.54 (margins 30/15 mm).
            centre = (start + end) / 2 / width
            index = 0 if centre < 0.42 and end <= width * 0.58 else \
                1 if centre > 0.62 and start >= width * 0.42 else 2
            columns[index].append(box)
    out: list[str] = []
    for column in columns:
        previous: _Word | None = None
        for box in sorted(column, key=lambda b: b.top):
            # A gap taller than a line starts a new paragraph (the V/v summary ends there).
            if previous is not None and box.top - previous.bottom > 0.9 * (
                    previous.bottom - previous.top):
                out.append(PARAGRAPH)
            out.append(texts[id(box)])
            previous = box
        out.append("")
    return out


@dataclass(frozen=True)
class TextLayer:
    """A scan made searchable: the PDF (page images + invisible text) and its plain text."""

    pdf: bytes
    text: str


def text_layer(pages: Sequence[Image]) -> TextLayer:
    """Every page read; one PDF with the text layer, and the text (pages split by form feeds)."""
    _require_tesseract()
    import pytesseract
    from PIL import ImageFilter

    with tempfile.TemporaryDirectory(prefix="congvan-ocr-") as folder:
        names = []
        for index, page in enumerate(pages):
            name = Path(folder) / f"page-{index:03d}.png"
            page.filter(ImageFilter.MedianFilter(3)).save(name, dpi=(DPI, DPI))
            names.append(str(name))
        listing = Path(folder) / "pages.txt"
        listing.write_text("\n".join(names) + "\n", encoding="utf-8")
        try:
            pdf, text = pytesseract.run_and_get_multiple_output(
                str(listing), extensions=["pdf", "txt"], lang=LANG,
                timeout=TIMEOUT_S * len(names))
        except pytesseract.TesseractError as error:
            raise IntakeError(f"Tesseract không đọc được bản quét: {error}") from error
        except RuntimeError as error:  # pytesseract's timeout
            raise IntakeError("Đọc toàn văn bản quét quá lâu; số đến đã cấp, lớp chữ chưa có."
                              ) from error
    return TextLayer(pdf=bytes(pdf), text=nfc(str(text)))
