"""Alembic environment: runs on the connection handed in by registry.schema, or on
CONGVAN_DATABASE_URL when called from the alembic command line."""

from __future__ import annotations

import os

from alembic import context

from registry import models  # noqa: F401  (registers the tables)
from registry.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = os.environ.get("CONGVAN_DATABASE_URL") or "sqlite:///var/congvan.db"
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
