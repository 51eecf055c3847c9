"""Demo signature and seal images for the demo CA (Pillow; transparent PNGs).

Both say DEMO so that a printout is never mistaken for a real signature or seal.
"""

from __future__ import annotations

import io
import math

from signing.appearance import serif_font

DPI = 300
BLUE = (20, 50, 170, 255)
RED = (215, 25, 30, 255)


def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def _png(img: object) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(DPI, DPI))  # type: ignore[attr-defined]
    return out.getvalue()


def draw_signature(name: str, *, width_mm: float = 40.0, height_mm: float = 18.0) -> bytes:
    """A blue handwritten-looking flourish with the name's initials, 40 × 18 mm."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = _px(width_mm), _px(height_mm)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    points = []
    for i in range(241):
        t = i / 240
        x = w * (0.06 + 0.88 * t)
        y = h * (0.55 - 0.28 * math.sin(t * 5.2 * math.pi) * (1 - 0.6 * t) - 0.1 * t)
        points.append((x, y))
    draw.line(points, fill=BLUE, width=max(3, w // 110), joint="curve")
    draw.line([(w * 0.12, h * 0.86), (w * 0.9, h * 0.74)], fill=BLUE, width=max(2, w // 160))
    initials = "".join(part[0] for part in name.split() if part)[-3:]
    font = ImageFont.truetype(str(serif_font(bold=True)), size=h // 4)
    draw.text((w * 0.97, h * 0.02), f"{initials} · DEMO", font=font, fill=BLUE, anchor="ra")
    return _png(img)


def draw_seal(organization: str, *, diameter_mm: float = 36.0) -> bytes:
    """A round red seal with ``organization`` around the rim and a star in the centre."""
    from PIL import Image, ImageDraw, ImageFont

    size = _px(diameter_mm)
    c = size / 2
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    ring = max(4, size // 45)
    draw.ellipse((ring / 2, ring / 2, size - ring / 2, size - ring / 2), outline=RED, width=ring)
    inner = size * 0.30
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=RED, width=ring // 2 + 1)
    star_r = size * 0.14
    star = [
        (c + (star_r if k % 2 == 0 else star_r * 0.4) * math.sin(k * math.pi / 5),
         c - 0.03 * size - (star_r if k % 2 == 0 else star_r * 0.4) * math.cos(k * math.pi / 5))
        for k in range(10)
    ]
    draw.polygon(star, fill=RED)
    small = ImageFont.truetype(str(serif_font(bold=True)), size=size // 16)
    draw.text((c, c + size * 0.17), "DEMO", font=small, fill=RED, anchor="mm")
    _draw_rim_text(img, organization.upper(), radius=size * 0.40, font_px=size // 12)
    return _png(img)


def _draw_rim_text(img: object, text: str, *, radius: float, font_px: int) -> None:
    """Write ``text`` clockwise along the rim, centred on the top of the circle."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(serif_font(bold=True)), size=font_px)
    c = img.size[0] / 2  # type: ignore[attr-defined]
    widths = [font.getlength(ch) for ch in text]
    spacing = font_px * 0.08
    arc = sum(widths) + spacing * len(text)
    span = min(arc / radius, math.radians(300))
    scale = span / (arc / radius)
    angle = -span / 2
    for ch, width in zip(text, widths, strict=True):
        step = (width + spacing) / radius * scale
        mid = angle + step / 2
        glyph = Image.new("RGBA", (font_px * 2, font_px * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((font_px, font_px), ch, font=font, fill=RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(mid), resample=Image.Resampling.BICUBIC)
        x = c + radius * math.sin(mid) - font_px
        y = c - radius * math.cos(mid) - font_px
        img.alpha_composite(glyph, (round(x), round(y)))  # type: ignore[attr-defined]
        angle += step
