"""Answers kept while the data they were computed from is unchanged, per database.

A page that many people open at once (the deadlines board of a period) recomputes answers
that change only when somebody writes: the figures so far change only with a submission,
the list of periods only when requests are opened. :class:`Memo` keeps such an answer with
a *fingerprint* — a cheap query over the same rows (counts, the newest id, the sum of ids)
that changes whenever the rows do — and gives it back while the fingerprint is the same.
Every web or worker process keeps its own; nothing is shared, so nothing can be stale across
processes beyond one fingerprint check. A bound on the age (``ttl``) covers what a
fingerprint cannot see (a unit renamed, rows edited by hand in the database).

The store belongs to the engine (a weak key): two databases in one process (the tests, a
migration beside a server) never share answers.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

T = TypeVar("T")


class _Flight:
    """An answer being computed: who else asks for it with the same fingerprint waits."""

    def __init__(self, fingerprint: Hashable) -> None:
        self.fingerprint = fingerprint
        self.done = threading.Event()
        self.answer: Any = None
        self.failed = False


class Memo:
    """A bounded store of answers by key, each valid while its fingerprint holds and for at
    most ``ttl`` seconds; safe to use from the web's worker threads.

    One computation at a time per key and fingerprint: when a submission changes the board's
    figures, the five people looking at it at that moment wait for one sum instead of running
    five (``wait`` seconds at most; then, or if that computation fails, each computes its
    own)."""

    def __init__(self, *, ttl: float = 30.0, size: int = 256, wait: float = 30.0) -> None:
        self.ttl, self.size, self.wait = ttl, size, wait
        self._stores: weakref.WeakKeyDictionary[Engine, OrderedDict[Hashable, Any]] = (
            weakref.WeakKeyDictionary())
        self._flights: weakref.WeakKeyDictionary[Engine, dict[Hashable, _Flight]] = (
            weakref.WeakKeyDictionary())
        self._lock = threading.Lock()
        self.hits = self.misses = self.shared = 0

    def get(self, session: Session, key: Hashable, fingerprint: Hashable,
            compute: Callable[[], T]) -> T:
        """The answer kept for ``key`` if its fingerprint is ``fingerprint`` and it is younger
        than ``ttl``; otherwise the one being computed for the same fingerprint, or
        ``compute()``, kept."""
        engine = session.get_bind().engine
        now = time.monotonic()
        with self._lock:
            store = self._stores.setdefault(engine, OrderedDict())
            kept = store.get(key)
            if kept is not None and kept[0] == fingerprint and now - kept[1] < self.ttl:
                store.move_to_end(key)
                self.hits += 1
                return kept[2]  # type: ignore[no-any-return]
            flights = self._flights.setdefault(engine, {})
            running = flights.get(key)
            if running is None or running.fingerprint != fingerprint:
                mine = flights[key] = _Flight(fingerprint)
                running = None
            self.misses += 1
        if running is not None:
            if running.done.wait(self.wait) and not running.failed:
                with self._lock:
                    self.shared += 1
                return running.answer  # type: ignore[no-any-return]
            return compute()
        try:
            answer = compute()
        except BaseException:
            mine.failed = True
            raise
        else:
            mine.answer = answer
            with self._lock:
                store[key] = (fingerprint, now, answer)
                store.move_to_end(key)
                while len(store) > self.size:
                    store.popitem(last=False)
            return answer
        finally:
            mine.done.set()
            with self._lock:
                if flights.get(key) is mine:
                    del flights[key]

    def clear(self) -> None:
        """Forget every answer (of every database)."""
        with self._lock:
            self._stores.clear()
