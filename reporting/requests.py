"""Owed reports: one ReportRequest per instructed unit and period, due by the calendar;
what is owed and what is late (the one definition the web, the reminders and the CLI use).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, insert, not_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from registry.calendar import Period, WorkingCalendar, due_date, policy_from_dict
from registry.errors import NotFound
from registry.memo import Memo
from registry.models import (
    Organization,
    Person,
    ReportForm,
    ReportingDuty,
    ReportRequest,
    RequestStatus,
    Submission,
)

# A request is owed while nothing valid was filed for it.
OWING = (RequestStatus.OPEN, RequestStatus.REJECTED)
_PERIODS = Memo(ttl=30.0, size=1024)
T = TypeVar("T")


@lru_cache(maxsize=1)
def working_calendar() -> WorkingCalendar:
    """The working-day calendar (shipped adjustments), built once per process."""
    return WorkingCalendar()


def is_owed(request: ReportRequest) -> bool:
    """Whether the unit still owes this report."""
    return request.status in OWING


def is_late(request: ReportRequest, *, today: date) -> bool:
    """Owed and past its due date (on the due date itself a report is not late)."""
    return is_owed(request) and request.due_date < today


def due_for(*, duty_policy: dict[str, Any], period_key: str, calendar: WorkingCalendar,
            roll_forward: bool = True) -> tuple[Period, date]:
    """The period and its due date under a duty's policy."""
    period = Period.from_key(period_key)
    policy = policy_from_dict(duty_policy)
    return period, due_date(policy, period, calendar=calendar, roll_forward=roll_forward)


def open_requests(*, session: Session, duty_id: int, unit_ids: Sequence[int], period_key: str,
                  calendar: WorkingCalendar, roll_forward: bool = True) -> int:
    """Create the missing requests of ``unit_ids`` for one period; returns how many were new.

    Idempotent (unique duty, unit, period): a retry adds only what is missing.
    """
    duty = session.get(ReportingDuty, duty_id)
    assert duty is not None
    period, due = due_for(duty_policy=duty.policy, period_key=period_key, calendar=calendar,
                          roll_forward=roll_forward)
    # Only the chunk's units: a chunk of 500 read all 3,321 of the duty's requests before.
    have = set(session.scalars(select(ReportRequest.unit_id).where(
        ReportRequest.duty_id == duty_id, ReportRequest.period == period.key,
        ReportRequest.unit_id.in_(set(unit_ids)))))
    rows = [{"duty_id": duty_id, "form_id": duty.form_id, "unit_id": unit_id,
             "period": period.key, "period_start": period.start, "period_end": period.end,
             "due_date": due, "status": RequestStatus.OPEN, "reminders_sent": 0}
            for unit_id in dict.fromkeys(unit_ids) if unit_id not in have]
    if rows:
        session.execute(insert(ReportRequest), rows)
    return len(rows)


def requests_for(*, session: Session, duty_id: int, period_key: str) -> list[ReportRequest]:
    """Every request of one duty and period, by unit id."""
    return list(session.scalars(select(ReportRequest).where(
        ReportRequest.duty_id == duty_id, ReportRequest.period == period_key
    ).order_by(ReportRequest.unit_id)))


def request_ids(*, session: Session, duty_id: int, period_key: str) -> list[tuple[int, str]]:
    """(request id, unit key) of one duty and period, by request id."""
    return [(rid, key) for rid, key in session.execute(
        select(ReportRequest.id, Organization.key)
        .join(Organization, Organization.id == ReportRequest.unit_id)
        .where(ReportRequest.duty_id == duty_id, ReportRequest.period == period_key)
        .order_by(ReportRequest.id)).tuples()]


