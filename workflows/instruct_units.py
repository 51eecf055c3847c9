"""Flow: draft the instruction, route it to approval; once approved, issue it and open requests.

Approval is data: the first run ends at "awaiting approval"; the recorded decision (or the
scheduled reconciler) runs :func:`issue_instruction`, which issues, enqueues deliveries and
creates one ReportRequest per instructed unit per period, in chunks.
"""

from __future__ import annotations

from datetime import date

from prefect import flow, task

from registry import single_flight
from registry.clock import local_today
from reporting.batching import chunks
from workflows import flow_env, steps
from workflows.steps import CycleSettings, InstructionIn


@task(retries=2, retry_delay_seconds=1)
def draft(instr: InstructionIn, settings: CycleSettings) -> int:
    """Draft and submit the instruction to its signer (idempotent per guidance)."""
    return steps.draft_instruction(instr, settings)


@task(retries=2, retry_delay_seconds=1)
def issue(document_id: int, on: date, settings: CycleSettings) -> str | None:
    """Issue if signed (number, .docx, signed PDF, deliveries); None while awaiting approval."""
    return steps.issue(document_id, on, settings)


@task
def plan(instruction_id: int, period_keys: list[str] | None) -> list[tuple[int, str, list[int]]]:
    """Which duty, period and units get requests."""
    return steps.instruction_plan(instruction_id, period_keys)


@task(retries=2, retry_delay_seconds=1)
def open_chunk(duty_id: int, period_key: str, unit_ids: list[int], roll_forward: bool) -> int:
    """Open the requests of one chunk of units (idempotent)."""
    return steps.open_requests_chunk(duty_id, period_key, unit_ids, roll_forward)


@flow(name="instruct_units")
def instruct_units(instr: InstructionIn, settings: CycleSettings | None = None) -> int:
    """Draft the instruction and route it to approval; returns its id ("awaiting approval")."""
    settings = flow_env.ready(settings)
    return draft(instr, settings)


@flow(name="issue_instruction")
def issue_instruction(instruction_id: int, on: date,
                      settings: CycleSettings | None = None,
                      period_keys: list[str] | None = None) -> int:
    """Issue a signed instruction and open its requests; returns how many were opened."""
    settings = flow_env.ready(settings)
    if issue(instruction_id, on, settings) is None:
        return 0
    opened = 0
    futures = [open_chunk.submit(duty_id, period, chunk, settings.roll_forward)
               for duty_id, period, units in plan(instruction_id, period_keys)
               for chunk in chunks(units)]
    for future in futures:
        opened += future.result()
    return opened


@flow(name="reconcile_approved")
def reconcile_approved(on: date | None = None,
                       settings: CycleSettings | None = None) -> list[str]:
    """Issue whatever was signed but not issued (scheduled). A run that starts while another
    one is still at work ends at once with nothing issued: the one at work issues it."""
    settings = flow_env.ready(settings)
    with single_flight.alone("reconcile_approved") as alone:
        if not alone:
            flow_env.log_skipped("reconcile_approved")
            return []
        return steps.reconcile(on or local_today(), settings)
