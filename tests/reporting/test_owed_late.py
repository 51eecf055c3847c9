"""What is owed and what is late: one definition for the web, the reminders and the CLI."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from registry.models import RequestStatus
from reporting import requests
from tests.reporting.conftest import Owed


class TestOwedLate:
    def test_late_only_after_the_due_date(self, owed: Owed) -> None:
        """Due 8 December: not late on the 8th, late on the 9th."""
        assert owed.request.due_date == date(2023, 12, 8)
        assert not requests.is_late(owed.request, today=date(2023, 12, 8))
        assert requests.is_late(owed.request, today=date(2023, 12, 9))

    def test_submitted_is_neither_owed_nor_late_rejected_is_both(self, owed: Owed) -> None:
        """A submitted report is not owed; a rejected one is owed again and can be late."""
        owed.request.status = RequestStatus.SUBMITTED
        assert not requests.is_owed(owed.request)
        assert not requests.is_late(owed.request, today=date(2024, 1, 1))
        owed.request.status = RequestStatus.REJECTED
        assert requests.is_late(owed.request, today=date(2024, 1, 1))

    def test_overview_marks_late_rows(self, session: Session, owed: Owed) -> None:
        """The overview lists the request of the period and marks it late after its due date;
        late_only keeps only late rows."""
        rows = requests.overview(session=session, today=date(2023, 12, 9), period="2023-Q4")
        assert [(r.request.id, r.late) for r in rows] == [(owed.request.id, True)]
        assert requests.overview(session=session, today=date(2023, 12, 8), period="2023-Q4",
                                 late_only=True) == []
        assert "2023-Q4" in requests.periods(session=session)
