"""The SMTP e-mail channel against a real aiosmtpd server on loopback."""

from __future__ import annotations

import ssl

import pytest

from outbox.channels.email import SmtpChannel, build_email, subject_line
from outbox.errors import PermanentDeliveryError, TransientDeliveryError
from tests.outbox.conftest import DOCX, PDF, make_message
from tests.outbox.smtp_server import SmtpTestServer, free_port


def channel_for(server: SmtpTestServer, **kwargs: object) -> SmtpChannel:
    return SmtpChannel(host=server.host, port=server.port, from_addr="congvan@kontum.gov.vn",
                       timeout=5, **kwargs)  # type: ignore[arg-type]


class TestBuildEmail:
    def test_subject_is_rfc2047_encoded_and_reads_back(self) -> None:
        """The Vietnamese subject is encoded word by RFC 2047 and decodes to the original text."""
        email = build_email(make_message(), from_addr="congvan@kontum.gov.vn")
        raw = email.as_bytes()
        assert raw.isascii()
        assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0].lower()
        assert email["Subject"] == (
            "Số 4267/BCĐ-NC V/v triển khai thực hiện Hướng dẫn số 22/HD-BCA-V05"
        )

    def test_subject_adds_vv_and_urgency(self) -> None:
        """A công văn subject without V/v gets it; an urgent one is marked in front."""
        message = make_message(subject="báo cáo quý IV", urgency="Hỏa tốc")
        assert subject_line(message) == "[HỎA TỐC] Số 4267/BCĐ-NC V/v báo cáo quý IV"

    def test_body_names_sender_deadline_and_ack_link(self) -> None:
        """The body says who sent it, the reply deadline and the acknowledgement link."""
        email = build_email(make_message(), from_addr="congvan@kontum.gov.vn")
        body = email.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        assert "Ban Chỉ đạo 138 tỉnh Kon Tum" in text
        assert "trước ngày 10/12/2022" in text
        assert "https://congvan.example.vn/xac-nhan/17.abc" in text

    def test_no_deadline_line_without_due_date(self) -> None:
        """Without a reply deadline the body does not mention one."""
        email = build_email(make_message(due_date=None), from_addr="congvan@kontum.gov.vn")
        body = email.get_body(("plain",))
        assert body is not None and "Thời hạn" not in body.get_content()

    def test_without_attachments_is_a_plain_text_message(self) -> None:
        """A message without files is a single text/plain part that reads back."""
        email = build_email(make_message(attachments=()), from_addr="congvan@kontum.gov.vn")
        assert email.get_content_type() == "text/plain"
        assert "Ban Chỉ đạo 138" in email.get_content()

    def test_message_id_is_the_idempotency_key(self) -> None:
        """The Message-ID carries the delivery's idempotency key."""
        email = build_email(make_message("abc-123"), from_addr="congvan@kontum.gov.vn")
        assert email["Message-ID"] == "<abc-123@kontum.gov.vn>"

    def test_recipient_without_email_is_permanent(self) -> None:
        """A recipient with no e-mail address cannot be retried into success."""
        message = make_message(recipient=make_message().recipient.__class__("Xã X"))
        with pytest.raises(PermanentDeliveryError, match="e-mail"):
            build_email(message, from_addr="congvan@kontum.gov.vn")


class TestSmtpChannel:
    def test_delivers_with_both_attachments(self, smtp_server: SmtpTestServer) -> None:
        """The server receives one message with the PDF and the .docx, filenames intact."""
        with channel_for(smtp_server) as channel:
            result = channel.send(make_message())
        assert result.message_id == "<delivery-1@kontum.gov.vn>"
        assert smtp_server.count(result.message_id) == 1
        received = smtp_server.mailbox.messages[0]
        files = {part.get_filename(): part.get_content() for part in received.iter_attachments()}
        assert files == {"4267-BCĐ-NC.pdf": PDF, "4267-BCĐ-NC.docx": DOCX}
        assert str(received["Subject"]).startswith("Số 4267/BCĐ-NC V/v")

    def test_reuses_one_connection_and_survives_its_loss(self, smtp_server: SmtpTestServer) -> None:
        """After the server restarts, the next send reconnects instead of failing."""
        with channel_for(smtp_server) as channel:
            channel.send(make_message("a"))
            smtp_server.stop()
            smtp_server.start()
            channel.send(make_message("b"))
        assert sorted(smtp_server.mailbox.per_message_id.values()) == [1, 1]

    def test_server_down_is_transient(self) -> None:
        """Connection refused is a transient failure."""
        channel = SmtpChannel(host="127.0.0.1", port=free_port(), from_addr="a@b.vn", timeout=2)
        with pytest.raises(TransientDeliveryError):
            channel.send(make_message())

    def test_4xx_is_transient(self, smtp_server: SmtpTestServer) -> None:
        """A 451 reply is transient and nothing is stored."""
        smtp_server.faults.transient = 1
        channel = channel_for(smtp_server)
        with pytest.raises(TransientDeliveryError, match="451"):
            channel.send(make_message())
        assert smtp_server.mailbox.messages == []

    def test_5xx_is_permanent(self, smtp_server: SmtpTestServer) -> None:
        """A 554 reply is permanent."""
        smtp_server.faults.permanent = True
        channel = channel_for(smtp_server)
        with pytest.raises(PermanentDeliveryError, match="554"):
            channel.send(make_message())

    def test_drop_mid_data_is_transient(self, smtp_server: SmtpTestServer) -> None:
        """A connection cut before the DATA reply is transient; the next send works."""
        smtp_server.faults.drop = 1
        with channel_for(smtp_server) as channel:
            with pytest.raises(TransientDeliveryError):
                channel.send(make_message())
            channel.send(make_message())
        assert smtp_server.count("<delivery-1@kontum.gov.vn>") == 1

    def test_starttls_with_auth(
        self, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
    ) -> None:
        """STARTTLS then AUTH LOGIN/PLAIN with the right password delivers."""
        with SmtpTestServer(tls=server_tls, credentials=("vanthu", "mật-khẩu")) as server:
            with channel_for(server, security="starttls", ssl_context=client_tls,
                             username="vanthu", password="mật-khẩu") as channel:
                channel.send(make_message())
            assert len(server.mailbox.messages) == 1

    def test_wrong_password_is_permanent(
        self, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
    ) -> None:
        """A refused login (535) is permanent: retrying the same password will not help."""
        with SmtpTestServer(tls=server_tls, credentials=("vanthu", "đúng")) as server:
            channel = channel_for(server, security="starttls", ssl_context=client_tls,
                                  username="vanthu", password="sai")
            with pytest.raises(PermanentDeliveryError, match="535"):
                channel.send(make_message())

    def test_implicit_ssl(self, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext) -> None:
        """SMTP over implicit TLS (port 465 style) delivers."""
        with SmtpTestServer(tls=server_tls, implicit_tls=True) as server:
            with channel_for(server, security="ssl", ssl_context=client_tls) as channel:
                channel.send(make_message())
            assert len(server.mailbox.messages) == 1

    def test_untrusted_certificate_is_permanent(self, server_tls: ssl.SSLContext) -> None:
        """A certificate that does not verify is not retried."""
        with SmtpTestServer(tls=server_tls, implicit_tls=True) as server:
            channel = channel_for(server, security="ssl", ssl_context=ssl.create_default_context())
            with pytest.raises(PermanentDeliveryError):
                channel.send(make_message())
