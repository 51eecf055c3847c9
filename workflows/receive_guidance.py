"""Flow: register a superior body's guidance as an incoming document, with its reporting duties."""

from __future__ import annotations

from prefect import flow, task

from reporting.guidance import GuidanceIn
from workflows import flow_env, steps


@task(retries=2, retry_delay_seconds=1)
def register(guidance: GuidanceIn) -> int:
    """Register the guidance (idempotent: same sender and number once)."""
    return steps.receive_guidance(guidance)


@flow(name="receive_guidance")
def receive_guidance(guidance: GuidanceIn) -> int:
    """Register ``guidance``; returns the incoming document's id."""
    flow_env.ready()
    return register(guidance)
