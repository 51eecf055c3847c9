"""`make scale-demo`: congvan scaled out on one machine, on loopback, and a province's quarterly
cycle run through the deployments.

Brings up: a PostgreSQL registry, a Prefect server on PostgreSQL, the deployments on a process
work pool, 2 process workers (one run at a time each), 2 web processes, 2 outbox relays and a
local SMTP server. Runs the Kon Tum 2023-Q4 cycle through deployment runs (receive the
guidance, draft the instruction, issue it and open requests, collect 8 of 10 workbooks, remind
twice at once, reconcile, aggregate and forward) with the leaders' decisions recorded as data.
Then checks: both workers ran flows; every e-mail delivery arrived exactly once; the outgoing
register holds 1..N with no gap or duplicate; the aggregated figures equal those computed
in-process from the same workbooks; and that what the cycle left (e-mails, numbers, reminders,
notices, submissions, figures) is what the undisturbed run recorded in
tests/workflows/scale_demo_expected.json left. Everything it starts, it stops (also on Ctrl+C).

    python scripts/scale_demo.py [--postgres ADMIN_URL] [--keep DIR] [--record]
                                 [--fault kill-worker] [--fault server-down]

The faults (`make scale-faults`; tests/workflows/test_scale_demo.py runs both in `make test`):
kill-worker loses the worker running the first quarterly_cycle at a known point of its ingest
and leaves it to the server to mark the run Crashed and run it again; server-down stops the
Prefect server for 30 s while a scheduled reminder run falls due.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

EXPECTED = ROOT / "tests" / "workflows" / "scale_demo_expected.json"
# What the cycle leaves behind, the same with or without faults; recorded from an undisturbed
# run in EXPECTED (`scripts/scale_demo.py --record`).
RESULT = ("e-mails", "dead", "deliveries", "numbers", "coverage", "totals", "reminders",
          "notices", "current submissions")
KEY_PASSWORD = "scale-demo"
PERIOD = "2023-Q4"
SIGNER, SUPERIOR = "le-ngoc-tuan", "bca"


class Mailbox:
    """A local SMTP server (aiosmtpd) that keeps every message's delivery key."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        from workflows.prefect_env import free_port

        self.messages: list[Any] = []
        self.port = free_port()
        outer = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                from email import message_from_bytes
                from email.policy import default

                outer.messages.append(message_from_bytes(envelope.content, policy=default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def _pg(admin: str, name: str, drop: bool = False) -> str:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        if drop:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def _process(argv: list[str], env: dict[str, str], log: Path, cwd: Path
             ) -> Iterator[subprocess.Popen[bytes]]:
    from workflows.prefect_env import stop

    with log.open("ab") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)


def _wait(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return bool(r.status < 500)
    except OSError:
        return False


def _workbooks(files: Path, count: int) -> list[dict[str, str]]:
    """Workbooks for the first ``count`` districts' 2023-Q4 requests (in the shared files dir)."""
    from registry import db
    from registry.models import ReportRequest
    from reporting import scenario, xlsx
    from reporting.forms import parse_form
    from workflows import steps

    form = parse_form(scenario.form_dict())
    uploads = []
    for n, (rid, _unit) in enumerate(steps.request_ids(1, PERIOD)[:count]):
        with db.transaction() as s:
            r = s.get(ReportRequest, rid)
            assert r is not None
            wb = xlsx.build_workbook(form, unit_name=r.unit.name, unit_key=r.unit.key,
                                     period_key=r.period, period_label="Quý IV năm 2023",
                                     request_id=r.id, due=str(r.due_date))
            data, unit = xlsx.fill_workbook(wb, scenario.sample_values(n), form), r.unit.key
        path = files / "uploads" / f"{unit}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        uploads.append({"path": str(path), "unit_key": unit})
    return uploads


def run(work: Path, admin_url: str, faults: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Bring everything up, run the cycle through the deployments, check, stop; returns the
    findings (raises on a failed check). ``faults``: "kill-worker" (kill -9 of the worker
    running the first quarterly_cycle, in the middle of its ingest; the server runs it again)
    and/or "server-down" (the reminder is a scheduled run, due while the Prefect server is
    stopped for 30 s, instead of two reminder runs at once)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from registry import db, schema
    from registry.directory import import_file
    from registry.models import Delivery, DeliveryStatus, Document, DocumentStatus, ReportingDuty
    from reporting import scenario
    from signing.keys import create_dev_ca
    from workflows import prefect_env, steps
    from workflows.deployments import trigger

    home = work / "home"
    create_dev_ca(home / "keys", password=KEY_PASSWORD)
    tag = uuid.uuid4().hex[:8]
    registry_url = _pg(admin_url, f"congvan_scale_{tag}")
    prefect_url = _pg(admin_url, f"prefect_scale_{tag}")
    findings: dict[str, Any] = {}
    try:
        engine = db.make_engine(registry_url)
        schema.upgrade(engine)
        engine.dispose()
        db.configure(registry_url)
        with db.transaction() as s:
            import_file(session=s, path=scenario.DIRECTORY_FILE)
        async_url = make_url(prefect_url).set(drivername="postgresql+asyncpg").render_as_string(
            hide_password=False)
        server = prefect_env.LocalServer(home=work / "prefect-server", database_url=async_url)
        with Mailbox() as mail, server.running() as api, contextlib.ExitStack() as procs:
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("CONGVAN_", "PREFECT_"))}
            env.update(prefect_env.QUIET)
            env.update({
                "PREFECT_API_URL": api, "PREFECT_HOME": str(work / "prefect-client"),
                "CONGVAN_HOME": str(home), "CONGVAN_DATABASE_URL": registry_url,
                "CONGVAN_KEY_PASSWORD": KEY_PASSWORD, "CONGVAN_CHANNELS": '["email"]',
                "CONGVAN_SMTP_HOST": "127.0.0.1", "CONGVAN_SMTP_PORT": str(mail.port),
                "CONGVAN_DEMO": "1",
                "PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_WORKER_PREFETCH_SECONDS": "5"})
            # With a worker to kill: its run is marked Crashed 60 s after its last heartbeat.
            crashed = ["--crashed-after", "60"] if "kill-worker" in faults else []
            subprocess.run([sys.executable, "-m", "congvan", "flows", "deploy", "--pool",
                            "scale", *crashed], env=env, cwd=work, check=True,
                           capture_output=True)
            logs = work / "logs"
            logs.mkdir(exist_ok=True)
            worker_env = dict(env, PREFECT_LOGGING_LEVEL="INFO")
            workers: list[subprocess.Popen[bytes]] = []

            def start_worker(index: int) -> None:
                proc = procs.enter_context(_process(
                    [sys.executable, "-m", "congvan", "flows", "worker", "--pool", "scale",
                     "--limit", "1"], worker_env, logs / f"worker-{index + 1}.log", work))
                workers[index:index + 1] = [proc]

            for i in (1, 2):
                start_worker(i - 1)
                procs.enter_context(_process(
                    [sys.executable, "-m", "congvan", "outbox", "run", "--loop",
                     "--interval", "1"], env, logs / f"relay-{i}.log", work))
            ports = [prefect_env.free_port() for _ in (1, 2)]
            for port in ports:
                procs.enter_context(_process(
                    [sys.executable, "-m", "congvan", "web", "--port", str(port)], env,
                    logs / f"web-{port}.log", work))
            for port in ports:
                _wait(f"web on {port}", lambda p=port: _http_ok(f"http://127.0.0.1:{p}/"), 120)

            def deployment(name: str, params: dict[str, Any]) -> None:
                with temporary_settings(updates={PREFECT_API_URL: api}):
                    state, message = trigger(name, json.loads(json.dumps(params, default=str)),
                                             timeout=900)
                if state != "COMPLETED":
                    raise RuntimeError(f"{name}: {state} {message}")

            deployment("receive_guidance", {"guidance": scenario.guidance().model_dump()})
            with db.transaction() as s:
                guidance_id = s.scalars(select(Document.id).order_by(Document.id)).first()
            deployment("instruct_units", {"instr": scenario.instruction(
                guidance_id, reporting_unit_keys=scenario.DISTRICTS).model_dump()})
            with db.transaction() as s:
                duty = s.scalars(select(ReportingDuty).order_by(ReportingDuty.id)).first()
                assert duty is not None and duty.instruction_document_id is not None
                instruction_id = duty.instruction_document_id
            steps.record_decision(instruction_id, SIGNER)  # the leader approves and signs
            deployment("issue_instruction", {"instruction_id": instruction_id,
                                             "on": "2022-12-16", "period_keys": [PERIOD]})
            uploads = _workbooks(home / "files", 8)
            first_cycle = {
                "instruction_id": instruction_id, "period_key": PERIOD, "signer_key": SIGNER,
                "superior_key": SUPERIOR, "today": "2023-12-06", "uploads": uploads}
            if "kill-worker" in faults:
                # The run crashes and is run again by the server, not by us.
                findings["kill-worker"] = _kill_worker_mid_run(
                    api, "quarterly_cycle", first_cycle, workers, logs, registry_url,
                    steps.request_ids(1, PERIOD)[4][0], start_worker)
                print(f"kill-worker: {findings['kill-worker']}", flush=True)
            else:
                deployment("quarterly_cycle", first_cycle)
            # Two reminder runs at once (one per worker): the late units are reminded once.
            from concurrent.futures import ThreadPoolExecutor

            def remind(_: int) -> str:
                # Prefect's settings are per context: each thread enters its own.
                with temporary_settings(updates={PREFECT_API_URL: api}):
                    return trigger("remind_late_units", {
                        "duty_id": 1, "period_key": PERIOD, "today": "2023-12-12"},
                        timeout=900)[0]

            if "server-down" in faults:
                findings["server-down"] = _scheduled_while_server_down(api, server, {
                    "duty_id": 1, "period_key": PERIOD, "today": "2023-12-12"}, logs)
                print(f"server-down: {findings['server-down']}", flush=True)
            else:
                with ThreadPoolExecutor(2) as pool:
                    states = list(pool.map(remind, range(2)))
                if states != ["COMPLETED", "COMPLETED"]:
                    raise RuntimeError(f"remind_late_units: {states}")
            with db.transaction() as s:
                don_docs = list(s.scalars(select(Document.id).where(
                    Document.status == DocumentStatus.SUBMITTED, Document.doc_type == "cong_van")))
            for doc_id in don_docs:
                steps.record_decision(doc_id, SIGNER)
            deployment("reconcile_approved", {"on": "2023-12-12"})
            deployment("quarterly_cycle", {
                "instruction_id": instruction_id, "period_key": PERIOD, "signer_key": SIGNER,
                "superior_key": SUPERIOR, "today": "2023-12-19"})
            with db.transaction() as s:
                reports = list(s.scalars(select(Document.id).where(
                    Document.status == DocumentStatus.SUBMITTED)))
            for doc_id in reports:
                steps.record_decision(doc_id, SIGNER)
            deployment("reconcile_approved", {"on": "2023-12-20"})

            def drained() -> bool:
                with db.transaction() as s:
                    pending = s.scalar(select(func.count()).select_from(Delivery).where(
                        Delivery.channel == "email",
                        Delivery.status.not_in([DeliveryStatus.SENT, DeliveryStatus.DEAD])))
                return pending == 0

            _wait("the relays deliver every e-mail", drained, 300)
            time.sleep(3)  # a relay's last message is in the mailbox before its row is SENT
        findings.update(_check(work, mail.messages))
        return findings
    finally:
        with contextlib.suppress(Exception):
            db.get_engine().dispose()
        _pg(admin_url, make_url(registry_url).database or "", drop=True)
        _pg(admin_url, make_url(prefect_url).database or "", drop=True)


def _client_call(api: str, fn: Any) -> Any:
    """Run ``fn(client)`` (a coroutine function) against the server at ``api``."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def go() -> Any:
        async with get_client() as client:
            return await fn(client)

    with temporary_settings(updates={PREFECT_API_URL: api}):
        return asyncio.run(go())


def _create_run(api: str, flow_name: str, params: dict[str, Any],
                scheduled: Any = None) -> Any:
    from prefect.states import Scheduled

    from workflows.deployments import deployment_name

    async def go(client: Any) -> Any:
        dep = await client.read_deployment_by_name(f"{flow_name}/{deployment_name(flow_name)}")
        return (await client.create_flow_run_from_deployment(
            dep.id, parameters=json.loads(json.dumps(params, default=str)),
            state=Scheduled(scheduled_time=scheduled) if scheduled else None)).id

    return _client_call(api, go)


def _history(api: str, run_id: Any) -> dict[str, Any]:
    """A run's state types oldest first, its run count and start time."""
    async def go(client: Any) -> dict[str, Any]:
        run = await client.read_flow_run(run_id)
        states = sorted(await client.read_flow_run_states(run_id), key=lambda s: s.timestamp)

        def named(state: Any) -> str:
            kind = state.type.value
            return kind if state.name in (None, kind.title()) else f"{kind} ({state.name})"

        return {"run count": run.run_count, "start": run.start_time,
                "states": [named(s) for s in states],
                "messages": [s.message for s in states if s.message]}

    return _client_call(api, go)


def diagnose(api: str, run_id: Any, logs: Path) -> str:
    """For a failure: the run's states and the tail of every worker's log."""
    try:
        history: Any = _history(api, run_id)
    except Exception as exc:  # noqa: BLE001 - the server may be the thing that failed
        history = f"(server: {exc})"
    tails = "".join(f"\n--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
                    for log in sorted(logs.glob("worker-*.log")))
    return f"flow run {run_id}: {history}{tails}"


def _kill_worker_mid_run(api: str, flow_name: str, params: dict[str, Any],
                         workers: list[subprocess.Popen[bytes]], logs: Path, registry_url: str,
                         held_request: int, restart: Any) -> dict[str, Any]:
    """A worker's machine lost in the middle of the cycle, at a known point: hold the row of
    ``held_request`` (the 5th of the 8 uploads: the run's ingest writes it after the first
    4), start the run, and once it is Running and its session waits for that row
    (pg_blocking_pids), kill -9 the worker running it — its whole process group and the
    run's own (Prefect starts a run in a group of its own), LibreOffice included. Then the
    row is released and the worker restarted (as systemd would). No one runs the deployment
    again: the heartbeat automation marks the run Crashed, the re-run automation schedules
    the same run again, and a worker completes it."""
    import asyncio

    from registry.models import Submission

    needle = b"PREFECT__FLOW_RUN_ID="

    def run_process(run_id: Any) -> int | None:
        wanted = needle + str(run_id).encode()
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                with contextlib.suppress(OSError):
                    if wanted in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                        return int(pid)
        return None

    engine = create_engine(registry_url)
    try:
        with engine.connect() as held:
            held.execute(text("SELECT id FROM report_requests WHERE id = :r FOR UPDATE"),
                         {"r": held_request}).one()
            held_pid = held.execute(text("SELECT pg_backend_pid()")).scalar_one()
            run_id = _create_run(api, flow_name, params)

            def blocked() -> bool:
                # A connection of its own each time: a transaction sees one snapshot of
                # pg_stat_activity.
                with engine.connect() as probe:
                    return bool(probe.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE :h = ANY("
                        "pg_blocking_pids(pid))"), {"h": held_pid}).scalar())

            async def kill_when_blocked() -> tuple[int, float]:
                from prefect.client.orchestration import get_client

                async with get_client() as client:
                    deadline = time.monotonic() + 900
                    while time.monotonic() < deadline:
                        run = await client.read_flow_run(run_id)
                        state = run.state.type.value if run.state is not None else None
                        if run.state is not None and run.state.is_final():
                            raise RuntimeError(f"{flow_name} ended ({state}) before the kill")
                        pid = run_process(run_id) if state == "RUNNING" else None
                        index = _worker_of(pid, workers) if pid is not None else None
                        if pid is not None and index is not None and blocked():
                            for group in {os.getpgid(pid), workers[index].pid}:
                                with contextlib.suppress(ProcessLookupError):
                                    os.killpg(group, signal.SIGKILL)
                            workers[index].wait(10)
                            return index, time.monotonic()
                        await asyncio.sleep(0.5)
                    raise TimeoutError(f"{flow_name}: not waiting for request "
                                       f"#{held_request} within 900 s")

            from prefect.settings import PREFECT_API_URL, temporary_settings

            try:
                with temporary_settings(updates={PREFECT_API_URL: api}):
                    index, killed_at = asyncio.run(kill_when_blocked())
            except Exception as exc:
                raise RuntimeError(f"{exc}\n{diagnose(api, run_id, logs)}") from exc
            with engine.connect() as probe:
                before = probe.execute(select(func.count()).select_from(Submission)).scalar()
            held.rollback()
    finally:
        engine.dispose()
    restart(index)

    def seen(kind: str) -> Any:
        h = _history(api, run_id)
        return h if any(s.startswith(kind) for s in h["states"]) else None

    try:
        _wait(f"{flow_name} marked Crashed", lambda: seen("CRASHED"), 600)
        crashed_after = time.monotonic() - killed_at
        history = _wait(f"{flow_name} run again and completed", lambda: (
            lambda h: h if h["states"][-1].startswith(("COMPLETED", "FAILED", "CANCELLED"))
            or h["states"][-1] == "CRASHED" and h["run count"] > 1 else None)(
                _history(api, run_id)), 900)
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}\n{diagnose(api, run_id, logs)}") from exc
    if not history["states"][-1].startswith("COMPLETED"):
        raise AssertionError(f"{flow_name} after its crash: {diagnose(api, run_id, logs)}")
    return {"killed": f"worker-{index + 1}", "submissions before the kill": before,
            "marked crashed after s": round(crashed_after), "run count": history["run count"],
            "states": history["states"], "run": str(run_id)}


