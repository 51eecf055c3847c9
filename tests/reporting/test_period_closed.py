"""A period is closed for a unit once the Báo cáo aggregating it is issued; only the unit's own
reporter or clerk files its figures."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import documents
from registry.errors import PermissionDenied
from registry.models import AuditEvent, DocumentStatus, Submission
from reporting.scenario import sample_values
from reporting.submissions import submit_json
from tests import factories
from tests.reporting.conftest import Owed


def _report(session: Session, owed: Owed, *, issued: bool) -> int:
    doc = documents.create(session=session, doc_type="bao_cao", issuer=owed.collector,
                           subject="Kết quả quý IV năm 2023", drafting_unit="NC")
    owed.request.report_document_id = doc.id
    if issued:
        documents.issue_number(session=session, document=doc, on=date(2023, 12, 20))
        doc.status = DocumentStatus.ISSUED
    session.flush()
    return doc.id


class TestPeriodClosed:
    def test_drafted_report_does_not_close(self, session: Session, owed: Owed) -> None:
        """While the Báo cáo is only drafted, a unit may still replace its figures."""
        first = submit_json(session=session, request_id=owed.request.id,
                            unit_key=owed.unit.key, values=sample_values(1))
        _report(session, owed, issued=False)
        again = submit_json(session=session, request_id=owed.request.id,
                            unit_key=owed.unit.key, values=sample_values(2))
        assert first.ok and again.ok and again.replaced == first.submission_id

    def test_issued_report_refuses_and_says_how_to_correct(self, session: Session,
                                                           owed: Owed) -> None:
        """After the Báo cáo is issued a new submission is refused with a message naming the
        report and the numbered correction report; the kept figures do not change; the audit
        log records the attempt."""
        first = submit_json(session=session, request_id=owed.request.id,
                            unit_key=owed.unit.key, values=sample_values(1))
        report_id = _report(session, owed, issued=True)
        refused = submit_json(session=session, request_id=owed.request.id,
                              unit_key=owed.unit.key, values=sample_values(2))
        report = documents.get(session=session, document_id=report_id)
        assert not refused.ok and refused.closed_by == report_id
        assert f"Báo cáo số {report.number_symbol} ngày 20/12/2023" in refused.message
        assert "quý IV năm 2023 đã khép lại" in refused.message
        assert "báo cáo đính chính có số, ký hiệu" in refused.message
        current = session.scalars(select(Submission).where(
            Submission.request_id == owed.request.id, Submission.current.is_(True))).all()
        assert [s.id for s in current] == [first.submission_id]
        assert current[0].values["models_total"] == sample_values(1)["models_total"]
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "submission_rejected",
            AuditEvent.object_id == owed.request.id)).one()
        assert event.detail["reason"] == "period_closed" and event.detail["report"] == report_id

    def test_first_submission_after_close_is_refused_too(self, session: Session,
                                                         owed: Owed) -> None:
        """A unit that never reported cannot file after the period is closed either."""
        _report(session, owed, issued=True)
        refused = submit_json(session=session, request_id=owed.request.id,
                              unit_key=owed.unit.key, values=sample_values(1))
        assert not refused.ok and refused.closed_by is not None
        assert session.scalar(select(Submission.id).where(
            Submission.request_id == owed.request.id)) is None


class TestWhoFiles:
    def test_reporter_of_the_unit_files(self, session: Session, owed: Owed) -> None:
        """The unit's reporter files; the audit line names the person."""
        reporter = factories.person(session, owed.unit, roles=["reporter"])
        receipt = submit_json(session=session, request_id=owed.request.id,
                              unit_key=owed.unit.key, values=sample_values(1), actor=reporter)
        assert receipt.ok
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "submit", AuditEvent.object_id == owed.request.id)).one()
        assert event.actor_id == reporter.id

    def test_other_units_reporter_and_a_leader_are_refused(self, session: Session,
                                                           owed: Owed) -> None:
        """A reporter of another unit, or the unit's leader (no reporter/clerk role), may not
        file; nothing is stored."""
        outsider = factories.person(session, factories.org(session), roles=["reporter"],
                                    full_name="Phạm Văn C")
        with pytest.raises(PermissionDenied, match="Phạm Văn C không thuộc đơn vị"):
            submit_json(session=session, request_id=owed.request.id, unit_key=owed.unit.key,
                        values=sample_values(1), actor=outsider)
        leader = factories.person(session, owed.unit, roles=["leader"], full_name="Hồ Thị D")
        with pytest.raises(PermissionDenied, match="Hồ Thị D không có vai trò người báo cáo"):
            submit_json(session=session, request_id=owed.request.id, unit_key=owed.unit.key,
                        values=sample_values(1), actor=leader)
        assert session.scalar(select(Submission.id).where(
            Submission.request_id == owed.request.id)) is None
