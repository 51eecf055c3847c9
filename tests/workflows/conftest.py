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
    from reporting.scenario import DIRECTORY_FILE

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


KEY_PASSWORD = "thu-nghiem"


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo CA with the signer's and the organisation's PKCS#12 files (signing.keys)."""
    from signing.keys import create_dev_ca

    folder = tmp_path_factory.mktemp("keys")
    create_dev_ca(folder, password=KEY_PASSWORD)
    return folder


@pytest.fixture(scope="session")
def issuing_tools(dev_keys: Path) -> Iterator[object]:
    """A warm LibreOffice and the two PAdES signers, installed for every issue in the session."""
    import shutil

    from workflows import issuance

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    with issuance.opened(keys_dir=dev_keys, password=KEY_PASSWORD) as tools:
        yield tools
