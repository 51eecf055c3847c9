"""The quarterly cycle for 100, 1,000 and 3,321 units on SQLite and PostgreSQL, once through
the Prefect flows and once as the same steps called as plain functions, in the same run.

The cycle: draft the instruction to every unit, record the leader's decision, issue it
(number, one e-mail delivery per unit, the .docx; PDF conversion excluded), open one request
per unit for 2023-Q4, stage one JSON post per unit as one batch (reporting.staging, the bulk
door) and ingest them in chunks (validated and stored through the door the web API uses),
run the reminder stages due that day, aggregate and draft the Báo cáo.

Issuing signs a PDF (person, then organisation: real PAdES with demo keys). PDF conversion
is excluded: a warm LibreOffice converts, and the seconds spent inside ``convert_bytes``
are measured and subtracted from the cycle's time (printed as "PDF s").

Prefect: the ``instruct_units`` flow, the decision (data), the ``issue_instruction`` flow,
then the posts staged (the same call in both runs), then the ``quarterly_cycle`` flow, which
reads the staged posts by id range (its parameters are ids). Plain: the very same step
functions in the same order (a task's body is called through ``.fn``), no Prefect machinery.

The units are the commune steering committees of the generated national directory
(registry/directory_gen.py); Hà Nội's steering committee instructs them. Setup (directory
import, the guidance registered) is done once per engine and size in a template database,
copied for each of the two runs, and is not timed. Prefect runs in local ephemeral mode
with its own PREFECT_HOME in a temporary directory; a warm-up flow run starts the temporary
server before any timing, so its one-time start (≈ 10 s) is excluded.

    python bench/cycle.py [--sizes 100,1000,3321] [--engines sqlite,postgresql]
                          [--postgres URL] [--phases] [--profile]
    python bench/cycle.py --server [--runs 3] [--query-seconds 10,1]

``--server``: the path of a scheduled run on a real Prefect server instead. A PostgreSQL-backed
server on loopback, the deployments on a process work pool, one ``congvan flows worker``; the
time from creating a run of the ``reconcile-approved`` deployment to its Completed state, split
by the run's state history into the poll wait (Scheduled → Pending: until the worker's next
poll picks it up; PREFECT_WORKER_QUERY_SECONDS), the process start (Pending → Running: a new
Python process imports congvan and Prefect) and the flow itself (Running → Completed) — for
each worker poll interval given, next to the same flow run in-process against the same server
in the same session (the baseline).

The PostgreSQL admin URL defaults to CONGVAN_TEST_POSTGRES_URL or 127.0.0.1:5432/test; each
run creates databases of its own and drops them.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

TMP = Path(tempfile.mkdtemp(prefix="congvan-bench-cycle-"))
atexit.register(shutil.rmtree, TMP, True)  # also when the run fails or is imported
# Before anything imports prefect: no telemetry, quiet logs, a home of its own.
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
os.environ["PREFECT_HOME"] = str(TMP / "prefect")
os.environ.pop("PREFECT_API_URL", None)  # local ephemeral mode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from registry import db, schema  # noqa: E402
from registry.directory import import_directory  # noqa: E402
from registry.directory_gen import dump, generate  # noqa: E402
from registry.models import (  # noqa: E402
    Delivery,
    Document,
    ReportRequest,
    StagedPost,
    Submission,
)
from reporting import scenario, staging  # noqa: E402
from reporting.batching import chunks  # noqa: E402
from workflows import steps  # noqa: E402
from workflows.collect import ingest_staged_chunk, staged_ranges  # noqa: E402 (imports prefect)
from workflows.instruct_units import instruct_units, issue_instruction  # noqa: E402
from workflows.quarterly_cycle import quarterly_cycle  # noqa: E402

ISSUER, SIGNER, CLERK = "bcd-ha-noi", "truong-ban.ha-noi", "van-thu.ha-noi"
SUPERIOR = "ubnd-ha-noi"
PERIOD = "2023-Q4"
ISSUED_ON = date(2022, 12, 16)


def _unit_keys(directory: dict) -> list[str]:
    return [o["key"] for o in directory["organizations"] if ".x" in o["key"]]


# ---- databases -------------------------------------------------------------------------


def _pg_admin(admin_url: str):  # type: ignore[no-untyped-def]
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


def _pg_create(admin_url: str, template: str | None = None) -> str:
    name = f"congvan_bench_cycle_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin(admin_url)
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'
                       + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _pg_drop(admin_url: str, url: str) -> None:
    admin = _pg_admin(admin_url)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _template(kind: str, size: int, admin_url: str) -> tuple[str, list[str], int]:
    """A migrated database with the directory and the guidance: (url, unit keys, guidance id)."""
    url = (f"sqlite:///{TMP}/template-{size}.db" if kind == "sqlite" else _pg_create(admin_url))
    directory = generate(communes=size)
    db.configure(url)
    schema.upgrade(db.get_engine())
    with db.transaction() as s:
        import_directory(session=s, text=dump(directory))
    guidance_id = steps.receive_guidance(scenario.guidance(
        collector_key=ISSUER, receiver_key=ISSUER, sender_key=SUPERIOR))
    db.get_engine().dispose()
    return url, _unit_keys(directory), guidance_id


def _copy(kind: str, template_url: str, admin_url: str, label: str) -> str:
    if kind == "sqlite":
        src = Path(make_url(template_url).database or "")
        dst = TMP / f"{src.stem}-{label}.db"
        shutil.copyfile(src, dst)
        return f"sqlite:///{dst}"
    return _pg_create(admin_url, template=make_url(template_url).database)


def _drop(kind: str, url: str, admin_url: str) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path((make_url(url).database or "") + suffix).unlink(missing_ok=True)
    else:
        _pg_drop(admin_url, url)


# ---- the cycle -----------------------------------------------------------------------------


def _stage_posts(rows: list[tuple[int, str]]) -> int:
    """One JSON post per request, staged as one batch (the bulk door); its id."""
    with db.transaction() as s:
        return staging.stage_posts(session=s, posts=[
            staging.Posted(request_id=rid, unit_key=unit, values=scenario.sample_values(n))
            for n, (rid, unit) in enumerate(rows)])


def _today(duty_id: int) -> date:
    # The notice day: the notice stage is due (everybody has submitted by then).
    return steps.default_dates(PERIOD, duty_id)["notice"]


class Phases:
    """Wall-clock seconds per named phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._t = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._t
        self._t = now


