"""Owed reports: one ReportRequest per instructed unit and period, due by the calendar."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registry.calendar import Period, WorkingCalendar, due_date, policy_from_dict
from registry.models import ReportingDuty, ReportRequest, RequestStatus


def due_for(*, duty_policy: dict, period_key: str, calendar: WorkingCalendar,
            roll_forward: bool = True) -> tuple[Period, object]:
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
    have = set(session.scalars(select(ReportRequest.unit_id).where(
        ReportRequest.duty_id == duty_id, ReportRequest.period == period.key)))
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
