"""The relay: claim due deliveries, send them, record each outcome on its row.

Claim, send and record are three steps with the network call outside any
transaction:

1. **Claim** (one short transaction): pick due rows — queued, failed and due,
   or ``sending`` whose claim has expired (a relay died) — mark them
   ``sending``, count the attempt and set ``claimed_until``. On PostgreSQL the
   pick is ``FOR UPDATE SKIP LOCKED``, so relays side by side take disjoint
   rows; on SQLite the engine's ``BEGIN IMMEDIATE`` makes claims one at a time.
2. **Send** through the row's channel, with the delivery's idempotency key as
   the message's identity.
3. **Record** (one short transaction per message): sent, retry later with
   exponential backoff and jitter, or dead letter.

A crash between 2 and 3 leaves the row ``sending``; when its claim expires it
is sent again with the same Message-ID — at most one extra copy per crash.

The database going away (a PostgreSQL restart, a fail-over) is not a crash: a message
already sent has its outcome recorded once the database answers again
(``RetryPolicy.record_patience``), so it is not sent twice; a pass that cannot claim raises
the driver's error (:func:`connection_lost` tells it apart) and ``congvan outbox run --loop``
waits and tries again.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from outbox.channels import Channel
from outbox.compose import FileRef, compose, file_refs, read_files
from outbox.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from outbox.message import Attachment, OutgoingMessage
from outbox.receipts import AckLinks
from registry import audit
from registry.models import Delivery, DeliveryStatus, Document, Notice

Clock = Callable[[], datetime]


def new_relay_id() -> str:
    """``host:pid:random``: who holds a claim, readable in the table."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how late to retry, and how long a claim holds (seconds)."""

    max_attempts: int = 8
    base: float = 60.0
    cap: float = 6 * 3600.0
    jitter: float = 0.5
    lease: float = 300.0
    # How long a relay keeps trying to record a sent message while the database is away
    # (restart, fail-over) before giving up (the row then waits for its lease to expire).
    record_patience: float = 120.0

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Backoff after the ``attempts``-th failure: base·2^(n−1), capped, minus random jitter."""
        raw = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        spread = (rng or random).random() * self.jitter
        return timedelta(seconds=raw * (1 - spread))


@dataclass
class RelayReport:
    """What one pass did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: RelayReport) -> None:
        """Accumulate another pass into this report."""
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.failures += other.failures


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    document_id: int | None  # None for a notice (no files)
    channel: str
    attempts: int
    message: OutgoingMessage
    files: tuple[FileRef, ...]


def _due(now: datetime) -> Any:
    return or_(
        and_(Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.FAILED]),
             or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_until <= now),
    )


def _claim(
    factory: sessionmaker[Session], *, channels: list[str], batch_size: int, now: datetime,
    policy: RetryPolicy, relay_id: str, files_root: Path, ack_links: AckLinks | None,
    report: RelayReport,
) -> list[_Claim]:
    claims: list[_Claim] = []
    with factory.begin() as session:
        ids = session.scalars(
            select(Delivery.id).where(_due(now), Delivery.channel.in_(channels))
            .order_by(Delivery.next_attempt_at, Delivery.id).limit(batch_size)
            .with_for_update(skip_locked=True)
        ).all()
        if not ids:
            return claims
        rows = session.scalars(
            select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id).options(
                selectinload(Delivery.recipient),
                selectinload(Delivery.document).selectinload(Document.files),
                selectinload(Delivery.document).selectinload(Document.recipients),
                selectinload(Delivery.document).selectinload(Document.issuer),
                selectinload(Delivery.document).selectinload(Document.signer),
                selectinload(Delivery.notice).selectinload(Notice.sender),
            )
        ).all()
        for row in rows:
            row.attempts += 1
            report.claimed += 1
            try:
                message = compose(row, ack_url=ack_links.url(row.id) if ack_links else None)
            except PermanentDeliveryError as error:
                _dead(session, row, str(error), report)
                continue
            row.status = DeliveryStatus.SENDING
            row.claimed_by = relay_id
            row.claimed_until = now + timedelta(seconds=policy.lease)
            # A revocation or a Status message carries no files.
            files = file_refs(row.document, files_root) \
                if row.document is not None and not row.kind else ()
            claims.append(_Claim(row.id, row.document_id, row.channel, row.attempts, message,
                                 files))
    return claims


def _dead(session: Session, row: Delivery, error: str, report: RelayReport) -> None:
    row.status = DeliveryStatus.DEAD
    row.last_error = error
    row.next_attempt_at = None
    row.claimed_by = row.claimed_until = None
    report.dead += 1
    report.failures.append((row.id, error))
    audit.record(session=session, action="dead_letter", object_type="delivery",
                 object_id=row.id, detail={"error": error, "attempts": row.attempts})


