"""The two Appendix VI reports on handling: incoming and outgoing documents of a period, by unit
and handler — how many, handled on time, handled late, still pending (in time or overdue).

Every day here is a calendar day of Asia/Ho_Chi_Minh; stored times are UTC.

Incoming (ND30 art. 22–24, the handling of outbox.handling): the documents registered in the
organisation's incoming registers whose arrival falls in the period. Each is counted once, under
its current main assignment (chủ trì; a replaced one no longer counts) — the unit, and the
person when a person was named (or who signed for a unit's assignment); unassigned documents
under "Chưa giao xử lý". Its deadline is the assignment's due date, else the document's own
reply deadline. **Handled on time**: done on or before the deadline day (the whole deadline day
counts); **late**: done after it; **pending**: not done at the report's day — overdue once the
deadline day has passed. No deadline: never late.

Outgoing (ND30 art. 18): the organisation's documents drafted or issued in the period, by
drafting unit and drafter. The deadline to issue is the working day after the person signed
(art. 18.1: released on the day of signing, at the latest the next working day), and, for a
document that answers an incoming one, that assignment's due date, whichever is earlier.
Revoked documents count as issued. Not yet signed: pending, in time (no deadline runs).

"At the report's day" (``as_of``) is the period's last day, or today when the period is not
over: a past period's report does not change when later work is done.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from registry.calendar import WorkingCalendar
from registry.clock import local_date, local_day_start, local_today
from registry.errors import ValidationError
from registry.models import (
    Direction,
    Document,
    DocumentSignature,
    DocumentStatus,
    HandlingAssignment,
    Organization,
    Register,
)

UNASSIGNED = "Chưa giao xử lý"
ISSUED = (DocumentStatus.ISSUED, DocumentStatus.REVOKED)


@dataclass
class Tally:
    """The counts of one row (a unit and handler) or of the whole report."""

    unit: str
    handler: str = ""
    done_on_time: int = 0
    done_late: int = 0
    pending_on_time: int = 0
    pending_late: int = 0

    @property
    def total(self) -> int:
        return self.done + self.pending

    @property
    def done(self) -> int:
        return self.done_on_time + self.done_late

    @property
    def pending(self) -> int:
        return self.pending_on_time + self.pending_late

    def count(self, *, done: bool, late: bool) -> None:
        """Add one document."""
        if done:
            self.done_late += late
            self.done_on_time += not late
        else:
            self.pending_late += late
            self.pending_on_time += not late


@dataclass
class HandlingReport:
    """One report: whose, which direction, which days, and the rows with their total."""

    direction: Direction
    organization: Organization
    start: date
    end: date
    as_of: date
    rows: list[Tally] = field(default_factory=list)

    @property
    def total(self) -> Tally:
        whole = Tally(unit="Tổng cộng")
        for row in self.rows:
            whole.done_on_time += row.done_on_time
            whole.done_late += row.done_late
            whole.pending_on_time += row.pending_on_time
            whole.pending_late += row.pending_late
        return whole


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise ValidationError(f"kỳ báo cáo từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}: ngày bắt đầu "
                              "sau ngày kết thúc", field="--from")
    if (end - start).days > 366 * 5:
        raise ValidationError("kỳ báo cáo dài quá 5 năm: chia thành nhiều kỳ", field="--to")


def _as_of(end: date, today: date | None) -> date:
    return min(end, today or local_today())


def _rows(tallies: dict[tuple[str, str], Tally]) -> list[Tally]:
    return sorted(tallies.values(), key=lambda t: (t.unit == UNASSIGNED, t.unit, t.handler))


def _tally(tallies: dict[tuple[str, str], Tally], unit: str, handler: str) -> Tally:
    return tallies.setdefault((unit, handler), Tally(unit=unit, handler=handler))


def incoming(*, session: Session, organization: Organization, start: date, end: date,
             today: date | None = None) -> HandlingReport:
    """The report on handling incoming documents arrived from ``start`` to ``end``."""
    _check_period(start, end)
    as_of = _as_of(end, today)
    docs = session.scalars(
        select(Document).join(Register, Register.id == Document.register_id)
        .where(Register.organization_id == organization.id,
               Document.direction == Direction.INCOMING,
               Document.status == DocumentStatus.RECEIVED,
               Document.arrived_at >= local_day_start(start),
               Document.arrived_at < local_day_start(end + timedelta(days=1)))
        .order_by(Document.id)).all()
    mains = _main_assignments(session, [d.id for d in docs])
    tallies: dict[tuple[str, str], Tally] = {}
    for doc in docs:
        row = mains.get(doc.id)
        due = (row.due_date if row is not None else None) or doc.due_date
        done_on = (local_date(row.done_at) if row is not None and row.status == "done"
                   and row.done_at is not None else None)
        done = done_on is not None and done_on <= as_of
        late = (done_on > due if done and done_on and due else
                due is not None and not done and due < as_of)
        unit, handler = _assignee(row)
        _tally(tallies, unit, handler).count(done=done, late=bool(late))
    return HandlingReport(Direction.INCOMING, organization, start, end, as_of, _rows(tallies))


def _main_assignments(session: Session, document_ids: list[int]
                      ) -> dict[int, HandlingAssignment]:
    if not document_ids:
        return {}
    rows = session.scalars(
        select(HandlingAssignment)
        .where(HandlingAssignment.document_id.in_(document_ids),
               HandlingAssignment.role == "main", HandlingAssignment.status != "replaced")
        .options(selectinload(HandlingAssignment.person),
                 selectinload(HandlingAssignment.organization),
                 selectinload(HandlingAssignment.acknowledged_by))
        .order_by(HandlingAssignment.id))
    return {row.document_id: row for row in rows}  # the newest main assignment wins


def _assignee(row: HandlingAssignment | None) -> tuple[str, str]:
    if row is None:
        return UNASSIGNED, ""
    if row.person is not None:
        return row.person.organization.name_in_text, row.person.full_name
    assert row.organization is not None
    signer = row.acknowledged_by.full_name if row.acknowledged_by is not None else ""
    return row.organization.name_in_text, signer


def outgoing(*, session: Session, organization: Organization, start: date, end: date,
             today: date | None = None, calendar: WorkingCalendar | None = None
             ) -> HandlingReport:
    """The report on handling outgoing documents drafted or issued from ``start`` to ``end``."""
    _check_period(start, end)
    as_of = _as_of(end, today)
    calendar = calendar or WorkingCalendar()
    docs = session.scalars(
        select(Document).where(
            Document.issuer_id == organization.id, Document.direction == Direction.OUTGOING,
            or_(Document.issue_date.between(start, end),
                (Document.created_at >= local_day_start(start))
                & (Document.created_at < local_day_start(end + timedelta(days=1)))))
        .options(selectinload(Document.created_by)).order_by(Document.id)).all()
    signed = _person_signatures(session, [d.id for d in docs])
    answers = _answer_deadlines(session, [d.id for d in docs])
    tallies: dict[tuple[str, str], Tally] = {}
    for doc in docs:
        deadlines = [d for d in (answers.get(doc.id),) if d is not None]
        if doc.id in signed:
            deadlines.append(calendar.next_working_day(signed[doc.id]))
        due = min(deadlines) if deadlines else None
        done = doc.status in ISSUED and doc.issue_date is not None and doc.issue_date <= as_of
        issued_on = doc.issue_date if done else None
        late = (issued_on > due if issued_on and due else
                due is not None and not done and due < as_of)
        unit = doc.drafting_unit or organization.code
        handler = doc.created_by.full_name if doc.created_by is not None else ""
        _tally(tallies, unit, handler).count(done=done, late=bool(late))
    return HandlingReport(Direction.OUTGOING, organization, start, end, as_of, _rows(tallies))


def _person_signatures(session: Session, document_ids: Iterable[int]) -> dict[int, date]:
    rows = session.execute(select(DocumentSignature.document_id, DocumentSignature.signed_at)
                           .where(DocumentSignature.document_id.in_(list(document_ids)),
                                  DocumentSignature.role == "person"))
    return {doc_id: local_date(at) for doc_id, at in rows}


def _answer_deadlines(session: Session, document_ids: Iterable[int]) -> dict[int, date]:
    rows = session.execute(select(HandlingAssignment.answer_document_id,
                                  HandlingAssignment.due_date)
                           .where(HandlingAssignment.answer_document_id.in_(list(document_ids)),
                                  HandlingAssignment.due_date.is_not(None)))
    found: dict[int, date] = {}
    for doc_id, due in rows:
        if doc_id is not None and due is not None:
            found[doc_id] = min(due, found.get(doc_id, due))
    return found


__all__ = ["UNASSIGNED", "HandlingReport", "Tally", "incoming", "outgoing"]
