"""Start-up at the edge: settings → database engine, schema check, files directory."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import Engine

from congvan.settings import Settings, get_settings


def open_registry(settings: Settings | None = None, *, check_schema: bool = True) -> Engine:
    """Configure the registry's engine; refuse an out-of-date schema unless told not to."""
    from registry import db, schema

    settings = settings or get_settings()
    engine = db.configure(settings.database_url)
    # Processes this one starts (Prefect's runner subprocesses for served flows, spawn workers)
    # configure themselves from the environment: hand them the resolved URL, not the default.
    os.environ["CONGVAN_DATABASE_URL"] = settings.database_url
    # The working-day calendar of every process reads the office's imported swaps from here.
    os.environ["CONGVAN_CALENDAR_FILE"] = str(calendar_file(settings).resolve())
    if check_schema:
        schema.ensure_current(engine)
    from outbox.edxml.exchange import install_handling_hook

    install_handling_hook()  # handling transitions answer edXML senders (04/05/06)
    return engine


def files_dir(settings: Settings | None = None) -> Path:
    """Where documents' files are stored (created on first use)."""
    settings = settings or get_settings()
    assert settings.files_dir is not None
    settings.files_dir.mkdir(parents=True, exist_ok=True)
    return settings.files_dir


def calendar_file(settings: Settings | None = None) -> Path:
    """The office's calendar adjustments (``congvan calendar import`` writes it)."""
    settings = settings or get_settings()
    if settings.calendar_file is not None and str(settings.calendar_file) not in ("", "."):
        return settings.calendar_file
    return settings.home / "calendar-adjustments.yaml"
