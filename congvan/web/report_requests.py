"""What the "Báo cáo phải nộp" page shows: owed reports per period, late ones marked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from registry.models import ReportRequest, RequestStatus, Submission

OWING = (RequestStatus.OPEN, RequestStatus.REJECTED)


@dataclass(frozen=True)
class Row:
    """One owed report as the page lists it."""

    request: ReportRequest
    submitted_at: dt.datetime | None
    late: bool


def periods(*, session: Session) -> list[str]:
    """The periods that have requests, newest first."""
    found = session.scalars(select(ReportRequest.period).distinct()).all()
    return sorted(found, reverse=True)


def list_(*, session: Session, today: dt.date, period: str | None = None,
          late_only: bool = False) -> Sequence[Row]:
    """Requests of ``period`` (all when None) by due date then unit; late = owed past due."""
    query = (select(ReportRequest).options(joinedload(ReportRequest.unit),
                                           joinedload(ReportRequest.form))
             .order_by(ReportRequest.due_date, ReportRequest.id))
    if period:
        query = query.where(ReportRequest.period == period)
    requests = session.scalars(query).all()
    ids = [r.id for r in requests]
    submitted = dict(session.execute(
        select(Submission.request_id, Submission.submitted_at)
        .where(Submission.request_id.in_(ids), Submission.current.is_(True))
    ).tuples().all()) if ids else {}
    rows = [Row(r, submitted.get(r.id), r.status in OWING and r.due_date < today)
            for r in requests]
    return [row for row in rows if row.late] if late_only else rows
