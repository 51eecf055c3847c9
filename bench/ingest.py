"""One ``ingest_posts`` range in-process on PostgreSQL: statements and time per post, post by
post (each post through the web API's door, as ingestion did before issue 14 item 5) against
the batched range (issue 14, item 5).

    python bench/ingest.py [--units 3321] [--rounds 3] [--profile N] [--postgres URL]

A template database holds the generated national directory (``--units`` commune committees),
one drafted instruction to every unit with its 2023-Q4 requests open, and one JSON post per
request staged in one batch, every 50th with a figure that is not a number (not timed). Each
round ingests the batch range by range (500 posts, one transaction each, as
``ingest_staged_chunk`` does), once per path, each on a fresh copy of the template; the paths
alternate so the machine's load falls on both alike. Counted with SQLAlchemy's
``before_cursor_execute``: calls to the driver (an executemany is one) and statements the
server runs (an executemany counts its rows; a multi-row INSERT is one). The stored results of
the two paths are compared (submissions, staged rows, audit lines, request states; ids and
times aside). ``--profile N`` prints cProfile's top N functions of one range of each path.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, create_engine, event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.engine.interfaces import ExecuteStyle  # noqa: E402

from bench._pg import pg_database  # noqa: E402

PERIOD = "2023-Q4"
ISSUER, SIGNER, CLERK, SUPERIOR = "bcd-ha-noi", "truong-ban.ha-noi", "van-thu.ha-noi", "ubnd-ha-noi"


def _pg(admin: str, name: str | None = None, *, template: str | None = None,
        drop: str | None = None) -> str:
    return pg_database(admin, name, template=template, drop=drop, prefix="congvan_ingest")


def prepare(admin: str, units: int, files_dir: Path) -> str:
    """The template: directory, a drafted instruction's requests open, one post per request
    staged (every 50th with a figure that is not a number: refused with its message)."""
    from registry import db, schema
    from registry.directory import import_directory
    from registry.directory_gen import dump, generate
    from reporting import scenario, staging
    from workflows import steps

    url = _pg(admin)
    db.configure(url)
    schema.upgrade(db.get_engine())
    directory = generate(communes=units)
    unit_keys = [o["key"] for o in directory["organizations"] if ".x" in o["key"]]
    with db.transaction() as s:
        import_directory(session=s, text=dump(directory))
    settings = steps.CycleSettings(files_dir=str(files_dir))
    gid = steps.receive_guidance(scenario.guidance(collector_key=ISSUER, receiver_key=ISSUER,
                                                   sender_key=SUPERIOR))
    iid = steps.draft_instruction(scenario.instruction(
        gid, unit_keys=unit_keys, reporting_unit_keys=unit_keys, issuer_key=ISSUER,
        signer_key=SIGNER, clerk_key=CLERK), settings)
    for duty_id, period, unit_ids in steps.instruction_plan(iid, [PERIOD]):
        if period == PERIOD:
            steps.open_requests_chunk(duty_id, period, unit_ids)
    duty_id = steps.duties_of_instruction(iid)[0]
    rows = steps.request_ids(duty_id, PERIOD)
    posts = []
    for n, (rid, unit) in enumerate(rows):
        values = scenario.sample_values(n)
        if n % 50 == 49:
            values["participants"] = "nhiều"
        posts.append(staging.Posted(request_id=rid, unit_key=unit, values=values))
    with db.transaction() as s:
        staging.stage_posts(session=s, posts=posts)
    db.get_engine().dispose()
    return url


class Counter:
    """Driver calls and server statements on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.calls = self.statements = 0
        self.by_kind: dict[str, int] = {}
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any,
              executemany: bool) -> None:
        # An executemany runs one statement per row on the server; an INSERT of many rows
        # (insertmanyvalues: its parameters are flattened into one statement) is one.
        many = executemany and context.execute_style is not ExecuteStyle.INSERTMANYVALUES
        rows = len(params) if many else 1
        self.calls += 1
        self.statements += rows
        kind = " ".join(statement.split()[:3])
        self.by_kind[kind] = self.by_kind.get(kind, 0) + rows


