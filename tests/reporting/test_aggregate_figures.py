"""Every figure of the aggregated report, checked exactly: totals, each derived figure with its
own numerator and denominator, coverage, and how the Báo cáo's body prints them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from registry.models import ReportRequest
from reporting import aggregation
from reporting.forms import parse_form
from reporting.scenario import form_dict
from reporting.submissions import submit_json
from tests import factories
from tests.reporting.conftest import Owed

# Three units' figures chosen so that every plausible wrong denominator gives another answer:
# effective/rated = 45/52 = 86,5 % (over models_total 56 it would be 80,4 %; over models_new
# 6, 750 %), sites/replicated = 43/12 = 3,6 (over rated 0,8; over total 0,8).
UNITS: list[dict[str, Any]] = [
    {"models_total": 20, "models_residential": 10, "models_agency": 6, "models_school": 4,
     "models_new": 3, "models_replicated": 5, "replication_sites": 20, "participants": 800,
     "largest_model": 120, "models_rated": 18, "models_effective": 16, "models_recognized": 1,
     "models_stopped": 0, "units_with_new": 1, "support_budget": 12.5, "notes": "Camera an ninh"},
    {"models_total": 16, "models_residential": 8, "models_agency": 5, "models_school": 3,
     "models_new": 2, "models_replicated": 4, "replication_sites": 14, "participants": 650,
     "largest_model": 95, "models_rated": 15, "models_effective": 13, "models_recognized": 0,
     "models_stopped": 1, "units_with_new": 0, "support_budget": 7.25, "notes": None},
    {"models_total": 20, "models_residential": 12, "models_agency": 5, "models_school": 3,
     "models_new": 1, "models_replicated": 3, "replication_sites": 9, "participants": 912,
     "largest_model": 140, "models_rated": 19, "models_effective": 16, "models_recognized": 2,
     "models_stopped": 0, "units_with_new": 1, "support_budget": 3, "notes": "Tổ tự quản"},
]


def _period(session: Session, owed: Owed) -> aggregation.Figures:
    """Owed's unit plus three more owe 2023-Q4; three of the four file UNITS."""
    requests = [owed.request]
    for n in range(3):
        unit = factories.org(session, name=f"CÔNG AN XÃ {n + 1}")
        row = ReportRequest(duty_id=owed.duty.id, form_id=owed.request.form_id, unit_id=unit.id,
                            period="2023-Q4", period_start=date(2023, 10, 1),
                            period_end=date(2023, 12, 31), due_date=date(2023, 12, 8))
        session.add(row)
        session.flush()
        requests.append(row)
    for request, values in zip(requests[1:], UNITS, strict=True):
        receipt = submit_json(session=session, request_id=request.id,
                              unit_key=request.unit.key, values=values)
        assert receipt.ok, receipt.message
    return aggregation.aggregate(session=session, duty_id=owed.duty.id, period_key="2023-Q4",
                                 form=owed.form)


class TestAggregatedFigures:
    def test_totals_are_exact(self, session: Session, owed: Owed) -> None:
        """Each indicator aggregates as its form says: sums, max, count of positives, list."""
        figures = _period(session, owed)
        t = figures.totals
        assert (t["models_total"], t["models_rated"], t["models_effective"]) == (56, 52, 45)
        assert (t["models_replicated"], t["replication_sites"], t["models_new"]) == (12, 43, 6)
        assert t["participants"] == 2362 and t["largest_model"] == 140
        assert t["units_with_new"] == 2 and t["models_stopped"] == 1
        assert float(t["support_budget"]) == 22.75
        assert t["notes"] == ["Camera an ninh", "Tổ tự quản"]

    def test_each_derived_figure_uses_its_numerator_and_denominator(self, session: Session,
                                                                    owed: Owed) -> None:
        """effective/rated = 45/52 → 86,5%; sites/replicated = 43/12 → 3,6; coverage 3/4."""
        figures = _period(session, owed)
        assert figures.derived == {"effective_rate": "86,5%", "sites_per_model": "3,6",
                                   "coverage": "3/4"}
        assert figures.coverage == "3/4" and len(figures.missing) == 1
        for d in owed.form.derived:
            if d.kind == "coverage":
                continue
            num, den = figures.totals[d.numerator or ""], figures.totals[d.denominator or ""]
            assert (d.key, num, den) in {("effective_rate", 45, 52),
                                         ("sites_per_model", 43, 12)}

    def test_zero_denominator_prints_a_dash(self) -> None:
        """A derived figure over a zero total is "—", never a division error or 0%."""
        totals = {"models_effective": 0, "models_rated": 0, "replication_sites": 4,
                  "models_replicated": 0}
        derived = aggregation.derive(parse_form(form_dict()), totals, reported=0, owed=2)
        assert derived == {"effective_rate": "—", "sites_per_model": "—", "coverage": "0/2"}

    def test_report_body_prints_the_same_figures(self, session: Session, owed: Owed) -> None:
        """The Báo cáo's body prints the totals and each derived figure as computed, the
        per-unit table's total row, and names the unit that did not report."""
        figures = _period(session, owed)
        body = aggregation.report_body(form=owed.form, figures=figures, instruction_ref="CV",
                                       guidance_ref="HD", collector_name="Ban Chỉ đạo")
        assert ("- Tỷ lệ mô hình hoạt động hiệu quả trên số mô hình được đánh giá: 86,5%;"
                in body)
        assert "- Số điểm nhân rộng bình quân mỗi mô hình được nhân rộng: 3,6;" in body
        assert "- Tổng số mô hình đang hoạt động: 56 mô hình;" in body
        assert "- Số người tham gia mô hình: 2.362 người;" in body
        assert "| | **Tổng cộng** | 56 | 6 | 12 | 2.362 | 45 |" in body
        assert "3/4 đơn vị đã gửi báo cáo" in body
        assert "hoạt động hiệu quả đạt 86,5%" in body
        assert f"Còn 1 đơn vị chưa gửi báo cáo: {owed.unit.name}." in body
