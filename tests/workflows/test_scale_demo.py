"""`make scale-demo` as a test: the Kon Tum quarterly cycle through the deployments of a
PostgreSQL-backed Prefect server with 2 workers, 2 web processes, 2 relays and a local SMTP
server (scripts/scale_demo.py). Runs alone with `pytest -m scale_demo`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL

pytestmark = [pytest.mark.scale_demo, pytest.mark.prefect_server, pytest.mark.postgres,
              pytest.mark.libreoffice, pytest.mark.slow]
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "scale_demo.py"


def test_cycle_through_deployments_with_two_workers(tmp_path: Path) -> None:
    """Both workers run flows; each e-mail arrives once; numbers 1..N; the figures equal the
    in-process aggregation of the same workbooks."""
    spec = importlib.util.spec_from_file_location("scale_demo", SCRIPT)
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    findings = demo.run(tmp_path, PG_ADMIN_URL)
    assert all(n > 0 for n in findings["runs per worker"].values())
    assert findings["coverage"] == "8/10"
    assert findings["e-mails"] > 0 and findings["dead"] == 0
    assert findings["numbers"] and all(
        numbers == list(range(1, len(numbers) + 1)) for numbers in findings["numbers"].values())
