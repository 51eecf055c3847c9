"""The lifecycle on a real Prefect server: a PostgreSQL-backed server on loopback, congvan's
deployments on a process work pool, a process worker, and the scheduler creating the reminder
and reconciler runs that the worker completes against a congvan PostgreSQL database.

Runs alone with ``make test-prefect-server`` (marker ``prefect_server``). Everything it starts
(server, workers, their flow processes) runs in its own process group and is stopped at the
end, also on failure.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from registry import db
from registry.models import Delivery, Document, DocumentStatus, Reminder
from tests.conftest import create_pg_database, drop_pg_database
from workflows import prefect_env

pytestmark = [pytest.mark.prefect_server, pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.libreoffice]

KEY_PASSWORD = "thu-nghiem-may-chu"
REPO = Path(__file__).resolve().parents[2]


def _wait(what: str, check: Callable[[], Any], timeout: float, logs: list[Path],
          *, fail: bool = True) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(2)
    if not fail:
        return None
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                      for p in logs if p.exists())
    pytest.fail(f"{what}: not within {timeout:.0f} s\n{tails}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A Prefect server on PostgreSQL with a short scheduler loop; yields (API URL, its home)."""
    home = tmp_path_factory.mktemp("prefect-server")
    url = create_pg_database()
    async_url = make_url(url).set(drivername="postgresql+asyncpg").render_as_string(
        hide_password=False)
    try:
        with prefect_env.local_server(home=home, database_url=async_url, extra_env={
                "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5"}) as api:
            yield api, home
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="module")
def congvan_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """CONGVAN_HOME with the demo keys, and a migrated PostgreSQL registry holding the Kon Tum
    directory and an instruction signed but not issued; yields (home, database URL)."""
    from registry import schema
    from registry.directory import import_file
    from reporting import scenario
    from signing.keys import create_dev_ca
    from workflows import steps

    home = tmp_path_factory.mktemp("congvan-home")
    create_dev_ca(home / "keys", password=KEY_PASSWORD)
    url = create_pg_database()
    engine = db.make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    db.configure(url)
    try:
        with db.transaction() as s:
            import_file(session=s, path=scenario.DIRECTORY_FILE)
        settings = steps.CycleSettings(files_dir=str(home / "files"), channels=["folder"])
        gid = steps.receive_guidance(scenario.guidance())
        iid = steps.draft_instruction(
            scenario.instruction(gid, reporting_unit_keys=scenario.DISTRICTS), settings)
        assert steps.record_decision(iid, "le-ngoc-tuan") == "signed"
        yield home, url
    finally:
        db.get_engine().dispose()
        drop_pg_database(url)


