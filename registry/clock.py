"""The one clock: what time and which day it is in Viet Nam (Asia/Ho_Chi_Minh).

Every date the product decides — an issue date, a due date, "late", the year a
register number belongs to — is a calendar date of Asia/Ho_Chi_Minh, never the
host's local date. The zone is named here and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TIMEZONE = "Asia/Ho_Chi_Minh"
VIETNAM = ZoneInfo(TIMEZONE)


def now_utc() -> datetime:
    """The current moment, aware, in UTC (what the registry stores)."""
    return datetime.now(UTC)


def local_now() -> datetime:
    """The current moment, aware, in Asia/Ho_Chi_Minh."""
    return datetime.now(VIETNAM)


def local_today() -> date:
    """Today's calendar date in Asia/Ho_Chi_Minh."""
    return local_now().date()


def local_date(moment: datetime | date) -> date:
    """The calendar date of ``moment`` in Asia/Ho_Chi_Minh; naive datetimes are taken as UTC
    (SQLite drops the zone), dates pass through."""
    if isinstance(moment, datetime):
        return to_local(moment).date()
    return moment


def to_local(moment: datetime) -> datetime:
    """``moment`` in Asia/Ho_Chi_Minh; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM)


def local_day_start(day: date) -> datetime:
    """The UTC moment Vietnam's calendar day ``day`` begins (00:00 Asia/Ho_Chi_Minh) — the bound
    for "on day D" queries on stored UTC times (``start(D) <= t < start(D + 1)``)."""
    return datetime(day.year, day.month, day.day, tzinfo=VIETNAM).astimezone(UTC)


__all__ = ["TIMEZONE", "VIETNAM", "local_date", "local_day_start", "local_now", "local_today",
           "now_utc", "to_local"]
