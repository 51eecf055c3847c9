"""Enqueue and relay logic with the in-library FakeChannel, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox import deliveries
from outbox.channels.email import build_email
from outbox.channels.fake import FakeChannel
from outbox.enqueue import enqueue_document
from outbox.errors import PermanentDeliveryError, TransientDeliveryError
from outbox.message import OutgoingMessage
from outbox.relay import RelayReport, RetryPolicy, relay_once
from registry.errors import InvalidTransition, PermissionDenied, ValidationError
from registry.models import AuditEvent, Delivery, DeliveryStatus
from tests import factories
from tests.outbox.conftest import PDF, issued_document, savepoint_factory

T0 = datetime(2022, 12, 16, 2, 0, tzinfo=UTC)
FAST = RetryPolicy(max_attempts=3, base=60, jitter=0.0, lease=300)


def relay(session: Session, channel: FakeChannel, root: Path, at: datetime = T0,
          policy: RetryPolicy = FAST) -> RelayReport:
    return relay_once(session_factory=savepoint_factory(session), channels={"email": channel},
                      files_root=root, policy=policy, clock=lambda: at)


def rows(session: Session) -> list[Delivery]:
    session.expire_all()
    return list(session.scalars(select(Delivery).order_by(Delivery.id)))


class TestEnqueue:
    def test_one_row_per_recipient_and_channel(self, session: Session, tmp_path: Path) -> None:
        """Each organisation in Kính gửi gets one queued row per channel; free-text lines none."""
        doc = issued_document(session, tmp_path, recipients=3)
        added = enqueue_document(session=session, document_id=doc.id, channels=("email", "edxml"))
        assert len(added) == 6
        assert {d.status for d in added} == {DeliveryStatus.QUEUED}
        assert len({d.idempotency_key for d in added}) == 6

    def test_enqueue_twice_adds_nothing(self, session: Session, tmp_path: Path) -> None:
        """Enqueueing the same document again adds no duplicate rows."""
        doc = issued_document(session, tmp_path, recipients=2)
        enqueue_document(session=session, document_id=doc.id)
        assert enqueue_document(session=session, document_id=doc.id) == []

    def test_rows_roll_back_with_the_issue(self, session: Session, tmp_path: Path) -> None:
        """If the issuing transaction fails, its deliveries vanish with it."""
        doc = issued_document(session, tmp_path, recipients=2)
        nested = session.begin_nested()
        enqueue_document(session=session, document_id=doc.id)
        nested.rollback()
        assert rows(session) == []

    def test_unknown_channel_is_refused(self, session: Session, tmp_path: Path) -> None:
        """An unknown channel name is refused, naming the valid ones."""
        doc = issued_document(session, tmp_path, recipients=1)
        with pytest.raises(ValidationError, match="email"):
            enqueue_document(session=session, document_id=doc.id, channels=("fax",))


class TestRelay:
    def test_sends_and_records(self, session: Session, tmp_path: Path) -> None:
        """Every due delivery is sent once with its files and recorded as sent."""
        doc = issued_document(session, tmp_path, recipients=3)
        enqueue_document(session=session, document_id=doc.id, now=T0)
        channel = FakeChannel()
        report = relay(session, channel, tmp_path)
        assert (report.claimed, report.sent) == (3, 3)
        assert all(d.status is DeliveryStatus.SENT and d.sent_at and d.message_id
                   for d in rows(session))
        message = channel.sent[0]
        assert message.number_symbol == f"{doc.number:02d}/BCĐ-NC"
        assert message.sender.name == "BAN CHỈ ĐẠO 138 TỈNH KON TUM"
        assert message.attachments[0].content == PDF
        assert message.attachments[0].filename.endswith(".pdf")

    def test_transient_failure_backs_off_then_succeeds(
        self, session: Session, tmp_path: Path
    ) -> None:
        """A transient failure sets the next attempt by backoff; the row is not due before it."""
        doc = issued_document(session, tmp_path, recipients=1)
        enqueue_document(session=session, document_id=doc.id, now=T0)
        relay(session, FakeChannel([TransientDeliveryError("451 bận")]), tmp_path)
        [row] = rows(session)
        assert row.status is DeliveryStatus.FAILED and row.last_error == "451 bận"
        assert row.attempts == 1
        assert relay(session, FakeChannel(), tmp_path, at=T0 + timedelta(seconds=59)).claimed == 0
        assert relay(session, FakeChannel(), tmp_path, at=T0 + timedelta(seconds=60)).sent == 1

    def test_permanent_failure_is_a_dead_letter(self, session: Session, tmp_path: Path) -> None:
        """A permanent failure is dead at once, with the error and an audit event."""
        doc = issued_document(session, tmp_path, recipients=1)
        enqueue_document(session=session, document_id=doc.id, now=T0)
        relay(session, FakeChannel([PermanentDeliveryError("554 từ chối")]), tmp_path)
        [row] = rows(session)
        assert row.status is DeliveryStatus.DEAD and row.last_error == "554 từ chối"
        assert session.scalar(select(AuditEvent).where(
            AuditEvent.action == "dead_letter", AuditEvent.object_id == row.id)) is not None

    def test_too_many_attempts_is_a_dead_letter(self, session: Session, tmp_path: Path) -> None:
        """After max_attempts transient failures the delivery is dead, saying how many."""
        doc = issued_document(session, tmp_path, recipients=1)
        enqueue_document(session=session, document_id=doc.id, now=T0)
        channel = FakeChannel(handler=lambda m: TransientDeliveryError("421"))
        for hour in range(3):
            relay(session, channel, tmp_path, at=T0 + timedelta(hours=hour))
        [row] = rows(session)
        assert row.status is DeliveryStatus.DEAD and "3 lần" in (row.last_error or "")

    def test_clerk_requeues_a_dead_letter(self, session: Session, tmp_path: Path) -> None:
        """A re-queued dead letter is due now and gets sent."""
        doc = issued_document(session, tmp_path, recipients=1)
        enqueue_document(session=session, document_id=doc.id, now=T0)
        relay(session, FakeChannel([PermanentDeliveryError("554")]), tmp_path)
        [row] = rows(session)
        assert doc.issuer is not None
        clerk = factories.person(session, doc.issuer, roles=["clerk"])
        deliveries.retry(session=session, delivery_id=row.id, actor=clerk, now=T0)
        assert relay(session, FakeChannel(), tmp_path).sent == 1
        with pytest.raises(InvalidTransition):
            deliveries.retry(session=session, delivery_id=row.id, actor=clerk)

    def test_only_the_senders_clerk_or_an_admin_requeues(self, session: Session,
                                                         tmp_path: Path) -> None:
        """A leader, or a clerk of another organisation, may not re-queue; an admin may; the
        refusal names the person and the role or organisation, and the row stays dead."""
        doc = issued_document(session, tmp_path, recipients=1)
        enqueue_document(session=session, document_id=doc.id, now=T0)
        relay(session, FakeChannel([PermanentDeliveryError("554")]), tmp_path)
        [row] = rows(session)
        assert doc.issuer is not None
        leader = factories.person(session, doc.issuer, roles=["leader"], full_name="Lê Văn A")
        with pytest.raises(PermissionDenied, match="Lê Văn A không có vai trò văn thư"):
            deliveries.retry(session=session, delivery_id=row.id, actor=leader)
        other = factories.person(session, factories.org(session), roles=["clerk"],
                                 full_name="Trần Thị B")
        with pytest.raises(PermissionDenied, match="Trần Thị B không thuộc đơn vị"):
            deliveries.retry(session=session, delivery_id=row.id, actor=other)
        assert row.status is DeliveryStatus.DEAD
        admin = factories.person(session, factories.org(session), roles=["admin"])
        assert deliveries.retry(session=session, delivery_id=row.id,
                                actor=admin).status is DeliveryStatus.QUEUED

    def test_missing_email_dead_letters_with_fix(self, session: Session, tmp_path: Path) -> None:
        """A recipient without e-mail is dead at once with a message telling the clerk the fix."""
        doc = issued_document(session, tmp_path, recipients=1, emails=False)
        enqueue_document(session=session, document_id=doc.id, now=T0)

        def email_channel_check(message: OutgoingMessage) -> None:
            build_email(message, from_addr="a@b.vn")

        channel = FakeChannel(handler=email_channel_check)
        relay(session, channel, tmp_path)
        [row] = rows(session)
        assert row.status is DeliveryStatus.DEAD and "e-mail" in (row.last_error or "")

    def test_changed_file_is_not_sent(self, session: Session, tmp_path: Path) -> None:
        """A stored file whose SHA-256 no longer matches is never sent."""
        doc = issued_document(session, tmp_path, recipients=1)
        enqueue_document(session=session, document_id=doc.id, now=T0)
        (tmp_path / f"{doc.id}.signed_pdf").write_bytes(b"tampered")
        channel = FakeChannel()
        relay(session, channel, tmp_path)
        assert channel.attempts == [] and rows(session)[0].status is DeliveryStatus.DEAD

    def test_expired_claim_is_taken_over(self, session: Session, tmp_path: Path) -> None:
        """A row left 'sending' by a dead relay is sent again once its claim expires."""
        doc = issued_document(session, tmp_path, recipients=1)
        enqueue_document(session=session, document_id=doc.id, now=T0)
        [row] = rows(session)
        row.status, row.claimed_by = DeliveryStatus.SENDING, "dead-relay"
        row.claimed_until = T0 + timedelta(seconds=300)
        session.flush()
        assert relay(session, FakeChannel(), tmp_path).claimed == 0
        assert relay(session, FakeChannel(), tmp_path, at=T0 + timedelta(seconds=301)).sent == 1

    def test_summary_counts(self, session: Session, tmp_path: Path) -> None:
        """The summary counts rows by status and lists dead letters."""
        doc = issued_document(session, tmp_path, recipients=2)
        enqueue_document(session=session, document_id=doc.id, now=T0)
        relay(session, FakeChannel([PermanentDeliveryError("554")]), tmp_path)
        result = deliveries.summary(session=session)
        assert result.counts["sent"] == 1 and result.counts["dead"] == 1
        assert [deliveries.state(d) for d in result.dead] == ["failed"]


class TestRetryPolicy:
    def test_exponential_and_capped(self) -> None:
        """Delays double per attempt up to the cap."""
        policy = RetryPolicy(base=10, cap=60, jitter=0.0)
        assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]

    def test_jitter_stays_within_bounds(self) -> None:
        """With jitter the delay lies between (1 − jitter)·d and d."""
        policy = RetryPolicy(base=100, jitter=0.5)
        rng = random.Random(1)
        delays = [policy.delay(1, rng).total_seconds() for _ in range(100)]
        assert all(50 <= d <= 100 for d in delays) and len(set(delays)) > 1
