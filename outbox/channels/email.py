"""E-mail over SMTP (plain, STARTTLS or SSL; optional auth).

One connection is kept open across sends and reopened when the server has
dropped it; a channel object belongs to one thread (one relay).
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from types import TracebackType
from typing import Literal

from outbox.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from outbox.message import OutgoingMessage, SendResult

Security = Literal["none", "starttls", "ssl"]


def message_id(message: OutgoingMessage, domain: str) -> str:
    """The Message-ID header: the delivery's idempotency key, so a resend is the same message."""
    return f"<{message.idempotency_key}@{domain}>"


def subject_line(message: OutgoingMessage) -> str:
    """``Số 4267/BCĐ-NC V/v …``, with the urgency mark in front when there is one."""
    subject = message.subject.strip()
    if message.type_name == "Công văn":
        if not subject.startswith("V/v"):
            subject = f"V/v {subject}"
    elif not subject.lower().startswith(message.type_name.lower()):
        subject = f"{message.type_name} {subject}"
    line = f"Số {message.number_symbol} {subject}"
    return f"[{message.urgency.upper()}] {line}" if message.urgency else line


def body_text(message: OutgoingMessage) -> str:
    """The short Vietnamese body: sender, number, subject, deadline, acknowledgement link."""
    issued = f" ngày {message.issued_date:%d/%m/%Y}" if message.issued_date else ""
    lines = [
        f"Kính gửi: {message.recipient.name}",
        "",
        f"{message.sender.name} gửi {message.type_name.lower()} số {message.number_symbol}"
        f"{issued}: {message.subject}.",
    ]
    if message.due_date:
        lines.append(f"Thời hạn trả lời: trước ngày {message.due_date:%d/%m/%Y}.")
    if message.attachments:
        names = ", ".join(a.filename for a in message.attachments)
        lines.append(f"Tệp đính kèm: {names}.")
    if message.ack_url:
        lines += ["", "Đề nghị xác nhận đã nhận văn bản tại:", message.ack_url]
    lines += ["", f"Thư gửi tự động từ hệ thống quản lý văn bản của {message.sender.name}."]
    return "\n".join(lines) + "\n"


def build_email(message: OutgoingMessage, *, from_addr: str) -> EmailMessage:
    """The RFC 5322 message (non-ASCII headers RFC 2047-encoded by the SMTP policy)."""
    if not message.recipient.email:
        raise PermanentDeliveryError(
            f"Người nhận «{message.recipient.name}» chưa có địa chỉ e-mail; "
            "hãy bổ sung e-mail của cơ quan rồi gửi lại."
        )
    domain = from_addr.rpartition("@")[2] or "localhost"
    email = EmailMessage(policy=SMTP_POLICY)
    email["Subject"] = subject_line(message)
    email["From"] = Address(display_name=message.sender.name, addr_spec=from_addr)
    email["To"] = Address(display_name=message.recipient.name, addr_spec=message.recipient.email)
    if message.sender.email and message.sender.email != from_addr:
        email["Reply-To"] = message.sender.email
    email["Message-ID"] = message_id(message, domain)
    email["X-Congvan-Delivery"] = message.idempotency_key
    email.set_content(body_text(message), charset="utf-8")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.mime.partition("/")
        email.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return email


def classify(error: BaseException) -> DeliveryError:
    """Map an smtplib/socket error to a transient or permanent delivery error."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(error.recipients.values()))
        return _by_code(code, reply)
    if isinstance(error, smtplib.SMTPResponseException):
        return _by_code(error.smtp_code, error.smtp_error)
    if isinstance(error, ssl.SSLCertVerificationError | smtplib.SMTPNotSupportedError):
        return PermanentDeliveryError(f"SMTP: {error}")
    return TransientDeliveryError(f"SMTP: {type(error).__name__}: {error}")


def _by_code(code: int, reply: bytes | str) -> DeliveryError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    kind = TransientDeliveryError if 400 <= code < 500 else PermanentDeliveryError
    return kind(f"SMTP {code} {text}")


def _login(conn: smtplib.SMTP, username: str, password: str) -> None:
    if "plain" not in conn.esmtp_features.get("auth", "").lower().split():
        conn.login(username, password)
        return
    # smtplib encodes credentials as ASCII (a Vietnamese password fails) and after a refused
    # PLAIN falls back to LOGIN; RFC 4616 PLAIN carries UTF-8 in one round trip.
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = conn.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


class SmtpChannel:
    """Sends each message as one e-mail with the PDF and .docx attached."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        from_addr: str,
        security: Security = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.from_addr = host, port, from_addr
        self.security, self.username, self.password = security, username, password
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._conn: smtplib.SMTP | None = None

    def send(self, message: OutgoingMessage) -> SendResult:
        """Deliver one message; raise Transient/PermanentDeliveryError on failure."""
        email = build_email(message, from_addr=self.from_addr)
        data = email.as_bytes()
        try:
            self._transaction(message.recipient.email or "", data)
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise classify(error) from error
        return SendResult(message_id=str(email["Message-ID"]))

    def _transaction(self, rcpt: str, data: bytes) -> None:
        reused = self._conn is not None
        conn = self._connection()
        try:
            code, reply = conn.mail(self.from_addr)
        except smtplib.SMTPServerDisconnected:
            if not reused:
                raise
            # The server closed an idle connection; nothing was sent yet, so reconnect once.
            self.close()
            conn = self._connection()
            code, reply = conn.mail(self.from_addr)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, self.from_addr)
        code, reply = conn.rcpt(rcpt)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({rcpt: (code, reply)})
        code, reply = conn.data(data)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        conn: smtplib.SMTP
        if self.security == "ssl":
            conn = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.ssl_context
            )
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            conn.ehlo()
            if self.security == "starttls":
                conn.starttls(context=self.ssl_context)
                conn.ehlo()
            if self.username:
                _login(conn, self.username, self.password or "")
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def close(self) -> None:
        """Close the connection (QUIT if the server is still there)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def __enter__(self) -> SmtpChannel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
