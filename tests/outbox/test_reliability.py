"""Reliability against a real SMTP server on loopback, with faults, on real databases.

In every case each delivery ends sent or dead-lettered, none is lost, and the
number of copies the server received per delivery is counted: exactly one,
except where the server took a message and the relay never heard back (the
connection cut after the payload, or the relay killed between "sent" and
"recorded") — there the at-least-once outbox sends it once more, and the test
says so. The same Message-ID lets the recipient recognise the copy.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from outbox.channels.email import SmtpChannel
from outbox.enqueue import enqueue_document
from outbox.relay import RelayReport, RetryPolicy, relay_until_idle, utcnow
from registry import db
from registry.models import Delivery, DeliveryStatus
from tests.outbox import relay_worker
from tests.outbox.conftest import issued_document
from tests.outbox.smtp_server import SmtpTestServer

FAST = RetryPolicy(max_attempts=4, base=60, jitter=0.5, lease=300)


@pytest.fixture
def engine_url(fresh_url: str) -> Iterator[tuple[Engine, str]]:
    """A fresh migrated database of each kind, with an engine on it."""
    engine = db.make_engine(fresh_url)
    yield engine, fresh_url
    engine.dispose()


def seed(engine: Engine, files_root: Path, recipients: int) -> list[str]:
    """One issued document to ``recipients`` units, enqueued for e-mail; the Message-IDs."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        doc = issued_document(session, files_root, recipients=recipients)
        rows = enqueue_document(session=session, document_id=doc.id)
        return [f"<{row.idempotency_key}@kontum.gov.vn>" for row in rows]


def statuses(engine: Engine) -> list[DeliveryStatus]:
    with Session(engine) as session:
        return list(session.scalars(select(Delivery.status).order_by(Delivery.id)))


def channel(server: SmtpTestServer) -> SmtpChannel:
    return SmtpChannel(host=server.host, port=server.port, from_addr="congvan@kontum.gov.vn",
                       timeout=10)


def run(engine: Engine, server: SmtpTestServer, root: Path, *, later: float = 0) -> RelayReport:
    """Relay until idle at a clock ``later`` seconds ahead (backoff passes without sleeping)."""
    with channel(server) as smtp:
        return relay_until_idle(
            engine=engine, channels={"email": smtp}, files_root=root, policy=FAST,
            clock=lambda: utcnow() + timedelta(seconds=later),
        )


def copies(server: SmtpTestServer, message_ids: list[str]) -> list[int]:
    return [server.count(mid) for mid in message_ids]