def _env(api: str, home: Path, url: str, client_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONGVAN_", "PREFECT_"))}
    env.update(prefect_env.QUIET)
    env.update({
        "PREFECT_API_URL": api, "PREFECT_HOME": str(client_home),
        "CONGVAN_HOME": str(home), "CONGVAN_DATABASE_URL": url,
        "CONGVAN_KEY_PASSWORD": KEY_PASSWORD, "CONGVAN_CHANNELS": '["folder"]',
        # A worker that polls every 2 s and looks 5 s ahead, so a test waits seconds, not 10 s.
        "PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        # Heartbeats every 30 s (Prefect's minimum); deployed with --crashed-after 60.
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
    })
    return env


def _congvan(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "congvan", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)


class TestScheduledRunsOnAServer:
    def test_scheduler_creates_runs_and_the_worker_completes_them(
            self, server: tuple[str, Path], congvan_home: tuple[Path, str],
            tmp_path: Path) -> None:
        """Deployed with a 15 s schedule, the reconciler issues the signed instruction and the
        reminder escalates the late units of 2026-Q3 once, however many times it runs."""
        from reporting import scenario
        from workflows import steps

        api, _ = server
        home, url = congvan_home
        env = _env(api, home, url, tmp_path / "client")
        # Started from a directory that is not the home: nothing may depend on the cwd.
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        deployed = _congvan(["flows", "deploy", "--pool", "cong-van",
                             "--schedule", "reconcile-approved=15",
                             "--schedule", "remind-late-units-daily=15",
                             "--crashed-after", "60"], env, elsewhere)
        assert deployed.returncode == 0, deployed.stderr
        assert "remind_late_units/remind-late-units-daily → cong-van" in deployed.stdout
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "congvan", "flows", "worker", "--pool", "cong-van"],
                env=env, cwd=elsewhere, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            def issued() -> str | None:
                with db.transaction() as s:
                    doc = s.scalars(select(Document).where(
                        Document.status == DocumentStatus.ISSUED)).first()
                    return doc.number_symbol if doc else None

            number = _wait("the reconciler issues the signed instruction", issued, 240, [log])
            assert number.startswith("01/")
            with db.transaction() as s:
                instruction = s.scalars(select(Document).where(
                    Document.status == DocumentStatus.ISSUED)).one()
                stored = [(f.kind, f.path) for f in instruction.files]
            # The files root is CONGVAN_HOME/files, not the worker's temporary directory.
            assert "signed_pdf" in {kind for kind, _ in stored} or stored, stored
            for _, path in stored:
                assert (home / "files" / path).is_file() or Path(path).is_file(), path
                assert str(Path(path)).startswith(str(home)) or not Path(path).is_absolute()
            assert not list(elsewhere.iterdir())
            # Open the requests of a quarter already past its due date: escalation is due.
            for duty_id, period, units in steps.instruction_plan(instruction.id, ["2026-Q3"]):
                steps.open_requests_chunk(duty_id, period, units)

            def escalated() -> int:
                with db.transaction() as s:
                    return int(s.scalar(select(func.count()).select_from(Reminder).where(
                        Reminder.stage == "escalation")) or 0)

            units = _wait("the scheduled reminder escalates the late units", escalated, 180,
                          [log])
            with db.transaction() as s:
                deliveries = s.scalar(select(func.count()).select_from(Delivery).where(
                    Delivery.notice_id.is_not(None)))
            # Two more scheduled reminder runs complete: nobody is reminded twice.
            before = _completed(env, elsewhere, "remind-late-units-daily")
            _wait("two more reminder runs complete",
                  lambda: _completed(env, elsewhere, "remind-late-units-daily") >= before + 2,
                  120, [log])
            assert escalated() == units
            with db.transaction() as s:
                assert s.scalar(select(func.count()).select_from(Delivery).where(
                    Delivery.notice_id.is_not(None))) == deliveries
                assert s.scalar(select(func.count()).select_from(Document).where(
                    Document.status == DocumentStatus.ISSUED)) == 1
            status = _congvan(["flows", "status"], dict(env, COLUMNS="200"), elsewhere)
            assert status.returncode == 0, status.stderr
            remind = status.stdout[status.stdout.index("remind-late-units-daily"):]
            assert "lịch: mỗi 15 giây" in remind
            assert re.search(r"hoàn thành gần nhất: \d\d:\d\d \d\d/\d\d/20\d\d", remind), remind

            # A run whose process dies (kill -9) in the middle of issuing becomes Crashed (no
            # more heartbeats), leaves no helper process and no consumed number behind, and a
            # later reconciler run issues what was signed. The test holds the register's
            # counter row, so the run that takes the signed document is certainly in its
            # issuing transaction (waiting for the number) when it is killed — not already
            # finished, not yet started.
            gid = steps.receive_guidance(scenario.guidance().model_copy(
                update={"original_number": "23/HD-BCA-V05"}))
            doc_id = steps.draft_instruction(scenario.instruction(
                gid, reporting_unit_keys=scenario.DISTRICTS), steps.CycleSettings(
                files_dir=str(home / "files"), channels=["folder"]))
            engine = create_engine(url)
            try:
                with engine.connect() as held:
                    held.execute(text(
                        "SELECT last_number FROM register_counters "
                        "WHERE register_id = :r AND year = :y FOR UPDATE"),
                        {"r": instruction.register_id, "y": instruction.year}).one()
                    assert steps.record_decision(doc_id, "le-ngoc-tuan") == "signed"
                    if not _wait("a reconciler run waits for the register's number",
                                 lambda: _waiting_for_lock(engine), 300, [log], fail=False):
                        pytest.fail(f"no run waits for the number (document #{doc_id} is "
                                    f"{steps.status_of(doc_id)}); sessions:\n"
                                    + _sessions(engine) + "\nreconciler runs:\n"
                                    + _recent(env, elsewhere, "reconcile-approved") + "\n"
                                    + _stacks(_running(env, elsewhere, "reconcile-approved"))
                                    + log.read_text(errors="replace")[-4000:] + "\nserver:\n"
                                    + (server[1] / "server.log").read_text(
                                        errors="replace")[-6000:])
                    # Runs may overlap (no deployment concurrency limit): every running
                    # reconciler run is inside the issuing of the document, waiting.
                    run_ids = _wait("the waiting reconciler runs are running",
                                    lambda: _running(env, elsewhere, "reconcile-approved"),
                                    60, [log])
                    pids = [pid for run_id in run_ids for pid in _pids_of(run_id)]
                    assert pids, f"no process for flow runs {run_ids}"
                    for pid in pids:
                        os.kill(pid, signal.SIGKILL)
                    _wait("no process of the killed runs is left",
                          lambda: not any(_pids_of(r) for r in run_ids), 60, [log])
                    held.rollback()
            finally:
                engine.dispose()
            assert steps.status_of(doc_id) == "signed"
            # (A run that had found nothing to do may have completed just before the kill.)
            _wait("the killed runs become Crashed",
                  lambda: _all_crashed(env, elsewhere, run_ids), 240, [log])
            _wait("a later reconciler run issues the document",
                  lambda: steps.status_of(doc_id) == "issued", 240, [log])
            with db.transaction() as s:
                issued_docs = list(s.scalars(select(Document).where(
                    Document.status == DocumentStatus.ISSUED)))
            numbers = sorted(d.number or 0 for d in issued_docs
                             if d.register_id == instruction.register_id)
            # The killed transaction took no number: the register runs 1, 2 with no gap.
            assert numbers == [1, 2], [d.number_symbol for d in issued_docs]
        finally:
            prefect_env.stop(worker)
        assert "Traceback" not in log.read_text(errors="replace")


