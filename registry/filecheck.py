"""Check every stored file against the SHA-256 the registry recorded for it (after a restore,
a copy of the files directory, or on a schedule).

Each row that names a file and its hash — a document's files, a draft version's .docx, a
submission's upload — is read back from the files root and hashed. Nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.files import resolve
from registry.models import DocumentFile, DraftVersion, Submission


@dataclass
class FileCheck:
    """What the check found: how many files matched, and which were missing or different."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every recorded file is present with its recorded hash."""
        return not self.missing and not self.mismatched


def recorded(session: Session) -> Iterator[tuple[str, str]]:
    """(stored path, recorded SHA-256) of every file the registry records a hash for."""
    yield from session.execute(select(DocumentFile.path, DocumentFile.sha256)
                               .order_by(DocumentFile.id)).tuples()
    for model, path_col, hash_col in (
            (DraftVersion, DraftVersion.docx_path, DraftVersion.docx_sha256),
            (Submission, Submission.file_path, Submission.file_sha256)):
        for path, digest in session.execute(select(path_col, hash_col).where(
                path_col.is_not(None), hash_col.is_not(None)).order_by(model.id)).tuples():
            if path is not None and digest is not None:
                yield path, digest


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check(*, session: Session, files_root: Path) -> FileCheck:
    """Hash every recorded file under ``files_root`` and compare with the registry."""
    result = FileCheck()
    seen: set[str] = set()
    for stored, expected in recorded(session):
        if stored in seen:
            continue
        seen.add(stored)
        path = resolve(files_root, stored)
        if not path.is_file():
            result.missing.append(stored)
        elif _digest(path) != expected:
            result.mismatched.append(stored)
        else:
            result.checked += 1
    return result
