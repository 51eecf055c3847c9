"""The difference between two versions of a draft's body, for the leader who reviews it."""

from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import NotFound
from registry.models import DraftVersion


def get_version(*, session: Session, document_id: int, version: int) -> DraftVersion:
    """One version of a draft, or NotFound naming the versions that exist."""
    row = session.scalar(select(DraftVersion).where(
        DraftVersion.document_id == document_id, DraftVersion.version == version))
    if row is None:
        existing = session.scalars(select(DraftVersion.version).where(
            DraftVersion.document_id == document_id).order_by(DraftVersion.version)).all()
        have = ", ".join(str(v) for v in existing) or "chưa có phiên bản nào (chưa trình)"
        raise NotFound(f"văn bản #{document_id} không có phiên bản {version}; đang có: {have}")
    return row


def diff_versions(*, session: Session, document_id: int, v1: int, v2: int,
                  context: int = 3) -> list[str]:
    """Unified diff lines of the body (and subject) from version ``v1`` to ``v2``."""
    old = get_version(session=session, document_id=document_id, version=v1)
    new = get_version(session=session, document_id=document_id, version=v2)
    return list(difflib.unified_diff(
        _text(old), _text(new), fromfile=f"phiên bản {v1}", tofile=f"phiên bản {v2}",
        n=context, lineterm="",
    ))


def _text(version: DraftVersion) -> list[str]:
    subject = (version.spec or {}).get("subject", "")
    return [f"Trích yếu: {subject}", "", *version.body.splitlines()]
