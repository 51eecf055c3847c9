"""Server-side sessions: the browser holds a random token, the database its SHA-256.

A new token at every sign-in (a token planted before sign-in is never promoted),
dead at sign-out, after ``idle`` without a request and after ``max_age`` in all.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from registry.models import Person, ReporterLink, UserAccount, WebSession

TOUCH_EVERY = timedelta(seconds=60)  # write last_seen_at at most once a minute


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Started:
    """A new session and the token to put in the cookie (shown once, never stored)."""

    token: str
    row: WebSession


def start(*, session: Session, account: UserAccount | None = None,
          link: ReporterLink | None = None, client: str | None = None,
          now: datetime | None = None) -> Started:
    """A fresh session for ``account`` (or a reporter ``link``) with its own CSRF token."""
    moment = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    row = WebSession(token_hash=digest(token), csrf_token=secrets.token_urlsafe(32),
                     account=account, link=link, created_at=moment, last_seen_at=moment,
                     client=(client or "")[:200] or None)
    session.add(row)
    session.flush()
    return Started(token, row)


def resume(*, session: Session, token: str | None, idle: timedelta, max_age: timedelta,
           now: datetime | None = None) -> WebSession | None:
    """The live session the cookie names, or None (unknown, ended, idle, too old, disabled)."""
    if not token or len(token) > 100:
        return None
    # The account, its person and organisation come in the same statement: every page reads
    # them (the header's badge, the rules), one by one they were four round trips per request.
    row = session.scalar(select(WebSession).where(WebSession.token_hash == digest(token))
                         .options(joinedload(WebSession.account).joinedload(UserAccount.person)
                                  .joinedload(Person.organization)))
    if row is None or row.ended_at is not None:
        return None
    moment = now or datetime.now(UTC)
    if (moment - _aware(row.last_seen_at) > idle or moment - _aware(row.created_at) > max_age
            or not _holder_active(row, moment)):
        row.ended_at = moment
        session.flush()
        return None
    if moment - _aware(row.last_seen_at) > TOUCH_EVERY:
        row.last_seen_at = moment
        session.flush()
    return row


def _holder_active(row: WebSession, moment: datetime) -> bool:
    if row.account is not None:
        return row.account.active and row.account.person.active
    if row.link is not None:
        return _aware(row.link.expires_at) > moment
    return False


def end(*, session: Session, row: WebSession, now: datetime | None = None) -> None:
    """Sign out: the token is dead from now on."""
    row.ended_at = now or datetime.now(UTC)
    session.flush()
