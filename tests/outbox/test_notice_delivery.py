"""Notices (plain text, not registered documents) through the outbox: enqueue, a real SMTP
server on loopback, the folder drop; on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox import deliveries
from outbox.channels.email import SmtpChannel
from outbox.channels.folder import NOTICE_FILE, FolderChannel
from outbox.enqueue import enqueue_notice
from outbox.relay import RetryPolicy, relay_once
from registry.errors import ValidationError
from registry.models import AuditEvent, Delivery, DeliveryStatus, Notice, Organization
from tests import factories
from tests.outbox.conftest import savepoint_factory
from tests.outbox.smtp_server import SmtpTestServer

T0 = datetime(2023, 12, 6, 1, 0, tzinfo=UTC)
FAST = RetryPolicy(max_attempts=3, base=60, jitter=0.0, lease=300)
SUBJECT = "Nhắc hạn gửi báo cáo quý IV năm 2023"
BODY = ("Kính gửi: Ban Chỉ đạo Phòng, chống tội phạm huyện Đắk Hà\n\n"
        "Hạn gửi báo cáo quý IV năm 2023 là ngày 08/12/2023. Đề nghị đơn vị gửi báo cáo đúng hạn.")


def parties(session: Session) -> tuple[Organization, Organization]:
    """The collecting committee and one district committee."""
    sender = factories.org(session, name="BAN CHỈ ĐẠO PCTP\nTỈNH", code="BCĐ",
                           text_name="Ban Chỉ đạo Phòng, chống tội phạm tỉnh",
                           email="bcd@kontum.example", edxml_id="000.00.00.Z04")
    unit = factories.org(session, name="BAN CHỈ ĐẠO PCTP\nHUYỆN", code="BCĐ",
                         text_name="Ban Chỉ đạo Phòng, chống tội phạm huyện Đắk Hà",
                         email="bcd.dakha@kontum.example", edxml_id="000.00.00.Z24",
                         parent_id=sender.id)
    return sender, unit


def notice(session: Session, *, channels: tuple[str, ...] = ("email",),
           key: str = "reminder.7.notice") -> list[Delivery]:
    sender, unit = parties(session)
    return enqueue_notice(session=session, recipient=unit, sender=sender, subject=SUBJECT,
                          body=BODY, idempotency_key=key, channels=channels, now=T0)


def smtp(server: SmtpTestServer) -> SmtpChannel:
    return SmtpChannel(host=server.host, port=server.port, from_addr="congvan@kontum.example")


def relay(session: Session, channels: dict[str, object], at: datetime = T0) -> object:
    return relay_once(session_factory=savepoint_factory(session), channels=channels,  # type: ignore[arg-type]
                      policy=FAST, clock=lambda: at)


def rows(session: Session) -> list[Delivery]:
    session.expire_all()
    return list(session.scalars(select(Delivery).order_by(Delivery.id)))


class TestEnqueueNotice:
    def test_one_row_per_channel_with_the_key(self, session: Session) -> None:
        """One queued delivery per channel, each keyed ``<key>.<channel>.<random>``."""
        added = notice(session, channels=("email", "folder"))
        assert [(d.channel, d.status, d.address) for d in added] == [
            ("email", DeliveryStatus.QUEUED, "bcd.dakha@kontum.example"),
            ("folder", DeliveryStatus.QUEUED, "000.00.00.Z24")]
        assert all(d.document_id is None and d.notice.subject == SUBJECT for d in added)
        assert added[0].idempotency_key.startswith("reminder.7.notice.email.")

    def test_same_key_again_adds_nothing(self, session: Session) -> None:
        """Enqueueing a key already enqueued adds no notice and no delivery."""
        first = notice(session)
        unit = first[0].recipient
        again = enqueue_notice(session=session, recipient=unit, subject=SUBJECT, body=BODY,
                               idempotency_key="reminder.7.notice", now=T0)
        assert again == []
        assert len(rows(session)) == 1
        assert len(session.scalars(select(Notice)).all()) == 1

    def test_text_is_stored_nfc_and_audited(self, session: Session) -> None:
        """Subject and body are stored NFC; the enqueue is in the audit log."""
        sender, unit = parties(session)
        decomposed = unicodedata.normalize("NFD", SUBJECT)
        [row] = enqueue_notice(session=session, recipient=unit, subject=decomposed, body=BODY,
                               idempotency_key="k.1", now=T0)
        assert row.notice.subject == SUBJECT
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "notice", AuditEvent.object_id == row.notice_id)).all()
        assert [e.action for e in events] == ["enqueue"]

    @pytest.mark.parametrize("channels, key, field", [
        (("edxml",), "k.1", "channels"), (("email",), "nhắc hạn", "idempotency_key")])
    def test_bad_input_is_refused(self, session: Session, channels: tuple[str, ...], key: str,
                                  field: str) -> None:
        """edXML (documents only) and a key that cannot be a Message-ID are refused by name."""
        sender, unit = parties(session)
        with pytest.raises(ValidationError, match=field):
            enqueue_notice(session=session, recipient=unit, subject=SUBJECT, body=BODY,
                           idempotency_key=key, channels=channels)


class TestNoticeEmail:
    def test_real_smtp_receives_the_vietnamese_notice(self, session: Session,
                                                      smtp_server: SmtpTestServer) -> None:
        """The e-mail has the Vietnamese subject (RFC 2047), the plain-text body, no
        attachment, and the delivery's key as Message-ID."""
        [row] = notice(session)
        with smtp(smtp_server) as channel:
            report = relay(session, {"email": channel})
        assert (report.sent, report.dead) == (1, 0)
        [mail] = smtp_server.mailbox.messages
        assert mail["Subject"] == SUBJECT
        # Decode the raw headers: policy.default puts a space between adjacent encoded-words
        # in a display name (CPython gh-128110); RFC 2047 says that space is ignored.
        raw = dict(mail.raw_items())
        assert raw["Subject"].lower().startswith("=?utf-8?")  # RFC 2047
        assert str(make_header(decode_header(raw["From"]))) == (
            "Ban Chỉ đạo Phòng, chống tội phạm tỉnh <congvan@kontum.example>")
        assert str(make_header(decode_header(raw["To"]))) == (
            "Ban Chỉ đạo Phòng, chống tội phạm huyện Đắk Hà <bcd.dakha@kontum.example>")
        assert mail["To"].addresses[0].addr_spec == "bcd.dakha@kontum.example"
        assert not mail.is_multipart() and mail.get_content_type() == "text/plain"
        assert mail.get_content().replace("\r\n", "\n") == BODY + "\n"
        [sent] = rows(session)
        assert mail["Message-ID"] == f"<{row.idempotency_key}@kontum.example>"
        assert (sent.status, sent.message_id) == (DeliveryStatus.SENT, mail["Message-ID"])

    def test_4xx_is_retried_then_sent(self, session: Session,
                                      smtp_server: SmtpTestServer) -> None:
        """An SMTP 451 leaves the notice failed and due later; the next pass sends it once."""
        notice(session)
        smtp_server.faults.transient = 1
        with smtp(smtp_server) as channel:
            first = relay(session, {"email": channel})
            [row] = rows(session)
            assert (first.retried, row.status) == (1, DeliveryStatus.FAILED)
            assert "451" in (row.last_error or "")
            assert relay(session, {"email": channel}).claimed == 0  # not due yet
            second = relay(session, {"email": channel}, at=T0 + timedelta(seconds=61))
        [row] = rows(session)
        assert (second.sent, row.status, row.attempts) == (1, DeliveryStatus.SENT, 2)
        assert len(smtp_server.mailbox.messages) == 1

    def test_5xx_is_a_dead_letter_the_clerk_can_read(self, session: Session,
                                                     smtp_server: SmtpTestServer) -> None:
        """A refused notice is dead at once and listed as the notice it carries."""
        notice(session)
        smtp_server.faults.permanent = True
        with smtp(smtp_server) as channel:
            report = relay(session, {"email": channel})
        assert report.dead == 1
        [dead] = deliveries.summary(session=session).dead
        assert deliveries.carries(dead) == f"Thông báo: {SUBJECT}"


class TestNoticeFolder:
    def test_folder_drop_writes_the_text(self, session: Session, tmp_path: Path) -> None:
        """The folder channel drops ``thong-bao.txt`` (sender, recipient, subject, body), the
        ends named as in a sentence."""
        notice(session, channels=("folder",))
        relay(session, {"folder": FolderChannel(tmp_path)})
        [row] = rows(session)
        assert row.status is DeliveryStatus.SENT
        text = (tmp_path / row.message_id / NOTICE_FILE).read_text(encoding="utf-8")
        assert text.startswith("Từ: Ban Chỉ đạo Phòng, chống tội phạm tỉnh\n"
                               "Gửi: Ban Chỉ đạo Phòng, chống tội phạm huyện Đắk Hà "
                               "<bcd.dakha@kontum.example>\nTiêu đề: " + SUBJECT)
        assert text.endswith(BODY + "\n")
