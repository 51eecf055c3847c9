"""The file store: every file the registry records lives under one root (``CONGVAN_FILES_DIR``,
by default ``CONGVAN_HOME/files``), at a path relative to that root, with its SHA-256.

Relative paths let the root move (a restored backup, another mount). A file is
written to a temporary name beside its target and renamed, so a reader never
sees half a file and a crash leaves at most a ``.tmp-*`` to sweep. Paths that
would leave the root (absolute, ``..``) are refused.

Entry points: :func:`store` (a document's file, named by its content),
:func:`put` (any file at a chosen relative path), :func:`read` (bytes, checked
against the recorded hash), :func:`resolve` (the absolute path to serve).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from registry.errors import ValidationError


@dataclass(frozen=True)
class StoredFile:
    """Where a file went (relative to the root, POSIX separators), its SHA-256 and size."""

    path: str
    sha256: str
    size: int


class TamperedFile(ValueError):
    """A stored file's bytes no longer match the SHA-256 recorded for it."""


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _relative(path: str | PurePosixPath) -> PurePosixPath:
    relative = PurePosixPath(str(path).replace("\\", "/"))
    if relative.is_absolute() or not relative.parts or ".." in relative.parts:
        raise ValidationError(
            f"đường dẫn tệp '{path}' phải nằm trong thư mục tệp (tương đối, không có '..')",
            field="path")
    return relative


def resolve(root: Path, stored_path: str) -> Path:
    """The absolute path of a stored file. Rows written before paths were relative may hold an
    absolute path; it is returned as is."""
    if Path(stored_path).is_absolute():
        return Path(stored_path)
    return Path(root) / _relative(stored_path)


def put(root: Path, relative: str | PurePosixPath, data: bytes) -> StoredFile:
    """Write ``data`` at ``relative`` under ``root`` atomically; returns what to record.

    Writing the same bytes again is a no-op; different bytes replace the file atomically.
    """
    rel = _relative(relative)
    digest = sha256(data)
    target = Path(root) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if not (target.is_file() and sha256(target.read_bytes()) == digest):
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredFile(path=rel.as_posix(), sha256=digest, size=len(data))


def store(root: Path, *, document_id: int, year: int, stem: str, suffix: str,
          data: bytes) -> StoredFile:
    """Write ``data`` as ``<year>/<document_id>/<stem>-<sha12><suffix>`` under ``root``: the
    same content stored twice lands on the same name, a new version on a new one."""
    digest = sha256(data)
    return put(root, PurePosixPath(str(year), str(document_id), f"{stem}-{digest[:12]}{suffix}"),
               data)


def read(root: Path, stored_path: str, *, expected_sha256: str | None = None) -> bytes:
    """The bytes of a stored file; :class:`TamperedFile` if they are not the recorded ones."""
    data = resolve(root, stored_path).read_bytes()
    if expected_sha256 is not None and sha256(data) != expected_sha256:
        raise TamperedFile(f"tệp {stored_path} đã bị thay đổi (SHA-256 không khớp)")
    return data


def unique_names(names: Iterable[str]) -> list[str]:
    """``names`` with repeats told apart: ``a.pdf``, ``a (2).pdf``, ``a (3).pdf``.

    Two attachments of one document may carry the same file name (two "Phụ lục.pdf");
    both are kept, each under its own name, in the order given.
    """
    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        candidate, n = name, 1
        stem, dot, suffix = name.rpartition(".")
        if not dot or not stem:
            stem, suffix = name, ""
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem} ({n}).{suffix}" if suffix else f"{stem} ({n})"
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


__all__ = ["StoredFile", "TamperedFile", "put", "read", "resolve", "sha256", "store",
           "unique_names"]
