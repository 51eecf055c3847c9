"""Every deployment and schedule, for a Prefect server's process workers or ``serve``.

Deployments point at module paths (``workflows.remind_late_units.remind_late_units``): a
process worker imports the installed package, so nothing is uploaded and no image or remote
storage is needed. Flows take no settings as parameters — each run reads congvan's settings
from its environment (:mod:`workflows.flow_env`) — so every deployment runs with its defaults:

- ``remind-late-units-daily`` at 07:30 Asia/Ho_Chi_Minh: every period whose notice window has
  begun, computed at run time from the calendar;
- ``reconcile-approved`` every 10 minutes: issues what was signed but not issued;
- the other flows without a schedule, run on demand (``congvan flows run``, the API, the UI).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.clock import TIMEZONE

RECONCILE = "reconcile-approved"
REMIND = "remind-late-units-daily"
SCHEDULES: dict[str, str | int] = {REMIND: "30 7 * * *", RECONCILE: 600}

_MODULES = {
    "receive_guidance": "receive_guidance",
    "instruct_units": "instruct_units",
    "issue_instruction": "instruct_units",
    "reconcile_approved": "instruct_units",
    "collect": "collect",
    "ingest_posts": "collect",
    "remind_late_units": "remind_late_units",
    "aggregate_reports": "aggregate_reports",
    "forward_report": "forward_report",
    "quarterly_cycle": "quarterly_cycle",
}


def flows() -> dict[str, Any]:
    """The flows by name (``congvan flows run NAME``)."""
    import importlib

    return {name: getattr(importlib.import_module(f"workflows.{module}"), name)
            for name, module in _MODULES.items()}


def deployment_name(flow_name: str) -> str:
    """The deployment of a flow: the scheduled names above, else the flow name with dashes."""
    return {"reconcile_approved": RECONCILE, "remind_late_units": REMIND}.get(
        flow_name, flow_name.replace("_", "-"))


@dataclass(frozen=True)
class Parameter:
    """One parameter of a flow, for ``congvan flows list`` and for checking a run's input."""

    name: str
    annotation: str
    required: bool
    default: Any


def parameters(flow_name: str) -> list[Parameter]:
    """The flow's parameters in order (``settings`` is read from the environment; not listed)."""
    fn = flows()[flow_name].fn
    hints = _hints(fn)
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.name == "settings":
            continue
        hint = hints.get(p.name)
        ann = (hint.__name__ if isinstance(hint, type) else
               str(hint).replace("typing.", "").replace("datetime.", "")
               .replace("workflows.", ""))
        out.append(Parameter(p.name, ann, p.default is inspect.Parameter.empty,
                             None if p.default is inspect.Parameter.empty else p.default))
    return out


@dataclass(frozen=True)
class BadParameter:
    """A missing, unknown or invalid parameter: where and the pydantic reason (an error code)."""

    name: str
    problem: str  # "missing" | "unknown" | "invalid"
    detail: str = ""


def check_parameters(flow_name: str, given: dict[str, Any]) -> list[BadParameter]:
    """What is wrong with ``given`` as the parameters of ``flow_name`` (empty when nothing)."""
    from pydantic import TypeAdapter
    from pydantic import ValidationError as PydanticError

    fn = flows()[flow_name].fn
    sig = inspect.signature(fn)
    hints = _hints(fn)
    problems = [BadParameter(k, "unknown") for k in given if k not in sig.parameters]
    for p in sig.parameters.values():
        if p.name not in given:
            if p.default is inspect.Parameter.empty:
                problems.append(BadParameter(p.name, "missing"))
            continue
        try:
            TypeAdapter(hints.get(p.name, Any)).validate_python(given[p.name])
        except PydanticError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ()))
            problems.append(BadParameter(p.name, "invalid", f"{where} {first['type']}".strip()))
    return problems


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    import typing

    return typing.get_type_hints(fn)


def _schedule(spec: str | int) -> Any:
    from prefect.schedules import Cron, Interval

    if isinstance(spec, int):
        return Interval(spec, timezone=TIMEZONE)
    return Cron(spec, timezone=TIMEZONE)


def deployments(schedules: dict[str, str | int] | None = None, *,
                module_paths: bool = True) -> list[Any]:
    """Every deployment; ``schedules`` overrides the default cron (str) or interval in seconds
    (int) by deployment name (tests use a short one). Module-path entrypoints unless told
    otherwise (``serve`` needs none: it runs the flow objects it holds)."""
    from prefect.types.entrypoint import EntrypointType

    plan = {**SCHEDULES, **(schedules or {})}
    kind = EntrypointType.MODULE_PATH if module_paths else EntrypointType.FILE_PATH
    out = []
    for flow_name, fl in flows().items():
        name = deployment_name(flow_name)
        spec = plan.get(name)
        # No deployment concurrency limit: on Prefect 3.8.8 a limit's slot can stay taken
        # after its run ended (seen on a real server: every later run of the reconciler
        # waited in AwaitingConcurrencySlot forever, so nothing was issued again). Runs may
        # overlap instead, safely: issuing locks the document and re-checks its state,
        # reminders claim their requests, submissions are idempotent.
        out.append(fl.to_deployment(
            name=name, schedule=_schedule(spec) if spec is not None else None,
            entrypoint_type=kind, description=(fl.description or "").split("\n")[0] or None))
    return out


