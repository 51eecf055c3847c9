"""Where each appearance goes on the page: a page index and a box in PDF points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from signing.appearance import MM, InfoLine, PngImage, SealImage, SignatureImage, render_text_png
from signing.locate import SignatureBlock, find_signature_block

# Keep the image clear of the title and name lines.
_PAD = 2.0


@dataclass(frozen=True)
class Placement:
    """An image to draw and the box (x0, y0, x1, y1) on ``page`` it fills."""

    page: int
    box: tuple[float, float, float, float]
    image: PngImage


def _centred(cx: float, cy: float, w: float, h: float) -> tuple[float, float, float, float]:
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def signature_box(block: SignatureBlock, width_pt: float, height_pt: float) -> tuple[
        float, float, float, float]:
    """The signature image's box: centred between title and name, shrunk to fit the gap."""
    gap_top, gap_bottom = block.title.y0 - _PAD, block.name.y1 + _PAD
    column = 1.4 * max(block.title.x1 - block.title.x0, block.name.x1 - block.name.x0)
    scale = min(1.0, max(gap_top - gap_bottom, 1.0) / height_pt, column / width_pt)
    cx = (block.title.centre_x + block.name.centre_x) / 2
    return _centred(cx, (gap_top + gap_bottom) / 2, width_pt * scale, height_pt * scale)


def place_signature(appearance: SignatureImage, block: SignatureBlock) -> Placement:
    """The person's signature image between 7a and 7b."""
    img = appearance.image
    box = signature_box(block, img.width_mm * MM, img.height_mm * MM)
    return Placement(page=block.page, box=box, image=img)


def place_seal(appearance: SealImage, block: SignatureBlock,
               signature: tuple[float, float, float, float] | None) -> Placement:
    """The seal at real size, its right edge one third into the signature image.

    ``signature`` is the box of the person's signature field already in the file;
    without one, the box a signature image of ``signature_width_mm`` would take.
    """
    if signature is None:
        w = appearance.signature_width_mm * MM
        signature = signature_box(block, w, w / 2)
    sx0, sy0, sx1, sy1 = signature
    d_w, d_h = appearance.image.width_mm * MM, appearance.image.height_mm * MM
    right = sx0 + (sx1 - sx0) / 3
    cy = (sy0 + sy1) / 2
    return Placement(page=block.page, box=(right - d_w, cy - d_h / 2, right, cy + d_h / 2),
                     image=appearance.image)


def place_info_line(appearance: InfoLine, *, page_width: float, page_height: float,
                    signing_time: datetime) -> Placement:
    """The attachment info line, right-aligned in the top margin of page 1."""
    img = render_text_png(appearance.text(signing_time), size_pt=appearance.font_size_pt)
    x1 = page_width - appearance.right_margin_mm * MM
    y1 = page_height - appearance.top_margin_mm * MM
    return Placement(page=0, box=(x1 - img.width_mm * MM, y1 - img.height_mm * MM, x1, y1),
                     image=img)


def locate_block(pdf: bytes, appearance: SignatureImage | SealImage, page_count: int
                 ) -> SignatureBlock:
    """Find the block named by ``appearance`` (see :func:`signing.locate.find_signature_block`)."""
    return find_signature_block(pdf, title=appearance.title, name=appearance.name,
                                page_count=page_count)
