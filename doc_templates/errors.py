"""Exceptions of doc_templates.

DocTemplatesError
├── SpecError          a document spec is invalid (each problem names its field)
└── ConversionError    LibreOffice failed to produce a PDF
"""

from __future__ import annotations


class DocTemplatesError(Exception):
    """Base of every error raised by doc_templates."""


class SpecError(DocTemplatesError, ValueError):
    """A document spec failed validation; ``problems`` holds (field path, Vietnamese message)."""

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  - {path}: {message}" for path, message in problems)
        super().__init__(f"{head}văn bản không hợp lệ:\n{lines}")


class ConversionError(DocTemplatesError):
    """LibreOffice did not convert one or more files."""