def _worker_of(pid: int, workers: list[subprocess.Popen[bytes]]) -> int | None:
    """Which of ``workers`` ``pid`` descends from (by the parent chain in /proc)."""
    roots = {w.pid: i for i, w in enumerate(workers)}
    while pid > 1:
        if pid in roots:
            return roots[pid]
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return None


def _scheduled_while_server_down(api: str, server: Any, params: dict[str, Any], logs: Path,
                                 down: float = 30.0) -> dict[str, Any]:
    """A reminder run scheduled 25 s ahead; the server stops at once (SIGTERM, SIGKILL after
    8 s) and stays down for ``down`` seconds after it has stopped (the run falls due while it
    is away; a worker looks 5 s ahead, so it cannot have taken the run before), then starts
    again on the same port and database. The run must start after the server is back,
    complete on its first attempt, and be the only reminder run of those parameters that
    ran; the reminders it claimed (one per late request and stage) are counted."""
    from datetime import UTC, datetime, timedelta

    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    from registry import db
    from registry.models import Notice, Reminder

    def counts() -> tuple[dict[str, int], int]:
        with db.transaction() as s:
            by_stage = dict(s.execute(select(Reminder.stage, func.count()).group_by(
                Reminder.stage)).all())
            return by_stage, s.scalar(select(func.count()).select_from(Notice)) or 0

    reminders_before, notices_before = counts()
    from workflows.prefect_env import stop

    due = datetime.now(UTC) + timedelta(seconds=25)
    run_id = _create_run(api, "remind_late_units", params, scheduled=due)
    # SIGTERM, and SIGKILL after 8 s: down well before the run falls due.
    stop(server.proc, grace=8)
    server.proc = None
    stopped = datetime.now(UTC)
    if stopped > due - timedelta(seconds=5):
        raise RuntimeError(f"the server took until {stopped:%H:%M:%S} to stop: the reminder "
                           f"due {due:%H:%M:%S} may have been taken before it was down")
    time.sleep(down)
    server.start()
    back = datetime.now(UTC)
    try:
        history = _wait("the late reminder run", lambda: (
            lambda h: h if h["states"][-1].startswith(("COMPLETED", "FAILED", "CRASHED",
                                                       "CANCELLED")) else None)(
                _history(api, run_id)), 900)
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}\n{diagnose(api, run_id, logs)}") from exc

    async def runs(client: Any) -> list[Any]:
        return list(await client.read_flow_runs(deployment_filter=DeploymentFilter(
            name=DeploymentFilterName(any_=["remind-late-units-daily"]))))

    # The daily schedule's own runs (07:30 in Vietnam) carry no parameters: not counted.
    ran = [r for r in _client_call(api, runs) if r.start_time is not None
           and r.parameters.get("today") == params["today"]]
    reminders_after, notices_after = counts()
    found = {"states": history["states"], "run count": history["run count"],
             "due": f"{due:%H:%M:%S}", "server down": f"{stopped:%H:%M:%S}–{back:%H:%M:%S}",
             "started": f"{history['start']:%H:%M:%S}" if history["start"] else None,
             "started late by s": round((history["start"] - due).total_seconds())
             if history["start"] else None,
             "reminder runs that ran": len(ran),
             "reminders claimed": {k: v - reminders_before.get(k, 0)
                                   for k, v in reminders_after.items()
                                   if v != reminders_before.get(k, 0)},
             "notices": notices_after - notices_before}
    if (not history["states"][-1].startswith("COMPLETED") or history["run count"] != 1
            or len(ran) != 1 or history["start"] is None or history["start"] < back):
        raise AssertionError(f"late reminder: {found}\n{diagnose(api, run_id, logs)}")
    return found