def _outcome(
    claim: _Claim, error: DeliveryError | None, *, now: datetime, policy: RetryPolicy,
    message_id: str | None, report: RelayReport,
) -> dict[str, Any]:
    done: dict[str, Any] = {"claimed_by": None, "claimed_until": None}
    if error is None:
        report.sent += 1
        return done | {"status": DeliveryStatus.SENT, "message_id": message_id, "sent_at": now,
                       "next_attempt_at": None, "last_error": None}
    text = str(error)
    report.failures.append((claim.delivery_id, text))
    if isinstance(error, TransientDeliveryError) and claim.attempts < policy.max_attempts:
        report.retried += 1
        return done | {"status": DeliveryStatus.FAILED, "last_error": text,
                       "next_attempt_at": now + policy.delay(claim.attempts)}
    if isinstance(error, TransientDeliveryError):
        text = f"{text} (đã thử {claim.attempts} lần)"
    report.dead += 1
    return done | {"status": DeliveryStatus.DEAD, "last_error": text, "next_attempt_at": None}


def connection_lost(exc: BaseException) -> bool:
    """True when ``exc`` says the database is unreachable (not that a statement is wrong)."""
    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _record(factory: sessionmaker[Session], claim: _Claim, values: dict[str, Any],
            relay_id: str, patience: float = 0.0) -> None:
    """Record one outcome; while the database is unreachable, try again for ``patience``
    seconds (the message is already sent: giving up would send it again later)."""
    import time

    deadline = time.monotonic() + patience
    pause = 0.25
    while True:
        try:
            _record_once(factory, claim, values, relay_id)
            return
        except DBAPIError as exc:
            if not connection_lost(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _record_once(factory: sessionmaker[Session], claim: _Claim, values: dict[str, Any],
                 relay_id: str) -> None:
    with factory.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Losing this commit in a database crash only means one resend with the same
            # Message-ID (the row is still 'sending'), so don't wait for the WAL flush.
            session.execute(text("SET LOCAL synchronous_commit TO off"))
        # Only while our claim stands: a relay that took the row over after our lease owns it.
        session.execute(
            update(Delivery).where(
                Delivery.id == claim.delivery_id, Delivery.status == DeliveryStatus.SENDING,
                Delivery.claimed_by == relay_id,
            ).values(**values)
        )
        if values["status"] is DeliveryStatus.DEAD:
            audit.record(session=session, action="dead_letter", object_type="delivery",
                         object_id=claim.delivery_id,
                         detail={"error": values["last_error"], "attempts": claim.attempts})


def _send(channel: Channel, claim: _Claim, cache: dict[int | None, tuple[Attachment, ...]]
          ) -> tuple[str | None, DeliveryError | None]:
    try:
        if claim.document_id not in cache:
            cache[claim.document_id] = read_files(claim.files)
        message = replace(claim.message, attachments=cache[claim.document_id])
        return channel.send(message).message_id, None
    except DeliveryError as error:
        return None, error
    except Exception as error:  # noqa: BLE001 - the relay writes every failure onto the row
        return None, TransientDeliveryError(f"{type(error).__name__}: {error}")


def _factory(session_factory: sessionmaker[Session] | None,
             engine: Engine | None) -> sessionmaker[Session]:
    if session_factory is not None:
        return session_factory
    if engine is None:
        raise TypeError("relay_once cần session_factory hoặc engine")
    return sessionmaker(engine, expire_on_commit=False)


def relay_once(
    *,
    channels: Mapping[str, Channel],
    session_factory: sessionmaker[Session] | None = None,
    engine: Engine | None = None,
    batch_size: int = 50,
    policy: RetryPolicy | None = None,
    files_root: Path = Path("."),
    ack_links: AckLinks | None = None,
    relay_id: str | None = None,
    clock: Clock = utcnow,
) -> RelayReport:
    """Claim up to ``batch_size`` due deliveries for ``channels``, send them, record outcomes."""
    factory = _factory(session_factory, engine)
    policy = policy or RetryPolicy()
    relay_id = relay_id or new_relay_id()
    report = RelayReport()
    claims = _claim(factory, channels=list(channels), batch_size=batch_size, now=clock(),
                    policy=policy, relay_id=relay_id, files_root=files_root,
                    ack_links=ack_links, report=report)
    cache: dict[int | None, tuple[Attachment, ...]] = {}
    for claim in claims:
        message_id, error = _send(channels[claim.channel], claim, cache)
        values = _outcome(claim, error, now=clock(), policy=policy, message_id=message_id,
                          report=report)
        _record(factory, claim, values, relay_id, policy.record_patience)
    return report


def relay_until_idle(*, stop: threading.Event | None = None, **kwargs: Any) -> RelayReport:
    """Run passes until one claims nothing (or ``stop`` is set); the total report."""
    total = RelayReport()
    relay_id = kwargs.pop("relay_id", None) or new_relay_id()
    while stop is None or not stop.is_set():
        report = relay_once(relay_id=relay_id, **kwargs)
        total.add(report)
        if report.claimed == 0:
            break
    return total