def _flow_query(env: dict[str, str], cwd: Path, body: str) -> str:
    code = ("import asyncio\n"
            "from prefect.client.orchestration import get_client\n"
            "from prefect.client.schemas.filters import *\n"
            "async def main():\n"
            "    async with get_client() as c:\n" + body + "\n"
            "asyncio.run(main())\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=120)
    return out.stdout.strip()


def _running(env: dict[str, str], cwd: Path, deployment: str) -> list[str]:
    """Ids of the deployment's runs in the Running state."""
    return _flow_query(env, cwd, (
        "        runs = await c.read_flow_runs(deployment_filter=DeploymentFilter(\n"
        f"            name=DeploymentFilterName(any_=[{deployment!r}])),\n"
        "            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(\n"
        "                type=FlowRunFilterStateType(any_=['RUNNING']))))\n"
        "        print(' '.join(str(r.id) for r in runs))")).split()


def _waiting_for_lock(engine: Engine) -> bool:
    """Whether a session of this database waits for a lock (the issuing run, blocked on the
    register's counter row the test holds). Asked on a connection of its own: inside one
    transaction PostgreSQL shows the same snapshot of pg_stat_activity every time."""
    with engine.connect() as probe:
        return bool(probe.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")).scalar())


def _all_crashed(env: dict[str, str], cwd: Path, run_ids: list[str]) -> bool:
    """Every killed run became Crashed — or Completed, if it had finished (finding nothing to
    do) in the moment between being listed and the kill — and at least one Crashed. By its
    state history: the re-run automation may already have scheduled a crashed run again
    (though for a run the scheduler created moments before it started, Prefect holds its
    state events — they follow a Scheduled event it never sent — for its 15-minute lookback,
    so here the re-run usually comes after the test; tests/workflows/test_scale_demo.py
    shows it)."""
    histories = [_history(env, cwd, r).split() for r in run_ids]
    return (all("CRASHED" in h or h[-1] == "COMPLETED" for h in histories)
            and any("CRASHED" in h for h in histories))


def _history(env: dict[str, str], cwd: Path, run_id: str) -> str:
    """``runs=N`` and the run's state types, oldest first."""
    return _flow_query(env, cwd, (
        f"        run = await c.read_flow_run({run_id!r})\n"
        f"        states = await c.read_flow_run_states({run_id!r})\n"
        "        states.sort(key=lambda s: s.timestamp)\n"
        "        print(f'runs={run.run_count}', *(s.type.value for s in states))"))


def _stacks(run_ids: list[str]) -> str:
    """Where the processes of ``run_ids`` are (py-spy, when installed), for a failure message."""
    spy = Path(sys.executable).with_name("py-spy")
    out = []
    for run_id in run_ids:
        for pid in _pids_of(run_id):
            cmd = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:160]
                   .decode(errors="replace") if Path(f"/proc/{pid}").exists() else "?")
            out.append(f"--- run {run_id} pid {pid}: {cmd}")
            if spy.exists() and "python" in cmd:
                dump = subprocess.run([str(spy), "dump", "--pid", str(pid)],
                                      capture_output=True, text=True, timeout=60)
                out.append(dump.stdout[-3000:] + dump.stderr[-500:])
    return "\n".join(out) + "\n"


