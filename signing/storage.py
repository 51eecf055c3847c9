"""The file store: documents' files under a root, by year and document id, named by SHA-256.

Paths recorded in the registry are relative to the root, so the root can move.
A file is written to a temporary name and renamed, so a reader never sees half
a file; the same content stored twice lands on the same name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    """Where a file went (relative to the root), its SHA-256 and size."""

    path: str
    sha256: str
    size: int


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def store(root: Path, *, document_id: int, year: int, stem: str, suffix: str,
          data: bytes) -> StoredFile:
    """Write ``data`` as ``<year>/<document_id>/<stem>-<sha12><suffix>`` under ``root``."""
    digest = sha256(data)
    relative = Path(str(year)) / str(document_id) / f"{stem}-{digest[:12]}{suffix}"
    target = Path(root) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (target.is_file() and sha256(target.read_bytes()) == digest):
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredFile(path=relative.as_posix(), sha256=digest, size=len(data))


def read(root: Path, stored_path: str, *, expected_sha256: str | None = None) -> bytes:
    """The bytes of a stored file; ValueError if its SHA-256 is not the recorded one."""
    data = (Path(root) / stored_path).read_bytes()
    if expected_sha256 is not None and sha256(data) != expected_sha256:
        raise ValueError(f"tệp {stored_path} đã bị thay đổi (SHA-256 không khớp)")
    return data
