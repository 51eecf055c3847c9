"""Concurrent clerks issuing through the JSON API of 2 real web processes (uvicorn) on
PostgreSQL — the short version of ``bench/issue_load.py`` (issue 14, items 3 and 4): 6 clerks
on 3 registers for 10 s, then a web process killed with SIGKILL while it issues. After each,
the registry is checked by the script's ``check``: unique numbers, 1..N per register with the
counter at N, every issued document whole, nothing half-issued, no 5xx. Timings are printed,
never asserted. Runs alone with ``pytest -m scale_load`` (the kill also with
``-m scale_faults``)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import create_pg_database, drop_pg_database

pytestmark = [pytest.mark.scale_load, pytest.mark.postgres, pytest.mark.libreoffice,
              pytest.mark.slow]


@pytest.fixture(scope="module")
def bench() -> Any:
    return importlib.import_module("bench.issue_load")


@pytest.fixture(scope="module")
def world(bench: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """3 registers, 6 clerks, 100 signed documents per register, on a new database."""
    from registry import db

    url = create_pg_database()
    try:
        yield bench.prepare(tmp_path_factory.mktemp("issue-load"), url, registers=3, clerks=6,
                            docs=100)
    finally:
        db.get_engine().dispose()
        drop_pg_database(url)


@pytest.fixture(scope="module")
def webs(bench: Any, world: Any) -> Iterator[list[Any]]:
    with bench.web_processes(world, 2, world.home / "logs") as procs:
        yield procs


def test_six_clerks_issue_through_two_web_processes(bench: Any, world: Any,
                                                    webs: list[Any]) -> None:
    """Every answered number is unique and in the registry; each register holds 1..N; no 5xx;
    every register issued. 60 documents of each register stay for the kill below: issuing got
    fast enough to take all of them in 10 s, and a kill with nothing to issue cuts nothing."""
    out = bench.load(world, webs, seconds=10, reserve=60)
    findings = bench.check(world, out)
    print(findings, bench.figures(out))
    assert findings["statuses"].keys() == {200}
    assert len(findings["per register"]) == 3


@pytest.mark.scale_faults
def test_web_process_killed_mid_issue(bench: Any, world: Any, webs: list[Any]) -> None:
    """kill -9 of a web process while its clerks' requests are being issued: each cut request's
    document is either issued whole or still signed without a number; no number is consumed
    without a document; the clerks carry on through the other process."""
    out = bench.load(world, webs, seconds=8, kill_after=2)
    findings = bench.check(world, out)
    print(findings, bench.figures(out))
    assert out.cut, "the kill cut no request in flight"
    assert webs[0].proc.poll() is not None and webs[1].proc.poll() is None
    assert out.statuses.get(200, 0) > 0