def deploy(pool: str, schedules: dict[str, str | int] | None = None, *,
           crashed_after: int | None = None) -> list[str]:
    """Register every deployment with the Prefect server (PREFECT_API_URL) on the process work
    pool ``pool`` (created if missing), with the automation that marks a run Crashed when its
    heartbeats stop (after ``crashed_after`` seconds, default three heartbeat periods);
    returns "flow/deployment" names."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    async def ensure_pool() -> None:
        async with get_client() as client:
            try:
                await client.read_work_pool(pool)
            except ObjectNotFound:
                await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))

    asyncio.run(ensure_pool())
    ensure_zombie_automation(crashed_after)
    ensure_rerun_automation()
    names = []
    for dep in deployments(schedules):
        dep.apply(work_pool_name=pool)
        names.append(f"{dep.flow_name}/{dep.name}")
    return names


ZOMBIE_AUTOMATION = "congvan: lượt chạy mất nhịp tim → Crashed"
HEARTBEAT_SECONDS = 30  # PREFECT_FLOWS_HEARTBEAT_FREQUENCY of the runs (congvan flows worker)


def heartbeat_seconds() -> int:
    """How often a flow run sends a heartbeat (PREFECT_FLOWS_HEARTBEAT_FREQUENCY, default 30)."""
    value = os.environ.get("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "")
    return int(value) if value.isdigit() and int(value) > 0 else HEARTBEAT_SECONDS


def ensure_zombie_automation(after_seconds: int | None = None) -> None:
    """Make sure the server marks a run Crashed when its heartbeats stop (its process died):
    no heartbeat, completion, failure or cancellation within three heartbeat periods after
    the last heartbeat (or ``after_seconds``). Created once, by name; updated when the
    period changes."""
    from datetime import timedelta

    from prefect.automations import Automation
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    within = timedelta(seconds=after_seconds or 3 * heartbeat_seconds())
    automation = Automation(
        name=ZOMBIE_AUTOMATION,
        description="Tiến trình chạy luồng đã chết (kill -9, hết bộ nhớ, mất điện): đánh dấu "
                    "Crashed để lượt sau và bộ đối soát làm tiếp.",
        # The clock also starts at Running: a process killed before its first heartbeat
        # reached the server is as dead as one killed later.
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat", "prefect.flow-run.Running"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed",
                    "prefect.flow-run.Failed", "prefect.flow-run.Cancelled",
                    "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"}, posture=Posture.Proactive, threshold=1,
            within=within),
        actions=[ChangeFlowRunState(
            name="Crashed", state=StateType.CRASHED, force=False,
            message="Mất nhịp tim: tiến trình chạy luồng đã dừng đột ngột.")])

    async def existing() -> list[Any]:
        async with get_client() as client:
            return list(await client.read_automations_by_name(ZOMBIE_AUTOMATION))

    async def drop(found: list[Any]) -> None:
        async with get_client() as client:
            for old in found:
                await client.delete_automation(old.id)

    found = asyncio.run(existing())
    if found and getattr(found[0].trigger, "within", None) == within:
        return
    asyncio.run(drop(found))
    automation.create()


RERUN_AUTOMATION = "congvan: lượt chạy đổ vỡ → chạy lại một lần"


def ensure_rerun_automation() -> None:
    """Make sure the server runs a crashed deployment run again, once: when a run of a
    deployment becomes Crashed on its first attempt (its process or its worker's machine was
    lost, marked by the worker or by the heartbeat automation), it is set Scheduled
    ("AwaitingRetry") and a worker picks the same run, with the same parameters, up again.
    Every step is idempotent (a number is taken in the transaction that issues, reminders are
    claimed, submissions replace), so the re-run finishes the work without doubling it. A run
    that crashes again (its second attempt: ``prefect.run-count`` 2) stays Crashed — a run
    that kills its process every time is not retried forever. Created once, by name."""
    from prefect.automations import Automation
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    async def existing() -> list[Any]:
        async with get_client() as client:
            return list(await client.read_automations_by_name(RERUN_AUTOMATION))

    if asyncio.run(existing()):
        return
    Automation(
        name=RERUN_AUTOMATION,
        description="Lượt chạy của một triển khai bị đổ vỡ lần đầu: xếp lịch chạy lại đúng "
                    "lượt đó (cùng tham số) một lần; mọi bước đều lặp lại được an toàn.",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"],
                                         "prefect.run-count": ["1"]}),
            match_related=ResourceSpecification({"prefect.resource.role": "deployment"}),
            for_each={"prefect.resource.id"}, posture=Posture.Reactive, threshold=1),
        actions=[ChangeFlowRunState(
            name="AwaitingRetry", state=StateType.SCHEDULED, force=False,
            message="Chạy lại sau khi đổ vỡ (một lần).")]).create()


def serve(schedules: dict[str, str | int] | None = None) -> None:
    """Serve every deployment from this process (blocks)."""
    from prefect import serve as prefect_serve

    prefect_serve(*deployments(schedules, module_paths=False))


def worker_command(pool: str, *, limit: int | None = None) -> list[str]:
    """The command line of a process worker for ``pool``."""
    argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool,
            "--type", "process"]
    if limit is not None:
        argv += ["--limit", str(limit)]
    return argv


def run_worker(pool: str, *, limit: int | None = None) -> int:
    """Run a process worker for ``pool`` until SIGTERM or SIGINT; returns its exit status.

    The worker runs as a child so that one SIGTERM stops it promptly: it is passed on as
    SIGINT (Prefect's worker shuts down on that at once; on SIGTERM alone it lingered), then
    escalated after 20 s (SIGTERM), then 30 s (SIGKILL); a worker stopped that way exits
    with 143, terminated on request.
    """
    import subprocess
    import time

    env = dict(os.environ)
    env.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", str(HEARTBEAT_SECONDS))
    child = subprocess.Popen(worker_command(pool, limit=limit), env=env)
    asked: list[float] = []  # when the stop was first passed on

    def forward(signum: int, _frame: Any) -> None:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
            if not asked:
                asked.append(time.monotonic())

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    escalation = [(20.0, signal.SIGTERM), (30.0, signal.SIGKILL)]
    while True:
        try:
            code = child.wait(timeout=1)
            # Stopped by the escalation we asked for: "terminated on request" (128 + SIGTERM).
            return 128 + signal.SIGTERM if len(escalation) < 2 and code < 0 else code
        except subprocess.TimeoutExpired:
            # A worker that does not stop on SIGINT (busy event loop on a loaded machine) is
            # told again, then killed: the unit's stop must not hang.
            if asked and escalation and time.monotonic() - asked[0] >= escalation[0][0]:
                child.send_signal(escalation.pop(0)[1])
        except KeyboardInterrupt:  # pragma: no cover - handled by forward
            continue


@dataclass(frozen=True)
class RunInfo:
    """One flow run: its state's type and name, and when it was scheduled, started and ended."""

    state_type: str
    state_name: str
    expected_start: datetime | None
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class DeploymentStatus:
    """One deployment on the server, its schedules and its next and last runs."""

    name: str
    flow_name: str
    pool: str | None
    schedules: list[str]
    active: bool
    next_run: RunInfo | None
    last_run: RunInfo | None
    last_completed: RunInfo | None


def _info(run: Any) -> RunInfo | None:
    if run is None:
        return None
    state = run.state
    return RunInfo(state.type.value if state else "UNKNOWN", state.name if state else "",
                   run.expected_start_time, run.start_time, run.end_time)


def _describe(schedule: Any) -> str:
    s = schedule.schedule
    if getattr(s, "cron", None):
        return f"cron {s.cron}"
    if getattr(s, "interval", None):
        return f"every {int(s.interval.total_seconds())}s"
    return str(s)


def status() -> list[DeploymentStatus]:
    """Every deployment on the server with its schedules and next and last runs."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    async def collect() -> list[DeploymentStatus]:
        async with get_client() as client:
            deps = sorted(await client.read_deployments(), key=lambda d: d.name)
            flows_by_id = {f.id: f.name for f in await client.read_flows()}

            async def first(dep: Any, types: list[StateType], sort: FlowRunSort) -> Any:
                runs = await client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep.id])),
                    sort=sort, limit=1, flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=types))))
                return runs[0] if runs else None

            async def one(dep: Any) -> DeploymentStatus:
                nxt, last, done = await asyncio.gather(
                    first(dep, [StateType.SCHEDULED], FlowRunSort.EXPECTED_START_TIME_ASC),
                    first(dep, [t for t in StateType if t is not StateType.SCHEDULED],
                          FlowRunSort.EXPECTED_START_TIME_DESC),
                    first(dep, [StateType.COMPLETED], FlowRunSort.EXPECTED_START_TIME_DESC))
                return DeploymentStatus(
                    name=dep.name, flow_name=flows_by_id.get(dep.flow_id, "?"),
                    pool=dep.work_pool_name,
                    schedules=[_describe(s) for s in dep.schedules if s.active],
                    active=not dep.paused, next_run=_info(nxt), last_run=_info(last),
                    last_completed=_info(done))

            return list(await asyncio.gather(*(one(d) for d in deps)))

    return asyncio.run(collect())


def trigger(flow_name: str, parameters: dict[str, Any], *, timeout: float | None = None
            ) -> tuple[str, str | None]:
    """Create a run of the flow's deployment on the server and wait for it; returns its final
    state type and the state's message (the error, when it failed)."""
    from prefect.deployments import run_deployment

    run = run_deployment(f"{flow_name}/{deployment_name(flow_name)}", parameters=parameters,
                         timeout=timeout)
    state = getattr(run, "state", None)
    if state is None:
        return "UNKNOWN", None
    return state.type.value, state.message
