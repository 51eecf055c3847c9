"""Reminders for late units, once per request and stage (the Reminder unique key).

Stages, by working days relative to the due date:

- ``notice``: ``notice_days`` before the due date, an e-mail notice to units that have not
  submitted;
- ``don_doc``: after the due date, a numbered đôn đốc công văn listing the late units;
- ``escalation``: ``escalation_days`` after the due date, a notice to the late unit's superior.

A stage is claimed by inserting its Reminder rows with ON CONFLICT DO NOTHING in the
transaction that does the stage's work: a retried run finds the rows and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from registry.calendar import WorkingCalendar
from registry.models import Organization, Reminder, ReportRequest, RequestStatus

STAGES = ("notice", "don_doc", "escalation")


class ReminderPolicy(BaseModel):
    """When each stage fires, and whether the leader pre-authorised the đôn đốc công văn."""

    notice_days: int = 3
    escalation_days: int = 5
    preauthorise_don_doc: bool = False


def stage_due(stage: str, *, due: date, today: date, calendar: WorkingCalendar,
              policy: ReminderPolicy) -> bool:
    """Whether ``stage`` is due today for a request due on ``due``."""
    if stage == "notice":
        return calendar.add_working_days(due, -policy.notice_days) <= today <= due
    if stage == "don_doc":
        return today > due
    return today >= calendar.add_working_days(due, policy.escalation_days)


def pending(*, session: Session, duty_id: int, period_key: str, stage: str, today: date,
            calendar: WorkingCalendar, policy: ReminderPolicy) -> list[int]:
    """Ids of unsubmitted requests for which ``stage`` is due and not yet sent."""
    sent = select(Reminder.request_id).where(Reminder.stage == stage)
    rows = session.execute(select(ReportRequest.id, ReportRequest.due_date).where(
        ReportRequest.duty_id == duty_id, ReportRequest.period == period_key,
        ReportRequest.status.in_([RequestStatus.OPEN, RequestStatus.REJECTED]),
        ReportRequest.id.not_in(sent)).order_by(ReportRequest.id)).all()
    return [rid for rid, due in rows
            if stage_due(stage, due=due, today=today, calendar=calendar, policy=policy)]


def claim(*, session: Session, request_ids: Sequence[int], stage: str,
          document_id: int | None = None) -> list[int]:
    """Insert the Reminder rows of ``stage``; returns the request ids this call claimed."""
    if not request_ids:
        return []
    dialect = session.get_bind().dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_(Reminder).values(
        [{"request_id": rid, "stage": stage, "document_id": document_id} for rid in request_ids]
    ).on_conflict_do_nothing(index_elements=["request_id", "stage"]).returning(Reminder.request_id)
    claimed = [r for (r,) in session.execute(stmt).all()]
    if claimed:
        session.execute(ReportRequest.__table__.update().where(
            ReportRequest.id.in_(claimed)).values(
            reminders_sent=ReportRequest.reminders_sent + 1))
    return claimed


@dataclass(frozen=True)
class Notice:
    """An e-mail notice to one organisation."""

    to_key: str
    to_email: str | None
    subject: str
    text: str


class Notifier(Protocol):
    """Sends notices (e-mail in production; a folder drop in the demo; a list in tests)."""

    def notify(self, notice: Notice) -> None:
        """Send one notice."""
        ...


class FolderNotifier:
    """Writes each notice as a .txt file under ``root/<organisation key>/``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def notify(self, notice: Notice) -> None:
        """Write the notice (an existing one with the same subject is overwritten)."""
        folder = self.root / notice.to_key
        folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() else "-" for c in notice.subject)[:80]
        (folder / f"{name}.txt").write_text(
            f"Gửi: {notice.to_email}\nV/v: {notice.subject}\n\n{notice.text}\n", encoding="utf-8")


class ListNotifier:
    """Keeps notices in memory (tests)."""

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def notify(self, notice: Notice) -> None:
        """Remember the notice."""
        self.sent.append(notice)


def notices_for(*, session: Session, request_ids: Sequence[int], stage: str) -> list[Notice]:
    """The notices of a stage: to the unit (notice) or to its superior (escalation)."""
    out = []
    for request in session.scalars(select(ReportRequest).where(ReportRequest.id.in_(request_ids))):
        unit = request.unit
        due = request.due_date.strftime("%d/%m/%Y")
        if stage == "notice":
            out.append(Notice(unit.key, unit.email, f"Nhắc hạn báo cáo kỳ {request.period}",
                              f"Hạn gửi báo cáo kỳ {request.period} là ngày {due}. Đơn vị chưa "
                              f"gửi báo cáo (yêu cầu #{request.id}); đề nghị gửi đúng hạn."))
        else:
            superior: Organization | None = unit.parent
            target = superior or unit
            out.append(Notice(target.key, target.email,
                              f"Đơn vị trực thuộc chậm báo cáo kỳ {request.period}",
                              f"{' '.join(unit.name.split())} ({unit.key}) chưa gửi báo cáo kỳ "
                              f"{request.period}, quá hạn ngày {due}, dù đã được đôn đốc. Đề nghị "
                              "chỉ đạo đơn vị gửi báo cáo ngay."))
    return out