def _sessions(engine: Engine) -> str:
    with engine.connect() as probe:
        rows = probe.execute(text(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 120) "
            "FROM pg_stat_activity WHERE datname = current_database()")).all()
    return "\n".join(" | ".join(str(v) for v in row) for row in rows)


def _recent(env: dict[str, str], cwd: Path, deployment: str) -> str:
    """The deployment's runs that were due by now, newest first (for a failure message)."""
    return _flow_query(env, cwd, (
        "        import datetime as dt\n"
        "        from prefect.client.schemas.sorting import FlowRunSort\n"
        "        now = dt.datetime.now(dt.timezone.utc)\n"
        "        runs = await c.read_flow_runs(deployment_filter=DeploymentFilter(\n"
        f"            name=DeploymentFilterName(any_=[{deployment!r}])),\n"
        "            flow_run_filter=FlowRunFilter(expected_start_time=\n"
        "                FlowRunFilterExpectedStartTime(before_=now)),\n"
        "            sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=12)\n"
        "        for r in runs:\n"
        "            print(r.name, r.state.type.value, r.state.name, r.expected_start_time,\n"
        "                  r.start_time, r.end_time, (r.state.message or '')[:160])\n"
        "        for lim in await c.read_global_concurrency_limits(limit=50):\n"
        "            print('limit', lim.name, lim.limit, lim.active_slots, lim.active)"))


def _pids_of(run_id: str) -> list[int]:
    """Processes whose environment names the flow run (its process and what it started)."""
    needle = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _completed(env: dict[str, str], cwd: Path, deployment: str) -> int:
    code = ("import asyncio\n"
            "from prefect.client.orchestration import get_client\n"
            "from prefect.client.schemas.filters import *\n"
            "async def main():\n"
            "    async with get_client() as c:\n"
            "        runs = await c.read_flow_runs(deployment_filter=DeploymentFilter(\n"
            f"            name=DeploymentFilterName(any_=[{deployment!r}])),\n"
            "            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(\n"
            "                type=FlowRunFilterStateType(any_=['COMPLETED']))))\n"
            "        print(len(runs))\n"
            "asyncio.run(main())\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=120)
    return int(out.stdout.strip() or 0)


class TestWorkerStops:
    def test_an_idle_worker_stops_on_one_sigterm(self, server: tuple[str, Path],
                                                 tmp_path: Path) -> None:
        """`congvan flows worker` on an idle pool exits cleanly after one SIGTERM."""
        api, _ = server
        home = tmp_path / "home"
        env = _env(api, home, f"sqlite:///{home / 'congvan.db'}", tmp_path / "client")
        log = tmp_path / "worker.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "congvan", "flows", "worker", "--pool", "idle-pool"],
                env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            _wait("the worker polls its pool", lambda: _pool_polled(env, tmp_path), 90, [log])
            worker.send_signal(signal.SIGTERM)
            try:
                code = worker.wait(45)
            except subprocess.TimeoutExpired:
                pytest.fail("the worker was still running 45 s after SIGTERM:\n"
                            + log.read_text(errors="replace")[-3000:])
            # 143: Prefect's worker did not stop on SIGINT within 20 s and was terminated.
            assert code in (0, 130, 143, -signal.SIGINT), log.read_text(errors="replace")[-3000:]
        finally:
            prefect_env.stop(worker)


def _pool_polled(env: dict[str, str], cwd: Path) -> bool:
    code = ("import asyncio\n"
            "from prefect.client.orchestration import get_client\n"
            "async def main():\n"
            "    async with get_client() as c:\n"
            "        ws = await c.read_workers_for_work_pool('idle-pool')\n"
            "        print(len(ws))\n"
            "try:\n"
            "    asyncio.run(main())\n"
            "except Exception:\n"
            "    print(0)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=120)
    return (out.stdout.strip() or "0") != "0"
