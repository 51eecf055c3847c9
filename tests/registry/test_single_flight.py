"""One run at a time of a scheduled job (registry.single_flight), on SQLite and PostgreSQL: a
second holder is told no while the first holds, yes once it let go — and yes once the first
holder's process was killed with kill -9 (nothing is left taken)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registry import db, single_flight

REPO = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time
from registry import db, single_flight
db.configure(sys.argv[1])
with single_flight.alone("nightly") as alone:
    print("held" if alone else "busy", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def configured(fresh_url: str) -> str:
    db.configure(fresh_url)
    return fresh_url


def test_a_second_run_is_told_no_until_the_first_ends(configured: str) -> None:
    """Nested in one process (two connections or two open files): the inner one is refused;
    after the outer one ends, the job may run again; another name is independent."""
    with single_flight.alone("nightly") as first:
        assert first is True
        with single_flight.alone("nightly") as second:
            assert second is False
        with single_flight.alone("reconcile") as other:
            assert other is True
    with single_flight.alone("nightly") as again:
        assert again is True


def test_a_killed_holder_leaves_nothing_taken(configured: str) -> None:
    """A holder in another process is killed with SIGKILL: the next run may start at once."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, configured], cwd=REPO,
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with single_flight.alone("nightly") as alone:
            assert alone is False
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(30)
        deadline = time.monotonic() + 30  # the server notices the closed connection
        while True:
            with single_flight.alone("nightly") as alone:
                if alone or time.monotonic() > deadline:
                    break
            time.sleep(0.2)
        assert alone is True
    finally:
        holder.kill()
        holder.wait(30)
