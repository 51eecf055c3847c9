"""The file store, re-exported: the one implementation lives in :mod:`registry.files`
(atomic writes, paths relative to the files root, SHA-256 recorded)."""

from __future__ import annotations

from registry.files import StoredFile, TamperedFile, put, read, resolve, sha256, store

__all__ = ["StoredFile", "TamperedFile", "put", "read", "resolve", "sha256", "store"]
