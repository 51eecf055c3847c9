"""Numbers allocated per second for 1, 4 and 8 concurrent writers on SQLite and PostgreSQL,
next to a baseline of plain INSERTs into a table with the same unique constraint, in the
same run. Each writer is a process; each allocation is its own committed transaction
(the document row, then ``number_document``: increment the register's counter and
write the number on the row), as when clerks issue documents.

    python bench/numbering.py [--per-writer 300] [--postgres URL]

The PostgreSQL admin URL defaults to CONGVAN_TEST_POSTGRES_URL or 127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import MetaData, Table, insert, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench._pg import admin_url, scratch_database  # noqa: E402
from registry import db, schema  # noqa: E402
from registry.models import Direction, Document, Organization, Register  # noqa: E402
from registry.numbering import number_document  # noqa: E402

ISSUE_DATE = date(2026, 6, 1)

BASELINE_DDL = (
    "CREATE TABLE baseline_docs (id {pk}, issuer_id INTEGER NOT NULL, year INTEGER NOT NULL, "
    "number INTEGER NOT NULL, symbol VARCHAR(60) NOT NULL, subject TEXT, "
    "CONSTRAINT uq_baseline UNIQUE (issuer_id, year, number, symbol))"
)


def _setup(url: str) -> tuple[int, int]:
    engine = db.make_engine(url)
    schema.upgrade(engine)
    pk = "SERIAL PRIMARY KEY" if url.startswith("postgresql") else "INTEGER PRIMARY KEY"
    with Session(engine) as s, s.begin():
        s.execute(text(BASELINE_DDL.format(pk=pk)))
        org = Organization(key="bcd", name="BAN CHỈ ĐẠO", code="BCĐ", kind="advisory")
        s.add(org)
        s.flush()
        reg = Register(organization_id=org.id, code="DI", name="Sổ đi",
                       direction=Direction.OUTGOING, doc_types=[])
        s.add(reg)
        s.flush()
        ids = (org.id, reg.id)
    engine.dispose()
    return ids


def _allocate(url: str, issuer_id: int, register_id: int, count: int, start: mp.Event) -> None:  # type: ignore[valid-type]
    engine = db.make_engine(url)
    start.wait()  # type: ignore[attr-defined]
    for _ in range(count):
        with Session(engine) as s, s.begin():
            # The issuing path: the document row exists, then it takes its number.
            document_id = s.execute(insert(Document).values(
                doc_type="cong_van", issuer_id=issuer_id, symbol="BCĐ-NC", subject="V/v thử",
            ).returning(Document.id)).scalar_one()
            number_document(session=s, document_id=document_id, register_id=register_id,
                            on=ISSUE_DATE)
    engine.dispose()


def _baseline(url: str, issuer_id: int, count: int, offset: int, start: mp.Event) -> None:  # type: ignore[valid-type]
    engine = db.make_engine(url)
    baseline = Table("baseline_docs", MetaData(), autoload_with=engine)
    start.wait()  # type: ignore[attr-defined]
    for i in range(count):
        with Session(engine) as s, s.begin():
            s.execute(insert(baseline).values(
                issuer_id=issuer_id, year=2026, number=offset + i, symbol="BCĐ-NC",
                subject="V/v thử"))
    engine.dispose()


def _timed(target, args_for, writers: int) -> float:  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=target, args=(*args_for(w), start)) for w in range(writers)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # let every process import and connect before the clock starts
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"writer failed with exit code {p.exitcode}")
    return time.perf_counter() - t0


def _check(url: str, expected: int) -> tuple[int, int]:
    engine = db.make_engine(url)
    with engine.connect() as c:
        n, distinct, top = c.execute(text(
            "SELECT count(*), count(DISTINCT number), max(number) FROM documents")).one()
    engine.dispose()
    gaps = (top or 0) - distinct
    return n - distinct, gaps  # duplicates, gaps


def run(
    engine_kind: str, writers: int, per_writer: int, pg_admin: str
) -> tuple[float, float, int, int]:
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        if engine_kind == "sqlite":
            url = f"sqlite:///{tmp}/bench.db"
        else:
            url = stack.enter_context(scratch_database(pg_admin))
        issuer_id, register_id = _setup(url)
        total = writers * per_writer
        t_alloc = _timed(_allocate, lambda w: (url, issuer_id, register_id, per_writer), writers)
        t_base = _timed(_baseline, lambda w: (url, issuer_id, per_writer, w * per_writer), writers)
        dups, gaps = _check(url, total)
        return total / t_alloc, total / t_base, dups, gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-writer", type=int, default=300)
    parser.add_argument("--postgres", default=admin_url())
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"{'engine':<11}{'writers':>8}{'numbers/s':>12}{'baseline/s':>12}{'ratio':>8}"
          f"{'dups':>6}{'gaps':>6}")
    for kind in args.engines.split(","):
        for writers in (1, 4, 8):
            rate, base, dups, gaps = run(kind, writers, args.per_writer, args.postgres)
            print(f"{kind:<11}{writers:>8}{rate:>12.0f}{base:>12.0f}{rate / base:>8.2f}"
                  f"{dups:>6}{gaps:>6}", flush=True)


if __name__ == "__main__":
    main()
