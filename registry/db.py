"""Engine, sessions and the one place that commits.

``configure(url)`` once at the edge; ``transaction()`` opens a session, commits
on success and rolls back on error. Services take the session as an argument
and at most ``flush()``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


_engine: Engine | None = None
_sessionmaker: sessionmaker[Session] | None = None


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings congvan relies on.

    SQLite: WAL, foreign keys on, a busy timeout, and ``BEGIN IMMEDIATE`` so that
    writers queue instead of failing on a lock upgrade (numbering depends on it).
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60}, **kwargs)
        _sqlite_setup(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Two clerks may issue at the same moment: take the write lock up front.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def configure(url: str, **kwargs: Any) -> Engine:
    """Set the process-wide engine (call once at the edge)."""
    global _engine, _sessionmaker
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url, **kwargs)
    _sessionmaker = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def is_configured() -> bool:
    """Whether an engine has been configured in this process."""
    return _engine is not None


def get_engine() -> Engine:
    """The configured engine; configures from CONGVAN_DATABASE_URL if nobody did."""
    if _engine is None:
        configure(os.environ.get("CONGVAN_DATABASE_URL") or "sqlite:///var/congvan.db")
    assert _engine is not None
    return _engine


def session_factory() -> sessionmaker[Session]:
    """The sessionmaker bound to the configured engine."""
    get_engine()
    assert _sessionmaker is not None
    return _sessionmaker


@contextmanager
def transaction(session: Session | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error — except an error marked
    ``keep_work`` (a refused read whose refusal is on the access log), which commits first.

    With ``session`` given (tests, nested use cases) it only flushes: the owner
    of that session decides when to commit.
    """
    if session is not None:
        yield session
        session.flush()
        return
    s = session_factory()()
    try:
        yield s
        s.commit()
    except BaseException as exc:
        # A refused read (registry.errors.RecordedRefusal) keeps its access-log row.
        if getattr(exc, "keep_work", False):
            s.commit()
        else:
            s.rollback()
        raise
    finally:
        s.close()
