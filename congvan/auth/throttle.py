"""Slowing password guessing: failed sign-ins counted per login and per client address.

Counted in the database, so several web processes share the count. Past the
limit within the window, sign-in is refused without checking the password
until the oldest failure leaves the window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from registry.models import SignInFailure

WINDOW = timedelta(minutes=1)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def wait_seconds(*, session: Session, login: str, client: str, per_login: int, per_client: int,
                 now: datetime | None = None) -> int:
    """Seconds to wait before the next try (0: go ahead)."""
    moment = now or datetime.now(UTC)
    since = moment - WINDOW
    longest = 0
    for column, value, limit in ((SignInFailure.login, login, per_login),
                                 (SignInFailure.client, client, per_client)):
        count, oldest = session.execute(
            select(func.count(SignInFailure.id), func.min(SignInFailure.at))
            .where(column == value, SignInFailure.at > since)).one()
        if count >= limit and oldest is not None:
            left = (_aware(oldest) + WINDOW - moment).total_seconds()
            longest = max(longest, int(left) + 1)
    return longest


def record_failure(*, session: Session, login: str, client: str,
                   now: datetime | None = None) -> None:
    """Remember one refused sign-in (and forget ones older than a day)."""
    moment = now or datetime.now(UTC)
    session.execute(delete(SignInFailure).where(SignInFailure.at < moment - timedelta(days=1)))
    session.add(SignInFailure(login=login[:120], client=client[:200], at=moment))
    session.flush()


def clear(*, session: Session, login: str) -> None:
    """A successful sign-in forgets the login's failures."""
    session.execute(delete(SignInFailure).where(SignInFailure.login == login))
    session.flush()
