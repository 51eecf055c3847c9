"""Scratch PostgreSQL databases for benchmarks: created on the admin URL, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_ADMIN_URL = "postgresql+psycopg://127.0.0.1:5432/test"


def admin_url() -> str:
    """CONGVAN_TEST_POSTGRES_URL, or the local server's `test` database."""
    return os.environ.get("CONGVAN_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


def _run(url: str, statement: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(statement))
    admin.dispose()


@contextmanager
def scratch_database(admin: str) -> Iterator[str]:
    """A new empty database on ``admin``'s server; yields its URL and drops it on exit."""
    name = f"congvan_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _run(admin, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        _run(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_database(admin: str, name: str | None = None, *, template: str | None = None,
                drop: str | None = None, prefix: str = "congvan_bench") -> str:
    """Create a database on ``admin``'s server (``name``, or ``prefix`` and a random suffix;
    a copy of ``template`` if given) and return its URL — or, with ``drop``, drop that one."""
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        if drop:
            c.execute(text(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)'))
            name = drop
        else:
            name = name or f"{prefix}_{uuid.uuid4().hex[:8]}"
            c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"'
                                                          if template else "")))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)
