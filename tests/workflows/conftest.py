"""Fixtures for the workflows: the Kon Tum directory in a fresh database, one Prefect harness."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import db


@pytest.fixture
def kontum_url(fresh_url: str) -> Iterator[str]:
    """A fresh migrated database (SQLite and PostgreSQL) with the Kon Tum directory, configured."""
    from registry.directory import import_file
    from workflows.scenario import DIRECTORY_FILE

    db.configure(fresh_url)
    with db.transaction() as s:
        import_file(session=s, path=DIRECTORY_FILE)
    yield fresh_url
    db.get_engine().dispose()


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One Prefect test harness for the whole session (≈ 9 s to enter)."""
    home = tmp_path_factory.mktemp("prefect")
    os.environ.update({"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                       "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_HOME": str(home)})
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def files_dir(tmp_path: Path) -> Path:
    return tmp_path / "files"
