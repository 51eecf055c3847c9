"""One run at a time of a scheduled job, across processes and machines, without a lease that
can be left behind.

``alone(name)`` is a context manager that yields True when this process is the only one
running ``name`` (and holds that until the block ends), False when another process already is.
On PostgreSQL it is a session advisory lock (``pg_try_advisory_lock``) on a connection of its
own; on SQLite (one machine by construction) an exclusive ``flock`` on a file beside the
database. Both are released by the operating system or the database server when the holder
dies — a run killed with ``kill -9`` leaves nothing taken — unlike a counter of slots that
someone must remember to give back.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from registry import db

__all__ = ["alone"]


def _key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    digest = hashlib.sha256(f"congvan:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def alone(name: str) -> Iterator[bool]:
    """Yield whether this process may run ``name`` now (see the module's text)."""
    engine = db.get_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                    {"k": _key(name)}).scalar())
            conn.commit()  # no transaction stays open while the job runs
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
                    conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield True  # one process owns an in-memory database
        return
    path = Path(database).with_name(f"{Path(database).name}.{_key(name) & 0xFFFFFFFF:08x}.lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
