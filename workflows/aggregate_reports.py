"""Flow: aggregate a closed period and draft the Báo cáo, routed for approval."""

from __future__ import annotations

from prefect import flow, task

from workflows import flow_env, steps


@task(retries=2, retry_delay_seconds=1)
def aggregate_and_draft(duty_id: int, period_key: str, signer_key: str, superior_key: str,
                        settings: steps.CycleSettings | None = None) -> int:
    """Aggregate and draft the report (idempotent per duty and period)."""
    return steps.aggregate_and_draft(duty_id, period_key, signer_key, superior_key, settings)


@flow(name="aggregate_reports")
def aggregate_reports(duty_id: int, period_key: str, signer_key: str, superior_key: str,
                      settings: steps.CycleSettings | None = None) -> int:
    """Returns the Báo cáo's id; it awaits the leader's approval."""
    settings = flow_env.ready(settings)
    return aggregate_and_draft(duty_id, period_key, signer_key, superior_key, settings)
