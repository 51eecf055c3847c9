"""The cycle through a Prefect server with 1 and 2 process workers, next to in-process (issue 14,
item 5).

    python bench/scale.py [--units 3321] [--campaigns 1,10] [--batches 4] [--postgres URL]
                          [--latency-runs 3]

Brings up on loopback a Prefect server on PostgreSQL and the deployments (``congvan flows
deploy``). Then:

1. **One deployment run, trigger to Completed**: ``reconcile-approved`` (nothing to issue) with
   one worker polling every 2 s, split by the run's state history into poll wait (Scheduled →
   Pending), process start (Pending → Running: a new interpreter imports Prefect and congvan)
   and flow (Running → Completed); next to the same flow called in this process against the
   same server. Median of ``--latency-runs`` after a warm-up run.
2. **The cycle at scale**: for each ``--campaigns`` K, a template database holds the generated
   national directory (``--units`` commune committees), K campaigns — each its own guidance
   received, so its own reporting duty — with Hà Nội's steering committee's instruction to
   every unit issued, their 2023-Q4 requests open and one JSON post per request staged, every
   campaign's posts spread over ``--batches`` batches in all (K × units reporting duties; not
   timed). On a fresh copy of it per mode, the timed part is what batches by unit: every batch
   ingested by an ``ingest_posts`` run (the web API's checks, a 500-post range at a time:
   ``reporting.staging.ingest_range``), then one ``quarterly_cycle`` run per campaign
   (reminders — none due: everyone reported —, the aggregation and the Báo cáo drafted for
   the leader's signature). Modes: in-process (the same flows called one after another in
   this process, reporting to the same server), 1 and 2 workers (``congvan flows worker
   --limit 1`` each: one run at a time per worker; every run created at once, then waited
   for). Each mode's result is checked (:func:`check`: per campaign, its own duty, every
   request submitted once, the figures' sum that posted, one Báo cáo linked from all its
   requests; nothing pending) — MISMATCH otherwise.

Printed: seconds per mode (and its ingest and cycle phases), the 2-vs-1 speed-up (whole and
ingest phase), the server path's overhead over in-process, ms per reporting duty, and the load
average at the start and after each mode. Timings move with the machine's load; compare
within a run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

# Under ./var, not /tmp: a long run must not lose its files to someone's /tmp clean-up.
_VAR = Path(__file__).resolve().parents[1] / "var"
_VAR.mkdir(exist_ok=True)
TMP = Path(tempfile.mkdtemp(prefix="bench-scale-", dir=_VAR))
os.environ.update({"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                   "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_HOME": str(TMP / "client")})
os.environ.pop("PREFECT_API_URL", None)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench._pg import pg_database  # noqa: E402

ISSUER, SIGNER, CLERK = "bcd-ha-noi", "truong-ban.ha-noi", "van-thu.ha-noi"
SUPERIOR = "ubnd-ha-noi"
PERIOD = "2023-Q4"
ISSUED_ON = date(2022, 12, 16)
KEY_PASSWORD = "bench-scale"
POOL = "scale-bench"


def _pg(admin: str, name: str | None = None, *, template: str | None = None,
        drop: str | None = None) -> str:
    return pg_database(admin, name, template=template, drop=drop, prefix="congvan_scale")


def _name(url: str) -> str:
    return make_url(url).database or ""


def prepare(admin: str, units: int, campaigns: int, batches: int) -> tuple[str, list[int]]:
    """The template database: directory, ``campaigns`` guidances (each its own duty) and
    instructions issued with their requests open, one post per request staged, in
    ``batches`` batches in all. (url, instruction ids); the staged batch ids are read back per
    copy."""
    from registry import db, schema
    from registry.directory import import_directory
    from registry.directory_gen import dump, generate
    from reporting import scenario, staging
    from reporting.batching import chunks
    from workflows import steps

    url = _pg(admin)
    db.configure(url)
    schema.upgrade(db.get_engine())
    directory = generate(communes=units)
    unit_keys = [o["key"] for o in directory["organizations"] if ".x" in o["key"]]
    with db.transaction() as s:
        import_directory(session=s, text=dump(directory))
    settings = steps.CycleSettings(files_dir=str(TMP / "home" / "files"),
                                   keys_dir=str(TMP / "home" / "keys"))
    instructions: list[int] = []
    posts: list[staging.Posted] = []
    for k in range(campaigns):
        # A campaign of its own: its own guidance received, so its own duty and requests.
        guidance = scenario.guidance(collector_key=ISSUER, receiver_key=ISSUER,
                                     sender_key=SUPERIOR)
        guidance = guidance.model_copy(update={
            "original_number": f"{22 + k}/HD-BCA-V05"})
        guidance_id = steps.receive_guidance(guidance)
        iid = steps.draft_instruction(scenario.instruction(
            guidance_id, unit_keys=unit_keys, issuer_key=ISSUER, signer_key=SIGNER,
            clerk_key=CLERK), settings)
        steps.record_decision(iid, SIGNER)
        steps.issue(iid, ISSUED_ON, settings)
        for duty_id, period, unit_ids in steps.instruction_plan(iid, [PERIOD]):
            for c in chunks(unit_ids):
                steps.open_requests_chunk(duty_id, period, c, settings.roll_forward)
        duty_id = steps.duties_of_instruction(iid)[0]
        posts += [staging.Posted(request_id=rid, unit_key=unit,
                                 values=scenario.sample_values(n))
                  for n, (rid, unit) in enumerate(steps.request_ids(duty_id, PERIOD))]
        instructions.append(iid)
    # The posts of every campaign in ``batches`` batches (a batch may hold several duties'
    # posts, as the bulk door receives them): the ingest runs are as many as the batches
    # whatever the number of campaigns, each with enough posts to outweigh its process start.
    for part in chunks(posts, -(-len(posts) // batches)):
        with db.transaction() as s:
            staging.stage_posts(session=s, posts=part)
    db.get_engine().dispose()
    return url, instructions


def _batches(url: str) -> list[int]:
    from registry.models import SubmissionBatch

    engine = create_engine(url)
    with engine.connect() as c:
        ids = [int(i) for i in c.execute(select(SubmissionBatch.id).order_by(
            SubmissionBatch.id)).scalars()]
    engine.dispose()
    return ids


def _today(url: str) -> date:
    from registry import db
    from workflows import steps

    db.configure(url)
    try:
        duty_id = steps.duties_of_instruction(_instructions[0])[0]
        return steps.default_dates(PERIOD, duty_id)["notice"]
    finally:
        db.get_engine().dispose()


_instructions: list[int] = []


def check(url: str, units: int, instructions: list[int]) -> str:
    """Every campaign's requests submitted once (the current submissions' figures sum to
    those posted), nothing pending, one Báo cáo per campaign linked from all its requests, and
    the campaigns' duties distinct: "ok", or MISMATCH and what differs."""
    from registry.models import (
        Document,
        ReportingDuty,
        ReportRequest,
        RequestStatus,
        StagedPost,
        Submission,
    )
    from reporting import scenario

    engine = create_engine(url)
    with engine.connect() as c:
        duties = []
        for iid in instructions:
            # The duties passed on by this instruction that have requests for the period.
            duties.append(tuple(c.scalars(select(ReportRequest.duty_id).join(
                ReportingDuty, ReportingDuty.id == ReportRequest.duty_id).where(
                ReportingDuty.instruction_document_id == iid, ReportRequest.period == PERIOD)
                .distinct())))
        fingerprint = []
        for (duty_id,) in [d for d in duties if len(d) == 1]:
            req = ReportRequest
            fingerprint.append(tuple(c.execute(select(
                func.count(req.id),
                func.count(req.id).filter(req.status == RequestStatus.SUBMITTED),
                func.count(func.distinct(req.report_document_id)),
                func.count(req.id).filter(req.report_document_id.is_(None)),
            ).where(req.duty_id == duty_id, req.period == PERIOD)).one())
                + tuple(c.execute(select(
                    func.count(Submission.id), func.count(Submission.id).filter(
                        Submission.current),
                    func.sum(Submission.values["models_total"].as_integer())
                ).join(req, req.id == Submission.request_id).where(
                    req.duty_id == duty_id, req.period == PERIOD)).one()))
        pending = c.scalar(select(func.count()).select_from(StagedPost).where(
            StagedPost.ingested_at.is_(None)))
        reports = c.scalar(select(func.count()).select_from(Document).where(
            Document.doc_type == "bao_cao"))
    engine.dispose()
    total = sum(scenario.sample_values(n)["models_total"] for n in range(units))
    expected = [(units, units, 1, 0, units, units, total)] * len(instructions)
    distinct = (all(len(d) == 1 for d in duties)
                and len({d[0] for d in duties}) == len(instructions))
    ok = distinct and fingerprint == expected and pending == 0 and reports == len(instructions)
    return ("ok" if ok else f"MISMATCH duties={duties} per duty (requests, submitted, reports, "
            f"unlinked, submissions, current, Σ models_total)={fingerprint} expected "
            f"{expected[:1]} each; pending={pending} reports={reports}")


