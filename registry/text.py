"""Vietnamese text on the way in: NFC, never re-spelled (Hoá stays Hoá)."""

from __future__ import annotations

import unicodedata
from typing import TypeVar

T = TypeVar("T")


def nfc(value: T) -> T:
    """NFC-normalise a string, or every string inside lists and dicts; other values pass through."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)  # type: ignore[return-value]
    if isinstance(value, list):
        return [nfc(v) for v in value]  # type: ignore[return-value]
    if isinstance(value, dict):
        return {k: nfc(v) for k, v in value.items()}  # type: ignore[return-value]
    return value


__all__ = ["nfc"]
