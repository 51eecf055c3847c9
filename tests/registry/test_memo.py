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


def test_one_computation_for_everyone_asking_at_once() -> None:
    """While one thread computes an answer, others asking with the same fingerprint wait for it
    and get it; a different fingerprint computes its own."""
    memo, engine = Memo(ttl=60), create_engine("sqlite://")
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow() -> str:
        calls.append("slow")
        started.set()
        assert release.wait(10)
        return "tổng"

    got: list[str] = []

    def ask(fingerprint: int, compute: object) -> None:
        with Session(engine) as s:
            got.append(memo.get(s, "bảng", fingerprint, compute))  # type: ignore[arg-type]

    first = threading.Thread(target=ask, args=(1, slow))
    first.start()
    assert started.wait(10)
    waiters = [threading.Thread(target=ask, args=(1, lambda: calls.append("again") or "x"))
               for _ in range(4)]
    for t in waiters:
        t.start()
    other = threading.Thread(target=ask, args=(2, lambda: calls.append("other") or "khác"))
    other.start()
    other.join(10)
    release.set()
    for t in [first, *waiters]:
        t.join(10)
    assert calls == ["slow", "other"]
    assert sorted(got) == ["khác"] + ["tổng"] * 5 and memo.shared == 4


def test_a_failed_computation_is_not_shared() -> None:
    """If the computation fails, its caller gets the error and the waiters compute their own."""
    memo, engine = Memo(ttl=60), create_engine("sqlite://")
    started, release = threading.Event(), threading.Event()

    def broken() -> str:
        started.set()
        assert release.wait(10)
        raise RuntimeError("mất kết nối")

    errors: list[BaseException] = []
    got: list[str] = []

    def first() -> None:
        with Session(engine) as s:
            try:
                memo.get(s, "k", 1, broken)
            except RuntimeError as exc:
                errors.append(exc)

    def waiter() -> None:
        with Session(engine) as s:
            got.append(memo.get(s, "k", 1, lambda: "đúng"))

    a = threading.Thread(target=first)
    a.start()
    assert started.wait(10)
    b = threading.Thread(target=waiter)
    b.start()
    release.set()
    a.join(10)
    b.join(10)
    assert len(errors) == 1 and got == ["đúng"]
    with Session(engine) as s:  # nothing was kept from the failed flight
        assert memo.get(s, "k", 1, lambda: "mới") == "mới"