def _env(api: str, url: str) -> dict[str, str]:
    from workflows import prefect_env

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONGVAN_", "PREFECT_"))}
    env.update(prefect_env.QUIET)
    env.update({"PREFECT_API_URL": api, "PREFECT_HOME": str(TMP / "client"),
                "CONGVAN_HOME": str(TMP / "home"), "CONGVAN_DATABASE_URL": url,
                "CONGVAN_KEY_PASSWORD": KEY_PASSWORD, "CONGVAN_CHANNELS": '["email"]',
                "CONGVAN_DEMO": "1", "PREFECT_WORKER_QUERY_SECONDS": "2",
                "PREFECT_WORKER_PREFETCH_SECONDS": "5"})
    return env


@contextlib.contextmanager
def workers(count: int, env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    from workflows.prefect_env import stop

    procs = []
    try:
        for i in range(count):
            with (TMP / f"worker-{i}-{uuid.uuid4().hex[:4]}.log").open("ab") as log:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "congvan", "flows", "worker", "--pool", POOL,
                     "--limit", "1"], env=env, cwd=TMP, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True))
        time.sleep(8)  # imported and polling (not timed)
        yield procs
    finally:
        for p in procs:
            stop(p)


def run_all(api: str, runs: list[tuple[str, dict[str, Any]]], timeout: float = 3600
            ) -> list[tuple[str, object]]:
    """Create every run at once, wait for all; (final state, run id) per run."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from workflows.deployments import deployment_name

    async def go() -> list[tuple[str, object]]:
        async with get_client() as client:
            ids = []
            for flow_name, params in runs:
                dep = await client.read_deployment_by_name(
                    f"{flow_name}/{deployment_name(flow_name)}")
                run = await client.create_flow_run_from_deployment(
                    dep.id, parameters=json.loads(json.dumps(params, default=str)))
                ids.append(run.id)
            done: dict[object, str] = {}
            deadline = time.monotonic() + timeout
            while len(done) < len(ids) and time.monotonic() < deadline:
                for rid in ids:
                    if rid in done:
                        continue
                    run = await client.read_flow_run(rid)
                    if run.state is not None and run.state.is_final():
                        done[rid] = run.state.type.value
                await asyncio.sleep(0.5)
            return [(done.get(rid, "TIMEOUT"), rid) for rid in ids]

    with temporary_settings(updates={PREFECT_API_URL: api}):
        return asyncio.run(go())


def timed_mode(mode: str, api: str, admin: str, template: str, instructions: list[int],
               units: int) -> tuple[float, dict[str, float], str]:
    """One mode on a fresh copy of the template: (seconds, phase seconds, check)."""
    url = _pg(admin, template=_name(template))
    try:
        batches = _batches(url)
        today = _today(url)
        cycles = [("quarterly_cycle", {"instruction_id": iid, "period_key": PERIOD,
                                       "signer_key": SIGNER, "superior_key": SUPERIOR,
                                       "today": today, "aggregate": True})
                  for iid in instructions]
        ingests = [("ingest_posts", {"batch_id": b}) for b in batches]
        phases: dict[str, float] = {}
        if mode == "in-process":
            seconds = _in_process(api, url, ingests, cycles, phases)
        else:
            with workers(int(mode[0]), _env(api, url)):
                t0 = time.perf_counter()
                states = run_all(api, ingests)
                phases["ingest"] = time.perf_counter() - t0
                states += run_all(api, cycles)
                seconds = time.perf_counter() - t0
                phases["cycle"] = seconds - phases["ingest"]
            bad = [s for s, _ in states if s != "COMPLETED"]
            if bad:
                return seconds, phases, f"runs not completed: {bad}"
        return seconds, phases, check(url, units, instructions)
    finally:
        _pg(admin, drop=_name(url))


def _in_process(api: str, url: str, ingests: list[tuple[str, dict[str, Any]]],
                cycles: list[tuple[str, dict[str, Any]]], phases: dict[str, float]) -> float:
    """The same flows called one after another in this process, against the same server."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from registry import db
    from registry.settings import get_settings
    from workflows.deployments import flows

    os.environ.update({k: v for k, v in _env(api, url).items() if k.startswith("CONGVAN_")})
    get_settings.cache_clear()
    db.configure(url)
    try:
        table = flows()
        with temporary_settings(updates={PREFECT_API_URL: api}):
            t0 = time.perf_counter()
            for name, params in ingests:
                table[name](**params)
            phases["ingest"] = time.perf_counter() - t0
            for name, params in cycles:
                table[name](**params)
            seconds = time.perf_counter() - t0
        phases["cycle"] = seconds - phases["ingest"]
        return seconds
    finally:
        db.get_engine().dispose()


