"""Every deployment and schedule: served by ``congvan flows serve`` (Prefect ``serve``)."""

from __future__ import annotations

from typing import Any

from registry.clock import TIMEZONE


def flows() -> dict[str, Any]:
    """The flows by name (``congvan flows run NAME``)."""
    from workflows import (
        aggregate_reports,
        collect,
        forward_report,
        instruct_units,
        quarterly_cycle,
        receive_guidance,
        remind_late_units,
    )

    return {
        "receive_guidance": receive_guidance.receive_guidance,
        "instruct_units": instruct_units.instruct_units,
        "issue_instruction": instruct_units.issue_instruction,
        "reconcile_approved": instruct_units.reconcile_approved,
        "collect": collect.collect,
        "ingest_posts": collect.ingest_posts,
        "remind_late_units": remind_late_units.remind_late_units,
        "aggregate_reports": aggregate_reports.aggregate_reports,
        "forward_report": forward_report.forward_report,
        "quarterly_cycle": quarterly_cycle.quarterly_cycle,
    }


def deployments(parameters: dict[str, dict[str, Any]] | None = None) -> list[Any]:
    """The scheduled deployments: reminders daily at 07:30, the reconciler every 10 minutes.

    ``parameters`` gives the reminder deployment its duty, period and signer
    (``{"remind_late_units": {...}}``); without it only the reconciler is scheduled.
    """
    from prefect.schedules import Cron, Interval

    table = flows()
    params = parameters or {}
    out = [table["reconcile_approved"].to_deployment(
        name="reconcile-approved", schedule=Interval(600, timezone=TIMEZONE))]
    if "remind_late_units" in params:
        out.append(table["remind_late_units"].to_deployment(
            name="remind-late-units-daily", parameters=params["remind_late_units"],
            schedule=Cron("30 7 * * *", timezone=TIMEZONE)))
    for name, fl in table.items():
        if name not in {"reconcile_approved", "remind_late_units"}:
            out.append(fl.to_deployment(name=name.replace("_", "-")))
    return out


def serve(parameters: dict[str, dict[str, Any]] | None = None) -> None:
    """Serve every deployment from this process (blocks)."""
    from prefect import serve as prefect_serve

    prefect_serve(*deployments(parameters))
