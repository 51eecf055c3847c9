"""`make scale-demo` and `make scale-faults` as tests: the Kon Tum quarterly cycle through the
deployments of a PostgreSQL-backed Prefect server with 2 workers, 2 web processes, 2 relays and
a local SMTP server (scripts/scale_demo.py), brought up once for the module, with two faults:

- a worker's machine lost (kill -9 of the worker and of the run's process group) while the
  first ``quarterly_cycle`` run is Running and waits, in its ingest, for a request row the test
  holds (4 of the 8 workbooks taken) — nobody runs it again by hand: the heartbeat automation
  marks it Crashed and the re-run automation schedules the same run again;
- the Prefect server stopped for 30 s while a scheduled reminder run falls due.

The cycle must still leave exactly what an undisturbed run leaves (tests/workflows/
scale_demo_expected.json, recorded by ``scripts/scale_demo.py --record``): the same e-mails,
each once, the same register numbers, reminders, notices and submissions, and the figures of
the in-process aggregation of the same workbooks. Runs alone with `pytest -m scale_faults`
(the fault tests) or `pytest -m scale_demo` (all three)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_ADMIN_URL

pytestmark = [pytest.mark.scale_demo, pytest.mark.prefect_server, pytest.mark.postgres,
              pytest.mark.libreoffice, pytest.mark.slow]
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "scale_demo.py"


def _demo() -> Any:
    spec = importlib.util.spec_from_file_location("scale_demo", SCRIPT)
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


@pytest.fixture(scope="module")
def demo() -> Any:
    return _demo()


@pytest.fixture(scope="module")
def findings(demo: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One bring-up and one cycle with both faults, for every test of the module."""
    return dict(demo.run(tmp_path_factory.mktemp("scale"), PG_ADMIN_URL,
                         frozenset({"kill-worker", "server-down"})))


def test_cycle_through_deployments_with_two_workers(findings: dict[str, Any],
                                                    demo: Any) -> None:
    """Both workers run flows; each e-mail arrives once; numbers 1..N; the figures equal the
    in-process aggregation of the same workbooks (checked by the script); and all of it is
    what the undisturbed run leaves."""
    assert all(n > 0 for n in findings["runs per worker"].values())
    assert findings["coverage"] == "8/10"
    assert findings["e-mails"] > 0 and findings["dead"] == 0
    assert findings["numbers"] and all(
        numbers == list(range(1, len(numbers) + 1)) for numbers in findings["numbers"].values())
    expected = json.loads(demo.EXPECTED.read_text())
    assert not demo.differences(findings, expected), "\n".join(
        demo.differences(findings, expected))


@pytest.mark.scale_faults
def test_a_worker_killed_mid_cycle_its_run_is_run_again(findings: dict[str, Any],
                                                        demo: Any) -> None:
    """The run was killed half-way through its ingest (4 of 8 workbooks stored), marked
    Crashed by the heartbeat automation, scheduled again by the re-run automation and
    completed on its second attempt — and the cycle's result is the undisturbed one: no
    submission, number, notice or e-mail doubled or lost, the same figures."""
    killed = findings["kill-worker"]
    assert killed["submissions before the kill"] == 4, killed
    states = killed["states"]
    assert killed["run count"] == 2, killed
    crash = next(i for i, s in enumerate(states) if s.startswith("CRASHED"))
    assert "RUNNING" in states[:crash], killed
    assert "SCHEDULED (AwaitingRetry)" in states[crash:], killed
    assert states[crash:].count("RUNNING") == 1 and states[-1] == "COMPLETED", killed
    expected = json.loads(demo.EXPECTED.read_text())
    assert findings["current submissions"] == expected["current submissions"] == 8
    assert not demo.differences(findings, expected), "\n".join(
        demo.differences(findings, expected))


@pytest.mark.scale_faults
def test_a_reminder_due_while_the_server_is_down_runs_late_once(findings: dict[str, Any],
                                                                demo: Any) -> None:
    """Scheduled to fall due while the server was stopped, the reminder run started after the
    server was back, completed on its first attempt and was the only reminder run of its
    parameters; it claimed the đôn đốc stage once per late unit, and every reminder e-mail
    of the cycle arrived once, as in the undisturbed run."""
    late = findings["server-down"]
    assert late["states"][-1] == "COMPLETED" and late["run count"] == 1, late
    assert late["reminder runs that ran"] == 1, late
    assert late["started late by s"] > 0, late  # after the server was back (the script)
    expected = json.loads(demo.EXPECTED.read_text())
    # The late units (2 of 10) put in the đôn đốc once; their notice and escalation went out
    # with the cycle of 2023-12-06.
    assert late["reminders claimed"] == {"don_doc": 2} and late["notices"] == 0, late
    assert findings["reminders"] == expected["reminders"]
    assert findings["notices"] == expected["notices"]
    def reminder_mails(deliveries: dict[str, int]) -> dict[str, int]:
        return {k: n for k, n in deliveries.items()
                if any(word in k for word in ("Nhắc hạn", "chậm gửi", "đôn đốc"))}

    got = reminder_mails(findings["deliveries"])
    assert got and set(got.values()) == {1}, got
    assert got == reminder_mails(expected["deliveries"])