def latency(api: str, admin: str, runs: int) -> None:
    """Trigger → Completed of one reconcile-approved run, split; next to in-process."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from registry import db, schema

    url = _pg(admin)
    try:
        engine = db.make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        env = _env(api, url)
        os.environ.update({k: v for k, v in env.items() if k.startswith("CONGVAN_")})
        db.configure(url)
        from workflows.instruct_units import reconcile_approved

        with temporary_settings(updates={PREFECT_API_URL: api}):
            reconcile_approved()
            inproc = []
            for _ in range(runs):
                t0 = time.perf_counter()
                reconcile_approved()
                inproc.append(time.perf_counter() - t0)
        db.get_engine().dispose()
        base = statistics.median(inproc)

        async def history(rid: object) -> dict[str, float]:
            async with get_client() as client:
                states = await client.read_flow_run_states(rid)  # type: ignore[arg-type]
            out: dict[str, float] = {}
            for st in sorted(states, key=lambda x: x.timestamp):
                out.setdefault(st.type.value, st.timestamp.timestamp())
            return out

        rows = []
        with workers(1, env):
            run_all(api, [("reconcile_approved", {})])  # warm-up
            for _ in range(runs):
                t0 = time.time()
                [(state, rid)] = run_all(api, [("reconcile_approved", {})])
                total = time.time() - t0
                with temporary_settings(updates={PREFECT_API_URL: api}):
                    st = asyncio.run(history(rid))
                pending = st.get("PENDING", st["SCHEDULED"])
                rows.append((total, pending - st["SCHEDULED"], st["RUNNING"] - pending,
                             st[state] - st["RUNNING"]))
        med = [statistics.median(r[i] for r in rows) for i in range(4)]
        print(f"one run trigger→Completed (worker poll 2 s, median of {runs}; results polled "
              f"every 0.5 s): {med[0]:.1f} s = poll wait {med[1]:.1f} + process start "
              f"{med[2]:.1f} + flow {med[3]:.1f}; in-process {base:.2f} s "
              f"({med[0] / base:.1f}×)", flush=True)
    finally:
        _pg(admin, drop=_name(url))


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    from bench._pg import admin_url
    from signing.keys import create_dev_ca
    from workflows import issuance, prefect_env

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3321)
    parser.add_argument("--campaigns", default="1,10")
    parser.add_argument("--batches", type=int, default=4,
                        help="staged batches (ingest_posts runs) in all, every campaign's "
                             "posts spread over them (default 4: 2 per worker with 2 workers)")
    parser.add_argument("--modes", default="in-process,1 worker,2 workers")
    parser.add_argument("--latency-runs", type=int, default=3)
    parser.add_argument("--postgres", default=admin_url())
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl+C: the server, the workers and the databases are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    admin = args.postgres
    create_dev_ca(TMP / "home" / "keys", password=KEY_PASSWORD)
    prefect_db = _pg(admin)
    try:
        async_url = make_url(prefect_db).set(drivername="postgresql+asyncpg").render_as_string(
            hide_password=False)
        with prefect_env.local_server(home=TMP / "server", database_url=async_url) as api:
            subprocess.run([sys.executable, "-m", "congvan", "flows", "deploy", "--pool", POOL],
                           env=_env(api, prefect_db), check=True, capture_output=True, cwd=TMP)
            print(f"load average at start: {_load()} (1, 5, 15 min; 2 cores here)", flush=True)
            if args.latency_runs:
                latency(api, admin, args.latency_runs)
            for campaigns in [int(x) for x in args.campaigns.split(",")]:
                t0 = time.perf_counter()
                with issuance.opened(keys_dir=TMP / "home" / "keys", password=KEY_PASSWORD):
                    template, instructions = prepare(admin, args.units, campaigns,
                                                     args.batches)
                _instructions[:] = instructions
                duties = args.units * campaigns
                print(f"{campaigns} campaign(s) × {args.units} units = {duties} duties, "
                      f"{args.batches} ingest runs + {campaigns} cycle runs "
                      f"(prepared in {time.perf_counter() - t0:.0f} s, not timed)", flush=True)
                results: dict[str, float] = {}
                ingest: dict[str, float] = {}
                try:
                    # The check must refuse the template (posts pending, no report): not vacuous.
                    if check(template, args.units, instructions) == "ok":
                        raise SystemExit("check() passes the unprocessed template")
                    for mode in args.modes.split(","):
                        seconds, phases, ok = timed_mode(mode, api, admin, template,
                                                         instructions, args.units)
                        results[mode], ingest[mode] = seconds, phases.get("ingest", 0.0)
                        print(f"  {mode:<11} {seconds:8.1f} s  {1000 * seconds / duties:7.2f} "
                              f"ms/duty  (ingest {phases.get('ingest', 0):.1f} s, cycle "
                              f"{phases.get('cycle', 0):.1f} s)  {ok}  load {_load()}",
                              flush=True)
                finally:
                    _pg(admin, drop=_name(template))
                if {"1 worker", "2 workers"} <= results.keys():
                    print(f"  2 workers vs 1: {results['1 worker'] / results['2 workers']:.2f}× "
                          f"(ingest phase {ingest['1 worker'] / ingest['2 workers']:.2f}×)",
                          flush=True)
                if {"1 worker", "in-process"} <= results.keys():
                    print(f"  1 worker / in-process: "
                          f"{results['1 worker'] / results['in-process']:.2f}", flush=True)
                print(f"  load average: {_load()}", flush=True)
    finally:
        _pg(admin, drop=_name(prefect_db))
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