def _check(work: Path, messages: list[Any]) -> dict[str, Any]:
    """Both workers ran flows; each e-mail delivery arrived once; the register has 1..N; the
    figures equal the in-process aggregation of the same workbooks."""
    import re

    from registry import db
    from registry.models import (
        Delivery,
        DeliveryStatus,
        Document,
        DocumentStatus,
        Notice,
        Reminder,
        Submission,
    )
    from workflows import steps

    runs = {}
    for i in (1, 2):
        text_ = (work / "logs" / f"worker-{i}.log").read_text(errors="replace")
        runs[f"worker-{i}"] = len(set(re.findall(r"flow run '([0-9a-f-]{36})'", text_)))
    if not all(runs.values()):
        raise AssertionError(f"a worker took no run: {runs}")
    with db.transaction() as s:
        sent = s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.channel == "email", Delivery.status == DeliveryStatus.SENT))
        dead = s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status == DeliveryStatus.DEAD))
        reminded = dict(s.execute(select(Reminder.stage, func.count()).group_by(
            Reminder.stage).order_by(Reminder.stage)).all())
        notices = s.scalar(select(func.count()).select_from(Notice))
        submissions = s.scalar(select(func.count()).select_from(Submission).where(
            Submission.current.is_(True)))
        books: dict[str, list[int]] = {}
        for register_id, year, number in s.execute(select(
                Document.register_id, Document.year, Document.number).where(
                Document.status == DocumentStatus.ISSUED, Document.number.is_not(None))):
            books.setdefault(f"sổ {register_id}/{year}", []).append(number)
    ids = [m.get("Message-ID") for m in messages]
    if len(messages) != sent or len(set(ids)) != len(ids):
        raise AssertionError(f"{len(messages)} messages ({len(set(ids))} distinct) for "
                             f"{sent} sent e-mail deliveries")
    for book, numbers in books.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise AssertionError(f"register {book}: numbers {sorted(numbers)}")
    figures = steps.figures(1, PERIOD)
    # The same workbooks' values aggregated in this process, without the server or the door.
    from reporting import aggregation, scenario
    from reporting.forms import parse_form

    form = parse_form(scenario.form_dict())
    expected = aggregation.aggregate_values(form, [scenario.sample_values(n) for n in range(8)])
    if figures.totals != expected or figures.coverage != "8/10":
        raise AssertionError(f"figures {figures.coverage} {figures.totals} != in-process "
                             f"8/10 {expected}")
    # What was delivered, to whom: the same in an undisturbed run and in one with faults.
    delivered: dict[str, int] = {}
    for m in messages:
        to = ", ".join(sorted(a.addr_spec for a in m["To"].addresses))
        key = f"{to} | {m.get('Subject')}"
        delivered[key] = delivered.get(key, 0) + 1
    return {"runs per worker": runs, "e-mails": len(messages), "dead": dead,
            "deliveries": dict(sorted(delivered.items())), "reminders": reminded,
            "notices": notices, "current submissions": submissions,
            "numbers": {k: sorted(v) for k, v in books.items()}, "coverage": figures.coverage,
            "totals": figures.totals}