def key_dates(*, session: Session, duty_id: int, period_key: str,
              calendar: WorkingCalendar) -> dict[str, date]:
    """Key dates of a period: due, notice day, the day after due, escalation day, report day,
    and a day a week before the due date to submit on."""
    duty = session.get(ReportingDuty, duty_id)
    if duty is None:
        raise NotFound(f"không có nhiệm vụ báo cáo #{duty_id}")
    due = due_date(policy_from_dict(duty.policy), Period.from_key(period_key), calendar=calendar)
    return {"due": due, "notice": calendar.add_working_days(due, -3),
            "after_due": calendar.next_working_day(due),
            "escalation": calendar.add_working_days(due, 5),
            "report": calendar.add_working_days(due, 6), "submit": due - timedelta(days=7)}


@dataclass(frozen=True)
class Row:
    """One owed report as a listing shows it."""

    request: ReportRequest
    submitted_at: dt.datetime | None
    late: bool


def visible_to(actor: Person) -> ColumnElement[bool]:
    """Requests ``actor`` may see: a unit's reporter only the unit's own; the collecting body's
    staff the requests of its duties; anybody their own organisation's."""
    own = ReportRequest.unit_id == actor.organization_id
    if set(actor.roles or []) <= {"reporter"}:
        return own
    return or_(own, ReportRequest.duty_id.in_(select(ReportingDuty.id).where(
        ReportingDuty.collector_id == actor.organization_id)))


def for_submission(*, session: Session, request_id: int, actor: Person | None,
                   link_request_id: int | None) -> ReportRequest:
    """The request a visitor may file: a reporter link's own request, or one owed by the
    signed-in person's unit. Any other is NotFound (as if it did not exist)."""
    request = session.get(ReportRequest, request_id)
    allowed = request is not None and (
        link_request_id == request_id
        or (actor is not None and request.unit_id == actor.organization_id))
    if request is None or not allowed:
        raise NotFound(f"không có yêu cầu báo cáo #{request_id}")
    return request


def _kept_until_new_requests(session: Session, key: tuple[Any, ...], actor: Person | None,
                             find: Callable[[], T]) -> T:
    """``find()`` for ``actor`` (what they may see depends on who they are, their office and
    roles), kept by the process until a request is opened (a new newest id) or 30 s."""
    who = None if actor is None else (actor.id, actor.organization_id, tuple(actor.roles or ()))
    newest = session.scalar(select(func.max(ReportRequest.id)))
    return _PERIODS.get(session, (*key, who), newest, find)


def periods(*, session: Session, actor: Person | None = None) -> list[str]:
    """The periods that have requests (that ``actor`` may see), newest first.

    Kept by the process (registry.memo) until a request is opened (a new newest id) or for
    30 s: finding them reads every request (26,568 for two years of a national campaign),
    4–5 ms of each view of the deadlines board."""
    def find() -> list[str]:
        query = select(ReportRequest.period).distinct()
        if actor is not None:
            query = query.where(visible_to(actor))
        return sorted(session.scalars(query).all(), reverse=True)

    return list(_kept_until_new_requests(session, ("periods",), actor, find))


def overview(*, session: Session, today: date, period: str | None = None,
             late_only: bool = False, actor: Person | None = None, limit: int | None = None,
             offset: int = 0) -> Sequence[Row]:
    """Requests of ``period`` (all when None) by due date then id; late = owed past due.
    With ``actor``, only the requests that person may see; ``limit``/``offset`` page them."""
    # The form by a second query: joined, its definition (JSON) was decoded once per request —
    # 1.4 s of the deadlines board for 3,321 units (bench/web.py).
    query = (_scoped(select(ReportRequest), today=today, period=period, late_only=late_only,
                     actor=actor)
             .options(joinedload(ReportRequest.unit), selectinload(ReportRequest.form))
             .order_by(ReportRequest.due_date, ReportRequest.id).offset(offset).limit(limit))
    requests = session.scalars(query).all()
    ids = [r.id for r in requests]
    submitted = dict(session.execute(
        select(Submission.request_id, Submission.submitted_at)
        .where(Submission.request_id.in_(ids), Submission.current.is_(True))
    ).tuples().all()) if ids else {}
    return [Row(r, submitted.get(r.id), is_late(r, today=today)) for r in requests]


@dataclass(frozen=True)
class Named:
    """A unit or a form as a listing names it."""

    name: str