def cycle_plain(guidance_id: int, units: list[str], settings: steps.CycleSettings) -> Phases:
    """The steps of instruct_units, issue_instruction and quarterly_cycle, called directly."""
    ph = Phases()
    # instruct_units + the decision + issue_instruction
    iid = steps.draft_instruction(scenario.instruction(
        guidance_id, unit_keys=units, issuer_key=ISSUER, signer_key=SIGNER, clerk_key=CLERK),
        settings)
    steps.record_decision(iid, SIGNER)
    steps.issue(iid, ISSUED_ON, settings)
    ph.mark("instruct")
    for duty_id, period, unit_ids in steps.instruction_plan(iid, [PERIOD]):
        for c in chunks(unit_ids):
            steps.open_requests_chunk(duty_id, period, c, settings.roll_forward)
    ph.mark("open")
    duty_id = steps.duties_of_instruction(iid)[0]
    _stage_posts(steps.request_ids(duty_id, PERIOD))
    today = _today(duty_id)
    ph.mark("stage posts")
    # quarterly_cycle, step by step
    plan = steps.instruction_plan(iid, [PERIOD])
    for d, p, unit_ids in plan:
        for c in chunks(unit_ids):
            steps.open_requests_chunk(d, p, c, settings.roll_forward)
    ph.mark("open")
    duties = sorted({d for d, _, _ in plan})
    for first_id, last_id in [r for d in duties for r in staged_ranges.fn(d, PERIOD)]:
        ingest_staged_chunk.fn(first_id, last_id)
    ph.mark("ingest")
    for d in duties:
        for stage in ("notice", "escalation"):
            ids = steps.pending_reminders(d, PERIOD, stage, today, settings)
            for c in chunks(ids):
                steps.send_notices(d, PERIOD, stage, today, settings, chunk=c)
        steps.draft_don_doc(d, PERIOD, today, SIGNER, settings)
        ph.mark("remind")
        steps.default_dates(PERIOD, d)
        report_id = steps.aggregate_and_draft(d, PERIOD, SIGNER, SUPERIOR, settings)
        steps.issue(report_id, today, settings)
        ph.mark("aggregate")
    return ph