def results(url: str) -> dict[str, Any]:
    """What the ingestion stored, ids and times aside (comparable across copies)."""
    from registry.models import AuditEvent, ReportRequest, StagedPost, Submission

    engine = create_engine(url)
    with engine.connect() as c:
        subs = {r.id: r for r in c.execute(select(Submission).order_by(Submission.id))}
        staged = [(r.position, r.request_id, r.unit_key, r.ingested_at is not None,
                   None if r.submission_id is None else
                   (subs[r.submission_id].request_id, subs[r.submission_id].values,
                    subs[r.submission_id].current, subs[r.submission_id].valid,
                    subs[r.submission_id].channel), r.errors)
                  for r in c.execute(select(StagedPost).order_by(StagedPost.id))]
        audit = [(r.action, r.object_type, r.object_id, r.actor_label, r.actor_id,
                  {k: v for k, v in r.detail.items() if k not in ("submission", "replaces")})
                 for r in c.execute(select(AuditEvent).where(AuditEvent.action.in_(
                     ["submit", "submission_rejected"])).order_by(AuditEvent.id))]
        states = sorted((r.id, r.status.value) for r in c.execute(select(ReportRequest)))
    engine.dispose()
    return {"staged": staged, "audit": audit, "states": states, "submissions": len(subs)}


def run(url: str, ingest: Callable[..., int], profile: int) -> tuple[float, int, Counter, str]:
    """Every range of the batch, one transaction each: (seconds, posts, counter, profile)."""
    from registry import db
    from reporting import staging

    db.configure(url)
    engine = db.get_engine()
    with db.transaction() as s:
        ranges = staging.pending_ranges(session=s)
        posts = len(staging.pending_ranges(session=s, size=1))
    with db.transaction() as s:  # connect and warm the pool: not counted
        s.execute(text("select 1"))
    counter = Counter(engine)
    report = ""
    t0 = time.perf_counter()
    for n, (a, b) in enumerate(ranges):
        prof = cProfile.Profile() if profile and n == 0 else None
        if prof:
            prof.enable()
        with db.transaction() as s:
            ingest(session=s, first_id=a, last_id=b)
        if prof:
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(profile)
            report = out.getvalue()
    seconds = time.perf_counter() - t0
    event.remove(engine, "before_cursor_execute", counter._seen)
    engine.dispose()
    return seconds, posts, counter, report


def main() -> None:
    from bench._pg import admin_url
    from reporting import staging

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3321)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--postgres", default=admin_url())
    args = parser.parse_args()
    admin = args.postgres
    tmp = Path(__file__).resolve().parents[1] / "var" / f"bench-ingest-{uuid.uuid4().hex[:6]}"
    t0 = time.perf_counter()
    template = prepare(admin, args.units, tmp / "files")
    print(f"{args.units} units: template prepared in {time.perf_counter() - t0:.0f} s "
          f"(not timed); load average {os.getloadavg()}", flush=True)
    paths = {"post by post": staging.ingest_range_each, "batched": staging.ingest_range}
    times: dict[str, list[float]] = {k: [] for k in paths}
    stored: dict[str, dict[str, Any]] = {}
    try:
        for r in range(args.rounds):
            for name, ingest in paths.items() if r % 2 == 0 else reversed(paths.items()):
                url = _pg(admin, template=make_url(template).database)
                try:
                    seconds, posts, counter, report = run(url, ingest,
                                                          args.profile if r == 0 else 0)
                    stored.setdefault(name, results(url))
                finally:
                    _pg(admin, drop=make_url(url).database)
                times[name].append(seconds)
                print(f"  round {r + 1} {name:<12} {seconds:6.2f} s  "
                      f"{1000 * seconds / posts:6.3f} ms/post  {counter.calls / posts:6.3f} "
                      f"driver calls/post  {counter.statements / posts:6.3f} statements/post",
                      flush=True)
                if r == 0:
                    kinds = ", ".join(f"{k}: {v / posts:.3f}" for k, v in
                                      sorted(counter.by_kind.items(), key=lambda kv: -kv[1]))
                    print(f"    statements per post by kind — {kinds}", flush=True)
                if report:
                    print(report, flush=True)
        same = stored["post by post"] == stored["batched"]
        each, batched = (statistics.median(times[k]) for k in paths)
        print(f"  per-post cost, batched / post by post (median of {args.rounds}): "
              f"{batched / each:.2f} ({each / batched:.1f}× faster); stored results "
              f"{'identical' if same else 'DIFFER'}; load average {os.getloadavg()}",
              flush=True)
        if not same:
            raise SystemExit(1)
    finally:
        _pg(admin, drop=make_url(template).database)
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
