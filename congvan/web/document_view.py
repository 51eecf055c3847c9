"""What the document page adds for a reviewer: the current draft as PDF and the change from the
previous version (the signatures: :mod:`congvan.web.document_record`)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from congvan.settings import Settings
from registry import files
from registry.errors import NotFound
from registry.models import Document, DraftVersion

if TYPE_CHECKING:
    from doc_templates.pdf import PdfConverter

# One conversion at a time per process: LibreOffice is heavy and the result is cached.
_CONVERT = threading.Lock()


def latest_version(document: Document) -> DraftVersion | None:
    """The newest draft version, or None before the first submission."""
    return max(document.versions, key=lambda v: v.version) if document.versions else None


def changes(*, session: Session, document: Document) -> list[str]:
    """Unified diff lines from the previous version to the newest (empty with one version)."""
    from signing.diff import diff_versions

    versions = sorted(v.version for v in document.versions)
    if len(versions) < 2:
        return []
    return diff_versions(session=session, document_id=document.id, v1=versions[-2],
                         v2=versions[-1])


def cached_pdf(*, settings: Settings, document: Document, version: int) -> Path | None:
    """The stored PDF of a draft version, or None when it was never converted."""
    row = _version(document, version)
    return files.resolve(_root(settings), row.pdf_path) if row.pdf_path else None


def docx_of(*, settings: Settings, document: Document, version: int) -> bytes:
    """The .docx of a draft version, checked against its recorded SHA-256."""
    row = _version(document, version)
    assert row.docx_path is not None
    return files.read(_root(settings), row.docx_path, expected_sha256=row.docx_sha256)


def convert(*, settings: Settings, docx: bytes) -> bytes:
    """The .docx as PDF through this process's warm LibreOffice (one conversion at a time).

    The converter is started at the first conversion and kept: a document then takes about
    0.1 s instead of a cold ``soffice`` start (≈ 1.1 s, docs/decisions.md §1) — the draft
    previews, the leader's final PDF and the printed register book all come here. It is
    stopped at the process's exit (or by :func:`close_converter`).
    """
    with _CONVERT:
        return _converter(settings.soffice).convert_bytes(docx)


_warm: list[PdfConverter] = []  # the process's PdfConverter, entered (at most one)


def _converter(soffice: str) -> PdfConverter:
    """The warm converter for ``soffice`` (called under _CONVERT)."""
    import atexit

    from doc_templates.pdf import PdfConverter as Converter

    if _warm and _warm[0].soffice != soffice:
        _stop()
    if not _warm:
        converter = Converter(soffice).__enter__()
        if not _closing:
            atexit.register(close_converter)
            _closing.append(True)
        _warm.append(converter)
    return _warm[0]


_closing: list[bool] = []


def close_converter() -> None:
    """Stop the warm LibreOffice (at exit; tests call it when their server stops)."""
    with _CONVERT:
        _stop()


def _stop() -> None:
    while _warm:
        _warm.pop().__exit__(None, None, None)


def keep_pdf(*, session: Session, settings: Settings, document_id: int, version: int,
             pdf: bytes) -> Path:
    """Store the PDF beside the version's .docx and remember it on the version row."""
    row = session.scalar(select(DraftVersion).where(DraftVersion.document_id == document_id,
                                                    DraftVersion.version == version))
    if row is None:
        raise NotFound(f"văn bản #{document_id} không có bản dự thảo {version}")
    stored = files.store(_root(settings), document_id=document_id, year=row.created_at.year,
                         stem=f"v{version}", suffix=".pdf", data=pdf)
    row.pdf_path = stored.path
    session.flush()
    return files.resolve(_root(settings), stored.path)


def _version(document: Document, version: int) -> DraftVersion:
    row = next((v for v in document.versions if v.version == version), None)
    if row is None or not row.docx_path:
        raise NotFound(f"văn bản #{document.id} không có bản dự thảo {version}")
    return row


def _root(settings: Settings) -> Path:
    assert settings.files_dir is not None
    return settings.files_dir
