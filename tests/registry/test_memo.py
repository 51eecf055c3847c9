"""registry.memo: an answer is kept while its fingerprint holds, for ``ttl`` at most, and never
shared between two databases."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from registry.memo import Memo


def _counting() -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)
    return calls, compute


def test_kept_while_the_fingerprint_holds_and_recomputed_when_it_changes() -> None:
    """Same key and fingerprint: the kept answer; a new fingerprint: computed again."""
    memo, engine = Memo(ttl=60), create_engine("sqlite://")
    calls, compute = _counting()
    with Session(engine) as s:
        assert memo.get(s, "k", (1, 1), compute) == 1  # type: ignore[arg-type]
        assert memo.get(s, "k", (1, 1), compute) == 1  # type: ignore[arg-type]
        assert memo.get(s, "k", (1, 2), compute) == 2  # type: ignore[arg-type]
        assert memo.get(s, "other", (1, 2), compute) == 3  # type: ignore[arg-type]
    assert len(calls) == 3 and (memo.hits, memo.misses) == (1, 3)


def test_an_answer_older_than_ttl_is_computed_again() -> None:
    """ttl bounds what a fingerprint cannot see (a renamed unit)."""
    memo, engine = Memo(ttl=0), create_engine("sqlite://")
    calls, compute = _counting()
    with Session(engine) as s:
        memo.get(s, "k", 1, compute)  # type: ignore[arg-type]
        memo.get(s, "k", 1, compute)  # type: ignore[arg-type]
    assert len(calls) == 2


def test_two_databases_never_share_an_answer() -> None:
    """The same key and fingerprint on another engine is computed there."""
    memo = Memo(ttl=60)
    calls, compute = _counting()
    for engine in (create_engine("sqlite://"), create_engine("sqlite://")):
        with Session(engine) as s:
            memo.get(s, "k", 1, compute)  # type: ignore[arg-type]
    assert len(calls) == 2


def test_bounded_and_safe_from_threads() -> None:
    """At most ``size`` answers are kept (least recently used go first); 8 threads at once
    leave it consistent."""
    memo, engine = Memo(ttl=60, size=10), create_engine("sqlite://")

    def work(n: int) -> None:
        with Session(engine) as s:
            for i in range(200):
                assert memo.get(s, (n, i % 20), i % 20, lambda i=i: i % 20) == i % 20

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(store) for store in memo._stores.values()) <= 10
    memo.clear()
    assert not memo._stores
