"""The parent flow for one period: open requests, take submissions, remind, aggregate, forward.

Submissions come as references: ``uploads`` name files, and JSON posts received in bulk are
staged rows (:mod:`reporting.staging`) that the cycle reads by id range for its duty and
period — never the posts themselves as a parameter.

Approval stays data: the Báo cáo is drafted and submitted here; it is issued and forwarded
by this flow only if the leader's decision is already recorded (else by the reconciler or
the next run of ``forward_report``).
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from registry.clock import local_today
from reporting.batching import chunks
from workflows import aggregate_reports, collect, flow_env, forward_report, instruct_units, steps
from workflows import remind_late_units as remind


@flow(name="quarterly_cycle")
def quarterly_cycle(instruction_id: int, period_key: str, signer_key: str, superior_key: str,
                    today: date | None = None,
                    uploads: list[collect.Upload] | None = None,
                    settings: steps.CycleSettings | None = None,
                    aggregate: bool | None = None) -> dict[str, object]:
    """Run one period's cycle as of ``today``; returns a summary of what each step did."""
    settings = flow_env.ready(settings)
    today = today or local_today()
    summary: dict[str, object] = {}
    plan = instruct_units.plan(instruction_id, [period_key])
    futures = [instruct_units.open_chunk.submit(d, p, c, settings.roll_forward)
               for d, p, units in plan for c in chunks(units)]
    summary["opened"] = sum(f.result() for f in futures)
    if uploads:
        answers = [a for f in [collect.ingest_chunk.submit(c, settings.files_dir)
                               for c in chunks(uploads, 200)] for a in f.result()]
        summary["answers"] = answers
    duties = sorted({d for d, _, _ in plan})
    # Before any reminder: a unit whose post is staged has reported.
    ranges = [r for d in duties for r in collect.staged_ranges(d, period_key)]
    if ranges:
        summary["accepted"] = sum(f.result() for f in [collect.ingest_staged_chunk.submit(a, b)
                                                       for a, b in ranges])
    reports = []
    for duty_id in duties:
        reminded: dict[str, object] = {}
        for stage in ("notice", "escalation"):
            ids = remind.pending(duty_id, period_key, stage, today, settings)
            reminded[stage] = sum(f.result() for f in [
                remind.notify_chunk.submit(duty_id, period_key, stage, today, settings, c)
                for c in chunks(ids)])
        reminded["don_doc"] = remind.don_doc(duty_id, period_key, today, signer_key, settings)
        summary[f"reminders[{duty_id}]"] = reminded
        due = steps.default_dates(period_key, duty_id)["due"]
        if aggregate or (aggregate is None and today > due):
            report_id = aggregate_reports.aggregate_and_draft(duty_id, period_key, signer_key,
                                                              superior_key, settings)
            reports.append(report_id)
            summary[f"forwarded[{report_id}]"] = forward_report.issue(report_id, today, settings)
    summary["reports"] = reports
    return summary
