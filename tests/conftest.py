"""Shared fixtures: real SQLite and PostgreSQL engines migrated with Alembic, one
SAVEPOINT per test, and fresh databases for tests that need many connections.

PostgreSQL comes from CONGVAN_TEST_POSTGRES_URL (default: the local server's
``test`` database over TCP with trust auth); each test session works in
databases of its own that it creates and drops.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from registry import db, schema

PG_ADMIN_URL = os.environ.get(
    "CONGVAN_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test"
)


def _pg_admin() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def create_pg_database() -> str:
    """A new empty PostgreSQL database; returns its URL."""
    name = f"congvan_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - turn any connection problem into one clear message
        pytest.fail(
            f"PostgreSQL không kết nối được ở {PG_ADMIN_URL} ({exc.__class__.__name__}). "
            "Chạy `make test` (cài và khởi động PostgreSQL) hoặc đặt CONGVAN_TEST_POSTGRES_URL."
        )
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
        ), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url_session() -> Iterator[str]:
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="session")
def sqlite_url_session(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'congvan.db'}"


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql",
                                                                 marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated engine, once per engine kind per test session."""
    url = request.getfixturevalue(
        "sqlite_url_session" if request.param == "sqlite" else "pg_url_session"
    )
    eng = db.make_engine(url)
    schema.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test (SAVEPOINTs inside)."""
    conn = engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """A new migrated PostgreSQL database for tests with many real connections."""
    url = create_pg_database()
    eng = db.make_engine(url)
    schema.upgrade(eng)
    eng.dispose()
    yield url
    drop_pg_database(url)


@pytest.fixture
def fresh_sqlite_url(tmp_path: Path) -> str:
    """A new migrated SQLite file for tests with many real connections."""
    url = f"sqlite:///{tmp_path / 'congvan.db'}"
    eng = db.make_engine(url)
    schema.upgrade(eng)
    eng.dispose()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest) -> str:
    """A new migrated database of each kind."""
    name = "fresh_sqlite_url" if request.param == "sqlite" else "fresh_pg_url"
    return request.getfixturevalue(name)


@pytest.fixture(autouse=True)
def _keep_database_url_env() -> Iterator[None]:
    """congvan.runtime.open_registry exports CONGVAN_DATABASE_URL; no test leaks it to the next."""
    before = os.environ.get("CONGVAN_DATABASE_URL")
    yield
    if before is None:
        os.environ.pop("CONGVAN_DATABASE_URL", None)
    else:
        os.environ["CONGVAN_DATABASE_URL"] = before
