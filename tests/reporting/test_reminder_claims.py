"""A reminder stage is claimed once per request: a retried claim, or two runs at the same
time on real connections, claim each request once and count one reminder."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import db
from registry.models import Delivery, Reminder, ReportingDuty, ReportRequest
from reporting import reminders
from reporting.forms import ensure_form, parse_form
from reporting.requests import working_calendar
from reporting.scenario import form_dict
from tests import factories
from tests.reporting.conftest import Owed

POLICY = reminders.ReminderPolicy()
DUE = date(2023, 12, 8)


def _more_requests(session: Session, owed: Owed, n: int) -> list[int]:
    ids = [owed.request.id]
    for i in range(n):
        unit = factories.org(session, name=f"CÔNG AN XÃ {i + 1}")
        row = ReportRequest(duty_id=owed.duty.id, form_id=owed.request.form_id, unit_id=unit.id,
                            period="2023-Q4", period_start=date(2023, 10, 1),
                            period_end=date(2023, 12, 31), due_date=DUE)
        session.add(row)
        session.flush()
        ids.append(row.id)
    return ids


def _sent(session: Session, ids: list[int]) -> list[int]:
    return list(session.scalars(select(ReportRequest.reminders_sent)
                                .where(ReportRequest.id.in_(ids)).order_by(ReportRequest.id)))


class TestClaimRetried:
    def test_second_claim_of_the_same_requests_claims_nothing(self, session: Session,
                                                              owed: Owed) -> None:
        """claim() returns the requests it claimed; the same call again returns none and the
        reminder count stays at one per request."""
        ids = _more_requests(session, owed, 2)
        assert reminders.claim(session=session, request_ids=ids, stage="notice") == ids
        assert _sent(session, ids) == [1, 1, 1]
        assert reminders.claim(session=session, request_ids=ids, stage="notice") == []
        assert _sent(session, ids) == [1, 1, 1]
        assert session.scalar(select(func.count()).select_from(Reminder)
                              .where(Reminder.request_id.in_(ids))) == 3

    def test_overlapping_retry_claims_only_the_new_ones(self, session: Session,
                                                        owed: Owed) -> None:
        """A retry with one request more claims only that one; another stage counts apart."""
        ids = _more_requests(session, owed, 2)
        assert reminders.claim(session=session, request_ids=ids[:2], stage="notice") == ids[:2]
        assert reminders.claim(session=session, request_ids=ids, stage="notice") == ids[2:]
        assert _sent(session, ids) == [1, 1, 1]
        assert reminders.claim(session=session, request_ids=ids[:1], stage="don_doc") == ids[:1]
        assert _sent(session, ids) == [2, 1, 1]

    def test_send_notices_retried_adds_no_notice(self, session: Session, owed: Owed) -> None:
        """The notice stage run twice (a retried task) claims and enqueues each notice once."""
        ids = _more_requests(session, owed, 2)
        first = reminders.send_notices(
            session=session, duty_id=owed.duty.id, period_key="2023-Q4", stage="notice",
            today=date(2023, 12, 6), calendar=working_calendar(), policy=POLICY,
            channels=["email"])
        again = reminders.send_notices(
            session=session, duty_id=owed.duty.id, period_key="2023-Q4", stage="notice",
            today=date(2023, 12, 6), calendar=working_calendar(), policy=POLICY,
            channels=["email"], request_ids=ids)
        assert (first, again) == (3, 0)
        assert _sent(session, ids) == [1, 1, 1]
        notices = session.scalar(select(func.count()).select_from(Delivery)
                                 .where(Delivery.notice_id.is_not(None)))
        assert notices == 3


@pytest.fixture
def configured(fresh_url: str) -> Iterator[tuple[str, list[int]]]:
    """A fresh database of each kind, configured as the process's, with 6 owed requests."""
    db.configure(fresh_url)
    with db.transaction() as s:
        row = ensure_form(session=s, form=parse_form(form_dict()))
        collector = factories.org(s, code="BCĐ", kind="advisory")
        duty = ReportingDuty(form_id=row.id, collector_id=collector.id,
                             policy={"kind": "quarterly", "day": 10, "month_of_quarter": 3})
        s.add(duty)
        s.flush()
        ids = []
        for i in range(6):
            unit = factories.org(s, name=f"ĐƠN VỊ {i}")
            req = ReportRequest(duty_id=duty.id, form_id=row.id, unit_id=unit.id,
                                period="2023-Q4", period_start=date(2023, 10, 1),
                                period_end=date(2023, 12, 31), due_date=DUE)
            s.add(req)
            s.flush()
            ids.append(req.id)
    yield fresh_url, ids
    db.get_engine().dispose()


class TestConcurrentRuns:
    def test_two_runs_at_once_claim_each_request_once(
            self, configured: tuple[str, list[int]]) -> None:
        """Two runs, each in its own transaction on its own connection, claim the same six
        requests at the same moment: together they claim six, and each request counts one."""
        _, ids = configured
        barrier = threading.Barrier(2)
        results: list[list[int]] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait(timeout=30)
                with db.transaction() as s:
                    results.append(reminders.claim(session=s, request_ids=ids, stage="notice"))
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert sorted(results[0] + results[1]) == ids
        with db.transaction() as s:
            assert _sent(s, ids) == [1] * 6
            assert s.scalar(select(func.count()).select_from(Reminder)) == 6
