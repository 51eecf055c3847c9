"""Chunks: a task handles a slice of units, never one task run per unit (TRAPS.md: Prefect
costs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
CHUNK = 500


def chunks(items: Sequence[T], size: int = CHUNK) -> list[list[T]]:
    """``items`` cut into lists of at most ``size``."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]
