"""Prefect's environment, set before ``import prefect``: no telemetry, quiet logs, a home under
var/."""

from __future__ import annotations

import os
from pathlib import Path


def prepare(home: Path | str | None = None) -> None:
    """Set DO_NOT_TRACK, analytics off, WARNING logs and PREFECT_HOME (default ./var/prefect)."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    target = Path(home) if home is not None else Path("var") / "prefect"
    os.environ.setdefault("PREFECT_HOME", str(target.resolve()))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
