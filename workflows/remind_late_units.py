"""Flow (daily 07:30 Asia/Ho_Chi_Minh): notices before the due date, a đôn đốc công văn after it,
escalation to the superior later. Each unit is reminded once per stage, even under retries.
The same run reminds the handlers of incoming documents past their handling due date, and warns
about files (hồ sơ) due to the agency archive within 30 days (once per file)."""

from __future__ import annotations

from datetime import date

from prefect import flow, task

from registry import single_flight
from registry.clock import local_today
from reporting.batching import chunks
from workflows import collect, flow_env, steps


@task
def pending(duty_id: int, period_key: str, stage: str, today: date,
            settings: steps.CycleSettings) -> list[int]:
    """Requests for which the stage is due and not yet sent."""
    return steps.pending_reminders(duty_id, period_key, stage, today, settings)


@task(retries=2, retry_delay_seconds=1)
def notify_chunk(duty_id: int, period_key: str, stage: str, today: date,
                 settings: steps.CycleSettings, chunk: list[int]) -> int:
    """Claim and notify one chunk (claimed rows are never notified twice)."""
    return steps.send_notices(duty_id, period_key, stage, today, settings, chunk=chunk)


@task(retries=2, retry_delay_seconds=1)
def don_doc(duty_id: int, period_key: str, today: date, signer_key: str,
            settings: steps.CycleSettings) -> int | None:
    """Draft the đôn đốc công văn for the late units (to the leader, or pre-authorised)."""
    return steps.draft_don_doc(duty_id, period_key, today, signer_key, settings)


@task(retries=2, retry_delay_seconds=1)
def issue(document_id: int, on: date, settings: steps.CycleSettings) -> str | None:
    """Issue the đôn đốc if it is approved."""
    return steps.issue(document_id, on, settings)


@task(retries=2, retry_delay_seconds=1)
def overdue_handling(today: date, settings: steps.CycleSettings) -> int:
    """Remind the handlers of incoming documents past their due date (outbox.handling), once per
    assignment and due date, by the cycle's notice channels."""
    from outbox.enqueue import NOTICE_CHANNELS
    from outbox.handling import remind_overdue
    from registry import db

    channels = [c for c in settings.channels if c in NOTICE_CHANNELS] or ["email"]
    with db.transaction() as session:
        return len(remind_overdue(session=session, today=today, channels=channels))


@task(retries=2, retry_delay_seconds=1)
def handover_warnings(today: date, settings: steps.CycleSettings) -> int:
    """Warn the units whose closed files are due to the agency archive within 30 days, once per
    file (records.closing), by the cycle's notice channels."""
    from outbox.enqueue import NOTICE_CHANNELS
    from records.closing import warn_due_handover
    from registry import db
    from registry.clock import now_utc

    channels = [c for c in settings.channels if c in NOTICE_CHANNELS] or ["email"]
    with db.transaction() as session:
        return len(warn_due_handover(session=session, today=today, now=now_utc(),
                                     channels=channels))


@task
def due_periods(duty_id: int | None, period_key: str | None, today: date,
                settings: steps.CycleSettings) -> list[tuple[int, str]]:
    """The duties and periods whose reminders may be due today (from the calendar)."""
    from registry import db
    from reporting import reminder_plan

    with db.transaction() as session:
        return reminder_plan.due_periods(session=session, today=today, policy=settings.reminder,
                                         duty_id=duty_id, period_key=period_key)


def _signer(duty_id: int) -> str | None:
    from registry import db
    from reporting import reminder_plan

    with db.transaction() as session:
        return reminder_plan.instruction_signer(session=session, duty_id=duty_id)


def _remind(duty_id: int, period_key: str, signer_key: str | None, today: date,
            settings: steps.CycleSettings) -> dict[str, object]:
    sent: dict[str, object] = {}
    # A unit whose post is staged (reporting.staging) has reported: ingest before reminding.
    for first_id, last_id in collect.staged_ranges(duty_id, period_key):
        collect.ingest_staged_chunk(first_id, last_id)
    for stage in ("notice", "escalation"):
        ids = pending(duty_id, period_key, stage, today, settings)
        futures = [notify_chunk.submit(duty_id, period_key, stage, today, settings, c)
                   for c in chunks(ids)]
        sent[stage] = sum(f.result() for f in futures)
    signer = signer_key or _signer(duty_id)
    document_id = don_doc(duty_id, period_key, today, signer, settings) if signer else None
    sent["don_doc"] = document_id
    if document_id is not None:
        sent["don_doc_number"] = issue(document_id, today, settings)
    return sent


@flow(name="remind_late_units")
def remind_late_units(duty_id: int | None = None, period_key: str | None = None,
                      signer_key: str | None = None, today: date | None = None,
                      settings: steps.CycleSettings | None = None) -> dict[str, object]:
    """Run every reminder stage due today (Vietnam time); returns what was sent.

    With ``duty_id`` and ``period_key`` it works on that period and returns its stages;
    without them (the daily schedule) on every period whose notice window has begun, by the
    working-day calendar, keyed "duty/period". The đôn đốc is signed by ``signer_key``, else by
    whoever signed the duty's instruction. The same run reminds the handlers of overdue
    incoming documents ("handling") and warns about files due to the archive within 30 days
    ("handover").
    """
    settings = flow_env.ready(settings)
    today = today or local_today()
    if duty_id is not None and period_key is not None:
        return _all_stages({"": (duty_id, period_key)}, signer_key, today, settings)
    # The daily run: one at a time (a late run overlapping the next one would only find
    # everything claimed, after warming up for nothing).
    with single_flight.alone("remind_late_units") as alone:
        if not alone:
            flow_env.log_skipped("remind_late_units")
            return {}
        return _all_stages({f"{d}/{p}": (d, p) for d, p in due_periods(
            duty_id, period_key, today, settings)}, signer_key, today, settings)


def _all_stages(periods: dict[str, tuple[int, str]], signer_key: str | None, today: date,
                settings: steps.CycleSettings) -> dict[str, object]:
    """The reminder stages of ``periods`` (one unnamed period: its stages at the top level),
    then the handling reminders and the handover warnings."""
    sent: dict[str, object]
    if set(periods) == {""}:
        sent = _remind(*periods[""], signer_key, today, settings)
    else:
        sent = {name: _remind(d, p, signer_key, today, settings)
                for name, (d, p) in periods.items()}
    sent["handling"] = overdue_handling(today, settings)
    sent["handover"] = handover_warnings(today, settings)
    return sent
