"""Rules a submission must pass, found missing by the mutation check (docs/test-strength.md):
another unit's request is refused, a figure may not exceed its limit even by one, and the
aggregation reads only each unit's current submission."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import PermissionDenied
from registry.models import AuditEvent, ReportRequest, Submission
from reporting import aggregation
from reporting.scenario import sample_values
from reporting.submissions import submit_json
from tests import factories
from tests.reporting.conftest import Owed


class TestSubmissionRules:
    def test_another_units_request_is_refused(self, session: Session, owed: Owed) -> None:
        """A unit that posts figures for another unit's request is refused, naming both units
        and the fix, and nothing is stored."""
        other = factories.org(session, key="ca-xa-khac")
        with pytest.raises(PermissionDenied, match=f"là của đơn vị {owed.unit.key}, không phải "
                                                   "của ca-xa-khac"):
            submit_json(session=session, request_id=owed.request.id, unit_key=other.key,
                        values=sample_values(1))
        assert session.scalar(select(Submission.id).where(
            Submission.request_id == owed.request.id)) is None

    def test_not_above_by_one_is_refused(self, session: Session, owed: Owed) -> None:
        """models_effective one above models_rated is refused with the indicator, the cell
        and the fix; the audit log records the refusal; equal is accepted."""
        values = sample_values(1)
        values["models_effective"] = values["models_rated"] + 1
        refused = submit_json(session=session, request_id=owed.request.id,
                              unit_key=owed.unit.key, values=values)
        assert not refused.ok
        [error] = refused.errors
        cell = owed.form.cell("models_effective")
        assert error["indicator"] == "models_effective" and error["cell"] == cell
        assert f"hãy sửa ô {cell}" in error["message"]
        assert session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "submission_rejected",
            AuditEvent.object_id == owed.request.id)) is not None
        values["models_effective"] = values["models_rated"]
        assert submit_json(session=session, request_id=owed.request.id,
                           unit_key=owed.unit.key, values=values).ok


class TestAggregationReadsCurrent:
    def test_replaced_submission_is_not_counted(self, session: Session, owed: Owed) -> None:
        """A unit that files twice is counted once, with its second figures."""
        first, second = sample_values(1), sample_values(2)
        assert first["models_total"] != second["models_total"]
        for values in (first, second):
            assert submit_json(session=session, request_id=owed.request.id,
                               unit_key=owed.unit.key, values=values).ok
        # A superseded row written after the current one (history restored from a backup):
        # the aggregation must go by the current flag, not by row order.
        session.add(Submission(request_id=owed.request.id, unit_id=owed.unit.id,
                               values=sample_values(3), channel="api", valid=True, errors=[],
                               current=False, submitted_at=datetime(2023, 12, 1, tzinfo=UTC)))
        session.flush()
        other = factories.org(session)
        row = ReportRequest(duty_id=owed.duty.id, form_id=owed.request.form_id,
                            unit_id=other.id, period="2023-Q4", period_start=date(2023, 10, 1),
                            period_end=date(2023, 12, 31), due_date=date(2023, 12, 8))
        session.add(row)
        session.flush()
        figures = aggregation.aggregate(session=session, duty_id=owed.duty.id,
                                        period_key="2023-Q4", form=owed.form)
        assert figures.coverage == "1/2"
        assert figures.totals["models_total"] == second["models_total"]
        filed = {k: v for k, v in second.items() if v is not None}
        assert [v for _, v in figures.reported] == [filed]
        assert figures.totals["participants"] == second["participants"]