def result(findings: dict[str, Any]) -> dict[str, Any]:
    """The part of ``findings`` an undisturbed run and a run with faults must share."""
    return json.loads(json.dumps({k: findings[k] for k in RESULT}))


def differences(findings: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """How ``findings`` differ from the undisturbed run's ``expected`` result (one line each)."""
    got = result(findings)
    out = []
    for key in RESULT:
        if got.get(key) != expected.get(key):
            if isinstance(got.get(key), dict) and isinstance(expected.get(key), dict):
                for sub in sorted(set(got[key]) | set(expected[key])):
                    if got[key].get(sub) != expected[key].get(sub):
                        out.append(f"{key}[{sub}]: {got[key].get(sub)!r}, undisturbed "
                                   f"{expected[key].get(sub)!r}")
            else:
                out.append(f"{key}: {got.get(key)!r}, undisturbed {expected.get(key)!r}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get(
        "CONGVAN_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test"))
    parser.add_argument("--keep", type=Path, help="keep logs and files in this directory")
    parser.add_argument("--fault", action="append", choices=["kill-worker", "server-down"],
                        default=[], help="kill -9 a worker mid-cycle / stop the Prefect server "
                                         "30 s while a reminder run falls due")
    parser.add_argument("--record", action="store_true",
                        help=f"write this (undisturbed) run's result to {EXPECTED.name}")
    args = parser.parse_args()
    if args.record and args.fault:
        parser.error("--record is for an undisturbed run")
    # Absolute: every process started runs in this directory and is handed paths under it.
    work = (args.keep or Path(tempfile.mkdtemp(prefix="congvan-scale-"))).absolute()
    work.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        findings = run(work, args.postgres, frozenset(args.fault))
        for key, value in findings.items():
            print(f"{key}: {value}")
        if args.record:
            EXPECTED.write_text(json.dumps(result(findings), ensure_ascii=False, indent=1)
                                + "\n")
            print(f"recorded in {EXPECTED}")
        elif diff := differences(findings, json.loads(EXPECTED.read_text())):
            sys.exit("not the undisturbed run's result:\n" + "\n".join(diff))
        else:
            print(f"the same result as the undisturbed run ({EXPECTED.name})")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