class TestFaults:
    def test_server_down_then_up(self, engine_url: tuple[Engine, str], tmp_path: Path) -> None:
        """While the server is down every delivery waits; once it is up each arrives once."""
        engine, _ = engine_url
        ids = seed(engine, tmp_path, 5)
        server = SmtpTestServer()
        report = run(engine, server, tmp_path)
        assert (report.retried, report.sent) == (5, 0)
        assert set(statuses(engine)) == {DeliveryStatus.FAILED}
        with server:
            run(engine, server, tmp_path, later=120)
        assert set(statuses(engine)) == {DeliveryStatus.SENT}
        assert copies(server, ids) == [1] * 5

    def test_4xx_then_success(self, engine_url: tuple[Engine, str], tmp_path: Path) -> None:
        """Deliveries answered 451 are retried after backoff and arrive once."""
        engine, _ = engine_url
        ids = seed(engine, tmp_path, 5)
        with SmtpTestServer() as server:
            server.faults.transient = 3
            first = run(engine, server, tmp_path)
            assert (first.sent, first.retried) == (2, 3)
            run(engine, server, tmp_path, later=120)
        assert set(statuses(engine)) == {DeliveryStatus.SENT}
        assert copies(server, ids) == [1] * 5

    def test_5xx_is_dead_lettered(self, engine_url: tuple[Engine, str], tmp_path: Path) -> None:
        """Deliveries answered 554 become dead letters at once; the server stored nothing."""
        engine, _ = engine_url
        ids = seed(engine, tmp_path, 3)
        with SmtpTestServer() as server:
            server.faults.permanent = True
            assert run(engine, server, tmp_path).dead == 3
        assert set(statuses(engine)) == {DeliveryStatus.DEAD}
        assert copies(server, ids) == [0] * 3

    def test_persistent_4xx_ends_dead(self, engine_url: tuple[Engine, str], tmp_path: Path) -> None:
        """A server that keeps answering 451 turns the delivery dead after max_attempts."""
        engine, _ = engine_url
        seed(engine, tmp_path, 1)
        with SmtpTestServer() as server:
            server.faults.transient = 10
            for hour in range(FAST.max_attempts):
                run(engine, server, tmp_path, later=hour * 3600)
        assert statuses(engine) == [DeliveryStatus.DEAD]

    def test_connection_dropped_mid_data(
        self, engine_url: tuple[Engine, str], tmp_path: Path
    ) -> None:
        """A connection cut before the DATA reply (message not taken) is retried: one copy each."""
        engine, _ = engine_url
        ids = seed(engine, tmp_path, 4)
        with SmtpTestServer() as server:
            server.faults.drop = 2
            run(engine, server, tmp_path)
            run(engine, server, tmp_path, later=120)
        assert set(statuses(engine)) == {DeliveryStatus.SENT}
        assert copies(server, ids) == [1] * 4

    def test_taken_then_dropped_is_sent_at_most_twice(
        self, engine_url: tuple[Engine, str], tmp_path: Path
    ) -> None:
        """If the server keeps the message but the reply is lost, exactly one extra copy arrives."""
        engine, _ = engine_url
        ids = seed(engine, tmp_path, 3)
        with SmtpTestServer() as server:
            server.faults.accept_then_drop = 1
            run(engine, server, tmp_path)
            run(engine, server, tmp_path, later=120)
        assert set(statuses(engine)) == {DeliveryStatus.SENT}
        assert sorted(copies(server, ids)) == [1, 1, 2]


class TestCrash:
    def test_relay_killed_mid_batch_then_restarted(
        self, engine_url: tuple[Engine, str], tmp_path: Path
    ) -> None:
        """SIGKILL after the server took message 3 of 6: after a restart all are sent, and only
        the message in flight at the kill arrives twice (same Message-ID)."""
        engine, url = engine_url
        ids = seed(engine, tmp_path, 6)
        with SmtpTestServer() as server:
            server.faults.hold_at = 3
            child = mp.get_context("spawn").Process(
                target=relay_worker.run, args=(url, server.port, str(tmp_path))
            )
            child.start()
            try:
                assert server.faults.held.wait(60), "the relay never reached message 3"
            finally:
                assert child.pid is not None
                os.kill(child.pid, signal.SIGKILL)
                child.join(10)
            assert child.exitcode == -signal.SIGKILL
            after_kill = statuses(engine)
            assert after_kill.count(DeliveryStatus.SENT) == 2
            assert after_kill.count(DeliveryStatus.SENDING) == 4
            # A restarted relay does not touch claims until their lease has run out …
            assert run(engine, server, tmp_path).claimed == 0
            # … and then takes them over.
            run(engine, server, tmp_path, later=FAST.lease + 1)
        assert set(statuses(engine)) == {DeliveryStatus.SENT}
        assert copies(server, ids) == [1, 1, 2, 1, 1, 1]


@pytest.mark.postgres
class TestConcurrentRelays:
    def test_two_relays_share_the_queue(self, fresh_pg_url: str, tmp_path: Path) -> None:
        """Two relays side by side (SKIP LOCKED) send 60 deliveries, each exactly once."""
        engine = db.make_engine(fresh_pg_url)
        ids = seed(engine, tmp_path, 60)
        reports: list[RelayReport] = []
        start = threading.Barrier(2)

        def relay() -> None:
            with channel(server) as smtp:
                start.wait()
                reports.append(relay_until_idle(
                    session_factory=sessionmaker(engine), channels={"email": smtp},
                    files_root=tmp_path, policy=FAST, batch_size=5,
                ))

        with SmtpTestServer() as server:
            threads = [threading.Thread(target=relay) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        engine.dispose()
        assert sum(r.sent for r in reports) == 60
        assert copies(server, ids) == [1] * 60