def cycle_prefect(guidance_id: int, units: list[str], settings: steps.CycleSettings) -> Phases:
    """The same cycle through the Prefect flows."""
    ph = Phases()
    iid = instruct_units(scenario.instruction(
        guidance_id, unit_keys=units, issuer_key=ISSUER, signer_key=SIGNER, clerk_key=CLERK),
        settings)
    steps.record_decision(iid, SIGNER)
    issue_instruction(iid, ISSUED_ON, settings, [PERIOD])
    ph.mark("instruct+open")
    duty_id = steps.duties_of_instruction(iid)[0]
    _stage_posts(steps.request_ids(duty_id, PERIOD))
    today = _today(duty_id)
    ph.mark("stage posts")
    quarterly_cycle(iid, PERIOD, SIGNER, SUPERIOR, today=today, settings=settings,
                    aggregate=True)
    ph.mark("quarterly_cycle")
    return ph


def _check(size: int) -> str:
    with db.transaction() as s:
        reqs = s.scalar(select(func.count()).select_from(ReportRequest))
        subs = s.scalar(select(func.count()).select_from(Submission))
        deliveries = s.scalar(select(func.count()).select_from(Delivery))
        reports = s.scalar(select(func.count()).select_from(Document).where(
            Document.doc_type == "bao_cao"))
        staged = s.scalar(select(func.count()).select_from(StagedPost).where(
            StagedPost.ingested_at.is_(None)))
    ok = reqs == subs == size and deliveries == size and reports == 1 and staged == 0
    return "ok" if ok else (f"MISMATCH requests={reqs} submissions={subs} "
                            f"deliveries={deliveries} reports={reports} pending posts={staged}")


class TimedConverter:
    """The warm PDF converter, counting the seconds spent converting (excluded from timings)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.seconds = 0.0

    def convert_bytes(self, docx: bytes) -> bytes:
        """The PDF of a .docx (timed)."""
        t0 = time.perf_counter()
        try:
            return self.inner.convert_bytes(docx)  # type: ignore[attr-defined,no-any-return]
        finally:
            self.seconds += time.perf_counter() - t0


CONVERTER: TimedConverter | None = None


def warm_up() -> float:
    """One trivial flow run: starts the ephemeral Prefect server (not timed in the bench)."""
    from prefect import flow

    @flow(name="bench_warm_up")
    def nothing() -> int:
        return 1

    t0 = time.perf_counter()
    nothing()
    return time.perf_counter() - t0


def timed(kind: str, template: tuple[str, list[str], int], admin_url: str, label: str,
          run: Callable[[int, list[str], steps.CycleSettings], Phases],
          profile: bool = False) -> tuple[float, Phases, str]:
    """Run one cycle on a fresh copy of the template; returns (seconds, phases, check)."""
    url = _copy(kind, template[0], admin_url, label)
    files = TMP / f"files-{label}"
    settings = steps.CycleSettings(files_dir=str(files))
    try:
        db.configure(url)
        prof = cProfile.Profile() if profile else None
        assert CONVERTER is not None
        pdf0 = CONVERTER.seconds
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        phases = run(template[2], template[1], settings)
        if prof:
            prof.disable()
        pdf = CONVERTER.seconds - pdf0
        seconds = time.perf_counter() - t0 - pdf
        phases.seconds["pdf excluded"] = pdf
        check = _check(len(template[1]))
        if prof:
            print(f"--- cProfile {kind} {len(template[1])} {label}")
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        db.get_engine().dispose()
        return seconds, phases, check
    finally:
        shutil.rmtree(files, ignore_errors=True)
        _drop(kind, url, admin_url)


# ---- the server path --------------------------------------------------------------------


def _states(api: str, run_id: object) -> dict[str, float]:
    """First timestamp (epoch seconds) of each state type in the run's history."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def read() -> dict[str, float]:
        async with get_client() as client:
            states = await client.read_flow_run_states(run_id)  # type: ignore[arg-type]
        out: dict[str, float] = {}
        for st in sorted(states, key=lambda x: x.timestamp):
            out.setdefault(st.type.value, st.timestamp.timestamp())
        return out

    with temporary_settings(updates={PREFECT_API_URL: api}):
        return asyncio.run(read())


