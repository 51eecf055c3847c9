"""Which duties and periods the daily reminder works on, computed at run time.

The scheduled reminder deployment has no parameters: each morning it takes every reporting
period that still has an owed request (open or rejected) whose notice window has begun by the
working-day calendar — a period enters the day ``notice_days`` working days before a unit's
due date and stays until every unit has reported. Each stage is still sent once per request
(:mod:`reporting.reminders`), so a period that stays late is not reminded twice.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Document, Person, ReportingDuty, ReportRequest
from reporting.reminders import ReminderPolicy
from reporting.requests import OWING, working_calendar


def due_periods(*, session: Session, today: date, policy: ReminderPolicy,
                duty_id: int | None = None, period_key: str | None = None
                ) -> list[tuple[int, str]]:
    """(duty id, period key) pairs with an owed request whose notice window has begun."""
    horizon = working_calendar().add_working_days(today, policy.notice_days)
    query = select(ReportRequest.duty_id, ReportRequest.period).where(
        ReportRequest.status.in_(OWING), ReportRequest.due_date <= horizon).distinct()
    if duty_id is not None:
        query = query.where(ReportRequest.duty_id == duty_id)
    if period_key is not None:
        query = query.where(ReportRequest.period == period_key)
    return sorted((d, p) for d, p in session.execute(query).tuples() if d is not None)


def instruction_signer(*, session: Session, duty_id: int) -> str | None:
    """The key of the person who signed the duty's instruction (the đôn đốc's default signer)."""
    return session.scalar(select(Person.key).join(Document, Document.signer_id == Person.id)
                          .join(ReportingDuty,
                                ReportingDuty.instruction_document_id == Document.id)
                          .where(ReportingDuty.id == duty_id))
