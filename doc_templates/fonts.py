"""Which font LibreOffice will set "Times New Roman" in, and what a PDF actually embeds.

ND30 asks for Times New Roman. Debian cannot install it offline
(ttf-mscorefonts-installer downloads it), and LibreOffice then sets the
metric-compatible Liberation Serif: same widths and line breaks, different
letterforms. The converter says so when it starts, and ``congvan check --pdf``
says which font each PDF carries (docs/deploy.md: how to install the real font).
"""

from __future__ import annotations

import functools
import shutil
import subprocess

WANTED = "Times New Roman"
FALLBACK_NOTE = (
    "Máy chưa cài phông Times New Roman: LibreOffice dùng {font} (cùng số đo chữ, ngắt dòng "
    "như nhau, nhưng nét chữ khác). Cài phông thật theo docs/deploy.md (mục Phông Times New "
    "Roman) để PDF đúng Nghị định 30."
)


@functools.cache
def times_substitute() -> str | None:
    """The family fontconfig gives for Times New Roman; None when it is the real font.

    Returns "không rõ" when fontconfig is not there to ask.
    """
    if shutil.which("fc-match") is None:
        return "không rõ"
    try:
        family = subprocess.run(
            ["fc-match", "-f", "%{family}", WANTED],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "không rõ"
    families = [f.strip() for f in family.split(",")]
    return None if WANTED in families else (families[0] or "không rõ")


def fallback_note() -> str | None:
    """The Vietnamese statement to show when Times New Roman is missing, else None."""
    substitute = times_substitute()
    return None if substitute is None else FALLBACK_NOTE.format(font=substitute)


def family_of(base_font: str) -> str:
    """ "ABCDEF+LiberationSerif-Bold" -> "Liberation Serif"; "TimesNewRomanPS-BoldMT" -> "Times
    New Roman"."""
    name = base_font.lstrip("/")
    if len(name) > 7 and name[6] == "+":
        name = name[7:]
    name = name.split("-")[0].split(",")[0]
    if name.startswith("TimesNewRoman"):
        return WANTED
    if name.startswith("LiberationSerif"):
        return "Liberation Serif"
    return name
