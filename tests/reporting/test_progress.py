"""The deadlines board's figures so far, summed by the database, equal the aggregation of the
Báo cáo over the same submissions (both engines); the board's counts and pages."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from reporting import aggregation
from reporting import requests as report_requests
from tests.reporting.conftest import Owed
from tests.reporting.test_aggregate_figures import _period


class TestProgress:
    def test_sql_totals_equal_the_report_aggregation(self, session: Session, owed: Owed
                                                     ) -> None:
        """Sums, max, count of positives, decimals, derived figures and coverage agree; a list
        indicator counts its non-empty entries; the unit that did not report is named."""
        figures = _period(session, owed)
        progress = aggregation.progress(session=session, duty_id=owed.duty.id,
                                        period_key="2023-Q4", form=owed.form)
        for ind in owed.form.indicators:
            expected = figures.totals[ind.key]
            got = progress.totals[ind.key]
            if ind.aggregate == "list":
                assert got == len(expected), ind.key
            elif isinstance(expected, float) or ind.type == "decimal":
                assert float(got) == float(expected), ind.key
            else:
                assert got == expected and type(got) is type(expected), ind.key
        assert progress.derived == figures.derived
        assert progress.coverage == figures.coverage == "3/4"
        assert progress.missing == figures.missing and progress.missing_count == 1

    def test_missing_names_are_bounded(self, session: Session, owed: Owed) -> None:
        """Only the first ``missing_limit`` units are named; the count says how many."""
        _period(session, owed)
        progress = aggregation.progress(session=session, duty_id=owed.duty.id,
                                        period_key="2023-Q4", form=owed.form, missing_limit=0)
        assert progress.missing == [] and progress.missing_count == 1


class TestCountsAndPages:
    def test_counts_and_paged_overview_agree_with_the_whole_list(self, session: Session,
                                                                 owed: Owed) -> None:
        """Submitted, late and waiting are counted by the database as the listing classes them;
        pages of the listing put together are the listing."""
        _period(session, owed)
        today = date(2023, 12, 20)
        whole = report_requests.overview(session=session, today=today, period="2023-Q4")
        counts = report_requests.counts(session=session, today=today, period="2023-Q4")
        assert counts == {"total": 4, "submitted": 3, "late": 1, "waiting": 0}
        assert counts["late"] == sum(1 for r in whole if r.late)
        pages = [report_requests.overview(session=session, today=today, period="2023-Q4",
                                          limit=3, offset=o) for o in (0, 3)]
        assert [r.request.id for p in pages for r in p] == [r.request.id for r in whole]
        late = report_requests.counts(session=session, today=today, period="2023-Q4",
                                      late_only=True)
        assert late["total"] == late["late"] == 1
        early = report_requests.counts(session=session, today=date(2023, 12, 1),
                                       period="2023-Q4")
        assert early["late"] == 0 and early["waiting"] == 1


class TestBoardKeepsFigures:
    def test_kept_figures_follow_every_new_submission(self, session: Session, owed: Owed
                                                      ) -> None:
        """The board's kept figures equal a fresh sum before and after a unit files a
        correction, and after the last unit files (a new request is seen too)."""
        from reporting.submissions import submit_json
        from tests.reporting.test_aggregate_figures import UNITS

        aggregation._PROGRESS.clear()
        _period(session, owed)
        form_id = owed.request.form_id

        def both() -> tuple[aggregation.Progress, aggregation.Progress]:
            kept = aggregation.progress_memo(session=session, duty_id=owed.duty.id,
                                             period_key="2023-Q4", form=owed.form,
                                             form_id=form_id)
            fresh = aggregation.progress(session=session, duty_id=owed.duty.id,
                                         period_key="2023-Q4", form=owed.form)
            return kept, fresh

        kept, fresh = both()
        assert kept == fresh and kept.coverage == "3/4"
        assert both()[0] is kept  # nothing changed: the same answer, not summed again
        before = kept.totals["participants"]
        corrected = dict(UNITS[0], participants=UNITS[0]["participants"] + 1000)
        other = [r for r in report_requests.overview(session=session, today=date(2023, 12, 1),
                                                     period="2023-Q4")
                 if r.submitted_at is not None][0].request
        assert submit_json(session=session, request_id=other.id, unit_key=other.unit.key,
                           values=corrected).ok
        kept, fresh = both()
        assert kept == fresh and kept.totals["participants"] != before
        assert submit_json(session=session, request_id=owed.request.id,
                           unit_key=owed.unit.key, values=UNITS[1]).ok
        kept, fresh = both()
        assert kept == fresh and kept.coverage == "4/4" and kept.missing == []


class TestBoardRows:
    def test_board_rows_are_the_overview_rows(self, session: Session, owed: Owed) -> None:
        """Same requests, order, units, forms, states, lateness and filing times as the
        ORM listing, page by page and for late units only."""
        _period(session, owed)
        today = date(2023, 12, 20)
        for late_only in (False, True):
            for limit, offset in ((None, 0), (3, 0), (3, 3)):
                rows = report_requests.board_rows(session=session, today=today,
                                                  period="2023-Q4", late_only=late_only,
                                                  limit=limit, offset=offset)
                listed = report_requests.overview(session=session, today=today,
                                                  period="2023-Q4", late_only=late_only,
                                                  limit=limit, offset=offset)
                assert [(r.request.id, r.request.unit.name, r.request.form.name,
                         r.request.status, r.request.due_date, r.request.reminders_sent,
                         r.submitted_at, r.late) for r in rows] == [
                    (r.request.id, r.request.unit.name, r.request.form.name, r.request.status,
                     r.request.due_date, r.request.reminders_sent, r.submitted_at, r.late)
                    for r in listed]
        assert any(r.late for r in report_requests.board_rows(session=session, today=today,
                                                              period="2023-Q4"))