@dataclass(frozen=True)
class BoardRequest:
    """The columns of a request that the deadlines board shows, read as plain values."""

    id: int
    period: str
    due_date: date
    status: RequestStatus
    reminders_sent: int
    unit: Named
    form: Named


@dataclass(frozen=True)
class BoardRow:
    """One row of the deadlines board: like :class:`Row`, without ORM objects."""

    request: BoardRequest
    submitted_at: dt.datetime | None
    late: bool


def board_rows(*, session: Session, today: date, period: str | None = None,
               late_only: bool = False, actor: Person | None = None, limit: int | None = None,
               offset: int = 0) -> list[BoardRow]:
    """The rows of :func:`overview` (same requests, same order) with only the columns the
    board prints: building 100 requests with their units as ORM objects was a quarter of the
    board's time (bench/web.py)."""
    query = (_scoped(select(ReportRequest.id, ReportRequest.period, ReportRequest.due_date,
                            ReportRequest.status, ReportRequest.reminders_sent,
                            Organization.name, ReportForm.name),
                     today=today, period=period, late_only=late_only, actor=actor)
             .join(Organization, Organization.id == ReportRequest.unit_id)
             .join(ReportForm, ReportForm.id == ReportRequest.form_id)
             .order_by(ReportRequest.due_date, ReportRequest.id).offset(offset).limit(limit))
    found = session.execute(query).tuples().all()
    submitted = dict(session.execute(
        select(Submission.request_id, Submission.submitted_at)
        .where(Submission.request_id.in_([row[0] for row in found]),
               Submission.current.is_(True))).tuples().all()) if found else {}
    return [BoardRow(BoardRequest(rid, key, due, status, reminders or 0, Named(unit), Named(form)),
                     submitted.get(rid), status in OWING and due < today)
            for rid, key, due, status, reminders, unit, form in found]


def counts(*, session: Session, today: date, period: str | None = None,
           late_only: bool = False, actor: Person | None = None) -> dict[str, int]:
    """How many of the requests :func:`overview` lists are submitted (no longer owed), late
    (owed past due) and waiting (owed, not yet due), counted by the database."""
    owed = ReportRequest.status.in_(OWING)
    late = and_(owed, ReportRequest.due_date < today)
    query = _scoped(select(
        func.count(), func.count(case((not_(owed), 1))), func.count(case((late, 1)))),
        today=today, period=period, late_only=late_only, actor=actor)
    total, submitted, late_n = session.execute(query).one()
    return {"total": total, "submitted": submitted, "late": late_n,
            "waiting": total - submitted - late_n}


def duty_forms(*, session: Session, period: str, actor: Person | None = None
               ) -> list[tuple[int, ReportForm]]:
    """(duty id, form) of the duties with requests in ``period`` that ``actor`` may see."""
    def find() -> list[tuple[int | None, int]]:
        query = (select(ReportRequest.duty_id, ReportRequest.form_id).distinct()
                 .where(ReportRequest.period == period, ReportRequest.duty_id.is_not(None)))
        if actor is not None:
            query = query.where(visible_to(actor))
        return list(session.execute(query).tuples().all())

    # Kept like periods(): the pairs change only when requests are opened.
    pairs = _kept_until_new_requests(session, ("duty_forms", period), actor, find)
    forms = {f.id: f for f in session.scalars(select(ReportForm).where(
        ReportForm.id.in_({form_id for _, form_id in pairs})))} if pairs else {}
    return sorted(((duty_id, forms[form_id]) for duty_id, form_id in pairs if duty_id),
                  key=lambda pair: pair[0])


def _scoped(query: Select[Any], *, today: date, period: str | None, late_only: bool,
            actor: Person | None) -> Select[Any]:
    if actor is not None:
        query = query.where(visible_to(actor))
    if period:
        query = query.where(ReportRequest.period == period)
    if late_only:
        query = query.where(ReportRequest.status.in_(OWING), ReportRequest.due_date < today)
    return query.select_from(ReportRequest)
