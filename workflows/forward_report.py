"""Flow: issue the approved Báo cáo and send it up to the superior body through the outbox."""

from __future__ import annotations

from datetime import date

from prefect import flow, task

from registry.clock import local_today
from workflows import flow_env, steps


@task(retries=2, retry_delay_seconds=1)
def issue(document_id: int, on: date, settings: steps.CycleSettings) -> str | None:
    """Issue with its deliveries (None while awaiting approval)."""
    return steps.issue(document_id, on, settings)


@flow(name="forward_report")
def forward_report(report_id: int, on: date | None = None,
                   settings: steps.CycleSettings | None = None) -> str | None:
    """Issue and enqueue the report; the outbox relay delivers it."""
    settings = flow_env.ready(settings)
    return issue(report_id, on or local_today(), settings)
