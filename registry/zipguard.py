"""The one check of an uploaded .xlsx (a zip) before openpyxl reads it: too large, not a zip,
a broken zip, too many members, or a zip bomb — decided from the zip directory alone, nothing
inflated. Callers (reporting.xlsx for the report forms, records.plan for file plans) turn the
finding into their own Vietnamese message, as their limits and wording differ."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ZipProblem:
    """Why the bytes are refused, with the figures the message names."""

    kind: Literal["size", "not_zip", "broken", "members", "bomb"]
    size: int = 0
    members: int = 0
    declared: int = 0
    compressed: int = 1
    detail: str = ""

    @property
    def ratio(self) -> int:
        """Declared (uncompressed) bytes per compressed byte, rounded down."""
        return self.declared // self.compressed


def zip_problem(data: bytes, *, max_bytes: int, max_members: int, max_uncompressed: int,
                max_ratio: int) -> ZipProblem | None:
    """The first problem of ``data`` as an .xlsx upload, or None when it may be opened."""
    if len(data) > max_bytes:
        return ZipProblem("size", size=len(data))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return ZipProblem("not_zip", size=len(data))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        return ZipProblem("broken", size=len(data), detail=str(exc))
    declared = sum(m.file_size for m in members)
    compressed = sum(m.compress_size for m in members) or 1
    if len(members) > max_members:
        return ZipProblem("members", len(data), len(members), declared, compressed)
    if declared > max_uncompressed or declared / compressed > max_ratio:
        return ZipProblem("bomb", len(data), len(members), declared, compressed)
    return None
