"""Reporter links: one unit, one period, one use, an expiry.

The collector's clerk makes a link for a report request; the unit's reporter
opens it (GET shows a button, so a mail scanner fetching the link uses
nothing), presses it (POST), and gets a session that opens only that request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from congvan.auth.sessions import digest
from registry import audit
from registry.errors import NotFound, PermissionDenied
from registry.models import Person, ReporterLink, ReportRequest


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Made:
    """A new link's token (to put in the URL; shown once) and its row."""

    token: str
    row: ReporterLink


def make(*, session: Session, request_id: int, actor: Person | None, valid_for: timedelta,
         now: datetime | None = None) -> Made:
    """A link for ``request_id``; a clerk or leader of the collecting body (or the CLI) makes it."""
    request = session.get(ReportRequest, request_id)
    if request is None:
        raise NotFound(f"không có yêu cầu báo cáo #{request_id}")
    if actor is not None:
        collector = request.duty.collector_id if request.duty is not None else None
        if not ({"clerk", "leader", "admin"} & set(actor.roles or [])) or (
                collector is not None and collector != actor.organization_id):
            raise PermissionDenied(f"{actor.full_name} không tạo được đường dẫn nộp báo cáo "
                                   "cho yêu cầu này (chỉ văn thư, lãnh đạo cơ quan tổng hợp)")
    moment = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    row = ReporterLink(token_hash=digest(token), request_id=request.id,
                       created_by_id=actor.id if actor else None, created_at=moment,
                       expires_at=moment + valid_for)
    session.add(row)
    session.flush()
    audit.record(session=session, action="reporter_link", object_type="report_request",
                 object_id=request.id, actor=actor,
                 detail={"expires_at": row.expires_at.isoformat()})
    return Made(token, row)


def find(*, session: Session, token: str, now: datetime | None = None) -> ReporterLink:
    """The unused, unexpired link ``token`` names; NotFound (one message for every case)."""
    row = session.scalar(select(ReporterLink).where(
        ReporterLink.token_hash == digest(token[:100])))
    moment = now or datetime.now(UTC)
    if row is None or row.used_at is not None or _aware(row.expires_at) <= moment:
        raise NotFound("đường dẫn nộp báo cáo không đúng, đã dùng hoặc đã hết hạn; hãy xin "
                       "cơ quan tổng hợp một đường dẫn mới")
    return row


def use(*, session: Session, token: str, now: datetime | None = None) -> ReporterLink:
    """Mark the link used (once); NotFound when it cannot be used."""
    row = find(session=session, token=token, now=now)
    # A conditional update: two presses at once (two tabs, a retried request) use it once.
    done = session.execute(update(ReporterLink).where(
        ReporterLink.id == row.id, ReporterLink.used_at.is_(None))
        .values(used_at=now or datetime.now(UTC)).execution_options(synchronize_session=False))
    if getattr(done, "rowcount", 0) != 1:
        raise NotFound("đường dẫn nộp báo cáo này vừa được dùng; hãy xin một đường dẫn mới")
    session.refresh(row)
    return row