def _trigger_and_wait(api: str, deployment: str, timeout: float = 300) -> tuple[float, str,
                                                                               object]:
    """Create a run of ``deployment``; wait for a final state. (seconds, state, run id)."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def go() -> tuple[float, str, object]:
        async with get_client() as client:
            dep = await client.read_deployment_by_name(deployment)
            t0 = time.time()
            run = await client.create_flow_run_from_deployment(dep.id)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                run = await client.read_flow_run(run.id)
                if run.state is not None and run.state.is_final():
                    return time.time() - t0, run.state.type.value, run.id
                await asyncio.sleep(0.1)
            raise TimeoutError(f"{deployment}: no final state after {timeout} s")

    with temporary_settings(updates={PREFECT_API_URL: api}):
        return asyncio.run(go())


def server_path(args: argparse.Namespace) -> None:
    """The server path next to the in-process run of the same flow (see the module doc)."""
    import statistics
    import subprocess

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from workflows import prefect_env

    home = TMP / "home"
    url = f"sqlite:///{home / 'congvan.db'}"
    engine = db.make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    prefect_db = _pg_create(args.postgres)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONGVAN_", "PREFECT_"))}
    env.update(prefect_env.QUIET)
    env.update({"CONGVAN_HOME": str(home), "PREFECT_HOME": str(TMP / "client"),
                "CONGVAN_CHANNELS": '["folder"]'})
    try:
        async_url = make_url(prefect_db).set(drivername="postgresql+asyncpg").render_as_string(
            hide_password=False)
        with prefect_env.local_server(home=TMP / "server", database_url=async_url) as api:
            env["PREFECT_API_URL"] = api
            subprocess.run([sys.executable, "-m", "congvan", "flows", "deploy", "--pool",
                            "bench"], env=env, check=True, capture_output=True, cwd=TMP)
            # The baseline: the same flow in this process against the same server.
            os.environ["CONGVAN_HOME"] = str(home)
            from workflows.instruct_units import reconcile_approved

            with temporary_settings(updates={PREFECT_API_URL: api}):
                reconcile_approved()  # first run: imports, registry opened
                inproc = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    reconcile_approved()
                    inproc.append(time.perf_counter() - t0)
            base = statistics.median(inproc)
            print(f"in-process reconcile_approved against the server: median {base:.2f} s "
                  f"over {args.runs} runs", flush=True)
            print(f"{'poll s':>7}{'trigger→done s':>16}{'poll wait':>11}{'process':>9}"
                  f"{'flow':>7}{'ratio':>7}", flush=True)
            for q in [float(x) for x in args.query_seconds.split(",")]:
                wenv = dict(env, PREFECT_WORKER_QUERY_SECONDS=str(q),
                            PREFECT_WORKER_PREFETCH_SECONDS=str(max(q, 1.0)))
                log = (TMP / f"worker-{q}.log").open("wb")
                worker = subprocess.Popen(
                    [sys.executable, "-m", "congvan", "flows", "worker", "--pool", "bench"],
                    env=wenv, cwd=TMP, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
                try:
                    _trigger_and_wait(api, "reconcile_approved/reconcile-approved")  # warm
                    rows = []
                    for _ in range(args.runs):
                        total, state, run_id = _trigger_and_wait(
                            api, "reconcile_approved/reconcile-approved")
                        st = _states(api, run_id)
                        rows.append((total, st.get("PENDING", st["SCHEDULED"])
                                     - st["SCHEDULED"],
                                     st["RUNNING"] - st.get("PENDING", st["SCHEDULED"]),
                                     st[state] - st["RUNNING"], state))
                finally:
                    prefect_env.stop(worker)
                    log.close()
                med = [statistics.median(r[i] for r in rows) for i in range(4)]
                states = ",".join(sorted({r[4] for r in rows}))
                print(f"{q:>7.1f}{med[0]:>16.2f}{med[1]:>11.2f}{med[2]:>9.2f}{med[3]:>7.2f}"
                      f"{med[0] / base:>7.1f}  ({states}; median of {args.runs})", flush=True)
    finally:
        _pg_drop(args.postgres, prefect_db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,3321")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get(
        "CONGVAN_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test"))
    parser.add_argument("--phases", action="store_true", help="print seconds per phase")
    parser.add_argument("--profile", action="store_true", help="cProfile the plain runs")
    parser.add_argument("--no-prefect", action="store_true", help="plain runs only")
    parser.add_argument("--server", action="store_true",
                        help="the path through a Prefect server and a process worker")
    parser.add_argument("--runs", type=int, default=3, help="--server: runs per setting")
    parser.add_argument("--query-seconds", default="10,1",
                        help="--server: worker poll intervals to compare")
    args = parser.parse_args()
    if args.server:
        try:
            server_path(args)
        finally:
            shutil.rmtree(TMP, ignore_errors=True)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    global CONVERTER
    from dataclasses import replace

    from signing.keys import create_dev_ca
    from workflows import issuance

    create_dev_ca(TMP / "keys", password="bench")
    # The issuing tools as the tests and the demo open them; only the converter is wrapped
    # (timed), so the bench does not depend on how the signers are loaded.
    with issuance.opened(keys_dir=TMP / "keys", password="bench") as tools:
        CONVERTER = TimedConverter(tools.converter)
        with issuance.using(replace(tools, converter=CONVERTER)):
            _main(args, sizes)


def _main(args: argparse.Namespace, sizes: list[int]) -> None:
    try:
        if not args.no_prefect:
            print(f"Prefect warm-up flow run (ephemeral server start, not timed): "
                  f"{warm_up():.1f} s", flush=True)
        print(f"{'engine':<11}{'units':>6}{'plain s':>9}{'Prefect s':>11}{'ratio':>7}"
              f"{'plain ms/unit':>15}{'Prefect ms/unit':>17}  check", flush=True)
        for kind in args.engines.split(","):
            for size in sizes:
                template = _template(kind, size, args.postgres)
                try:
                    plain, ph_plain, ok_plain = timed(kind, template, args.postgres, "plain",
                                                      cycle_plain, args.profile)
                    if args.no_prefect:
                        pre, ph_pre, ok_pre = float("nan"), Phases(), "-"
                    else:
                        pre, ph_pre, ok_pre = timed(kind, template, args.postgres, "prefect",
                                                    cycle_prefect)
                finally:
                    _drop(kind, template[0], args.postgres)
                print(f"{kind:<11}{size:>6}{plain:>9.1f}{pre:>11.1f}{pre / plain:>7.2f}"
                      f"{1000 * plain / size:>15.1f}{1000 * pre / size:>17.1f}  "
                      f"{ok_plain}/{ok_pre}", flush=True)
                if args.phases:
                    for name, ph in (("plain", ph_plain), ("prefect", ph_pre)):
                        print("    " + name + ": " + ", ".join(
                            f"{k} {v:.2f} s" for k, v in ph.seconds.items()), flush=True)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
