"""What a visible signature looks like (Decree 30, Phụ lục I, Part II).

Three appearances, one per case of ND30 §5:

- :class:`SignatureImage` — the competent person's signature: a blue PNG centred
  between the title (7a) and the name (7b).
- :class:`SealImage` — the organisation's signature on the main document: the red
  seal PNG at its real size, overlapping about a third of the signature image on
  its left.
- :class:`InfoLine` — the organisation's signature on an attachment in a separate
  file: no image, a 10 pt black line at the top right of page 1 with the main
  document's number and symbol and the signing time (ISO 8601, +07:00).

The info line is drawn into an image with Pillow: pyHanko's default stamp font
garbles Vietnamese (TRAPS.md), and a Đ must come out right.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from signing.errors import AppearanceError

MM = 72 / 25.4  # PDF points per millimetre

_FONT_PATHS = {
    False: (
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    ),
    True: (
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    ),
}


@lru_cache(maxsize=2)
def serif_font(bold: bool = False) -> Path:
    """A Times-metric serif font with Vietnamese glyphs (Liberation Serif, else DejaVu Serif)."""
    for candidate in _FONT_PATHS[bold]:
        if Path(candidate).is_file():
            return Path(candidate)
    if shutil.which("fc-match"):
        pattern = "Liberation Serif:bold" if bold else "Liberation Serif"
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found and Path(found).is_file():
            return Path(found)
    raise AppearanceError(
        "Không tìm thấy phông Liberation Serif hoặc DejaVu Serif; hãy cài gói fonts-liberation2."
    )


@dataclass(frozen=True)
class PngImage:
    """A transparent PNG and the size it is printed at, in millimetres."""

    png: bytes
    width_mm: float
    height_mm: float

    @classmethod
    def from_png(cls, png: bytes, *, width_mm: float | None = None) -> PngImage:
        """Read a PNG; its size comes from ``width_mm`` or else from its DPI (pHYs)."""
        from PIL import Image

        try:
            with Image.open(io.BytesIO(png)) as img:
                width_px, height_px = img.size
                dpi = img.info.get("dpi", (300, 300))[0] or 300
                if img.format != "PNG":
                    raise AppearanceError("Hình ảnh chữ ký/con dấu phải là tệp PNG nền trong suốt.")
        except OSError as exc:
            raise AppearanceError(f"Không đọc được hình ảnh chữ ký/con dấu: {exc}") from exc
        if width_mm is None:
            width_mm = width_px / float(dpi) * 25.4
        return cls(png=png, width_mm=width_mm, height_mm=width_mm * height_px / width_px)

    @classmethod
    def from_file(cls, path: Path, *, width_mm: float | None = None) -> PngImage:
        """Read a PNG file (see :meth:`from_png`)."""
        return cls.from_png(Path(path).read_bytes(), width_mm=width_mm)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class SignatureImage:
    """The person's signature image, centred between ``title`` (7a) and ``name`` (7b)."""

    image: PngImage
    title: str
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", _nfc(self.title))
        object.__setattr__(self, "name", _nfc(self.name))


@dataclass(frozen=True)
class SealImage:
    """The organisation's seal at real size, over the left third of the signature image."""

    image: PngImage
    title: str
    name: str
    # How the person's signature image is sized when its field cannot be found in the PDF.
    signature_width_mm: float = 40.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", _nfc(self.title))
        object.__setattr__(self, "name", _nfc(self.name))


@dataclass(frozen=True)
class InfoLine:
    """The attachment info line: the main document's number/symbol and the signing time."""

    reference: str
    font_size_pt: float = 10.0
    right_margin_mm: float = 15.0
    top_margin_mm: float = 8.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "reference", _nfc(self.reference))

    def text(self, signing_time: datetime) -> str:
        """The line as printed, e.g. ``4267/BCĐ-NC, 2021-02-05T14:03:27+07:00``."""
        return f"{self.reference}, {signing_time.isoformat(timespec='seconds')}"


Appearance = SignatureImage | SealImage | InfoLine

_INFO_DPI = 600


def render_text_png(text: str, *, size_pt: float) -> PngImage:
    """Black upright serif text on a transparent background, at ``size_pt`` when printed."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(serif_font()), size=round(size_pt / 72 * _INFO_DPI))
    left, top, right, bottom = font.getbbox(text)
    ascent, descent = font.getmetrics()
    img = Image.new("LA", (math.ceil(right - min(left, 0)) + 2, ascent + descent), (0, 0))
    ImageDraw.Draw(img).text((-min(left, 0) + 1, 0), text, font=font, fill=(0, 255))
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(_INFO_DPI, _INFO_DPI))
    width_mm = img.width / _INFO_DPI * 25.4
    return PngImage(png=out.getvalue(), width_mm=width_mm,
                    height_mm=width_mm * img.height / img.width)
