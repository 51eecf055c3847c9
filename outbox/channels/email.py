"""E-mail over SMTP (plain, STARTTLS or SSL; optional auth).

One connection is kept open across sends and reopened when the server has
dropped it; a channel object belongs to one thread (one relay).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import secrets
import smtplib
import ssl
from collections import OrderedDict
from email import message_from_bytes
from email.header import Header
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr
from types import TracebackType
from typing import Literal

from outbox.errors import (
    DeliveryError,
    PermanentDeliveryError,
    SmtpSettingsError,
    TransientDeliveryError,
)
from outbox.message import Attachment, OutgoingMessage, SendResult
from registry.clock import local_now

Security = Literal["none", "starttls", "ssl"]


def message_id(message: OutgoingMessage, domain: str) -> str:
    """The Message-ID header: the delivery's idempotency key, so a resend is the same message."""
    return f"<{message.idempotency_key}@{domain}>"


def subject_line(message: OutgoingMessage) -> str:
    """``Số 4267/BCĐ-NC V/v …``, with the urgency mark in front when there is one.

    A notice's subject is sent as it is.
    """
    subject = message.subject.strip()
    if message.is_notice:
        return subject
    if message.type_name == "Công văn":
        if not subject.startswith("V/v"):
            subject = f"V/v {subject}"
    elif not subject.lower().startswith(message.type_name.lower()):
        subject = f"{message.type_name} {subject}"
    line = f"Số {message.number_symbol} {subject}"
    return f"[{message.urgency.upper()}] {line}" if message.urgency else line


def body_text(message: OutgoingMessage) -> str:
    """The short Vietnamese body: sender, number, subject, deadline, acknowledgement link.

    A notice's body is its text, as it is.
    """
    if message.text is not None:
        return message.text.rstrip("\n") + "\n"
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


class PartCache:
    """Encoded attachment parts, so a document sent to many recipients is encoded once.

    The email package's generator is slow on large base64 bodies; the part of a
    file is the same bytes in every copy, keyed by the file's SHA-256.
    """

    def __init__(self, size: int = 16) -> None:
        self._parts: OrderedDict[tuple[str, str, bytes], bytes] = OrderedDict()
        self._size = size

    def part(self, attachment: Attachment) -> bytes:
        """The serialized MIME part of ``attachment`` (headers, blank line, base64 body)."""
        key = (attachment.filename, attachment.mime, hashlib.sha256(attachment.content).digest())
        cached = self._parts.get(key)
        if cached is None:
            part = MIMEPart(policy=SMTP_POLICY)
            maintype, _, subtype = attachment.mime.partition("/")
            part.set_content(attachment.content, maintype=maintype, subtype=subtype,
                             disposition="attachment", filename=attachment.filename)
            cached = part.as_bytes()
            self._parts[key] = cached
            if len(self._parts) > self._size:
                self._parts.popitem(last=False)
        return cached


def _encoded(text: str) -> str:
    # The email package's modern header folding costs ~2 ms a header; Header() is the fast path.
    return text if text.isascii() else Header(text, "utf-8").encode(linesep="\r\n")


def _address(name: str, addr: str) -> str:
    return formataddr((name, addr)) if name.isascii() else f"{_encoded(name)} <{addr}>"


def _header_lines(message: OutgoingMessage, from_addr: str) -> list[tuple[str, str]]:
    if not message.recipient.email:
        raise PermanentDeliveryError(
            f"Người nhận «{message.recipient.name}» chưa có địa chỉ e-mail; "
            "hãy bổ sung e-mail của cơ quan rồi gửi lại."
        )
    domain = from_addr.rpartition("@")[2] or "localhost"
    lines = [
        ("Subject", _encoded(subject_line(message))),
        ("From", _address(message.sender.name, from_addr)),
        ("To", _address(message.recipient.name, message.recipient.email)),
        # Viet Nam time (+0700), as the clerk's own mail client would write it.
        ("Date", format_datetime(local_now().replace(microsecond=0))),
        ("Message-ID", message_id(message, domain)),
        ("X-Congvan-Delivery", message.idempotency_key),
        ("MIME-Version", "1.0"),
    ]
    if message.sender.email and message.sender.email != from_addr:
        lines.append(("Reply-To", message.sender.email))
    return lines


def _text_part(message: OutgoingMessage) -> bytes:
    body = base64.encodebytes(body_text(message).replace("\n", "\r\n").encode("utf-8"))
    return (b'Content-Type: text/plain; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + body.replace(b"\n", b"\r\n"))


def render(message: OutgoingMessage, *, from_addr: str, parts: PartCache | None = None) -> bytes:
    """The RFC 5322 message as bytes: RFC 2047 headers, the Vietnamese body, the files.

    A multipart/mixed of a UTF-8 text part and one base64 part per attachment
    (a single text part when there is nothing attached).
    """
    lines = _header_lines(message, from_addr)
    if not message.attachments:
        head = "".join(f"{name}: {value}\r\n" for name, value in lines).encode("ascii")
        return head + _text_part(message)
    boundary = f"=_congvan_{secrets.token_hex(12)}"
    lines.append(("Content-Type", f'multipart/mixed; boundary="{boundary}"'))
    head = "".join(f"{name}: {value}\r\n" for name, value in lines).encode("ascii")
    cache = parts or PartCache()
    delimiter = f"\r\n--{boundary}\r\n".encode("ascii")
    chunks = [head, delimiter, _text_part(message)]
    for attachment in message.attachments:
        chunks += [delimiter, cache.part(attachment)]
    chunks.append(f"\r\n--{boundary}--\r\n".encode("ascii"))
    return b"".join(chunks)


def build_email(message: OutgoingMessage, *, from_addr: str) -> EmailMessage:
    """The rendered message parsed back (what a recipient's client sees)."""
    parsed = message_from_bytes(render(message, from_addr=from_addr), policy=SMTP_POLICY)
    assert isinstance(parsed, EmailMessage)
    return parsed


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


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_plaintext_auth(*, host: str, security: str, username: str | None,
                          allowed: bool) -> None:
    """Refuse settings that would send the SMTP password over an unencrypted connection.

    AUTH goes only after STARTTLS or over SSL. A relay on this machine (loopback) may take it
    in clear text when ``allowed`` (CONGVAN_SMTP_ALLOW_PLAINTEXT_AUTH=1); another host never.
    """
    if not username or security != "none":
        return
    if not allowed:
        raise SmtpSettingsError(
            "CONGVAN_SMTP_USERNAME được đặt nhưng CONGVAN_SMTP_SECURITY=none: mật khẩu sẽ đi qua "
            "kết nối không mã hoá. Hãy đặt CONGVAN_SMTP_SECURITY=starttls hoặc ssl (hoặc, chỉ "
            "với máy chủ chuyển tiếp trên chính máy này, CONGVAN_SMTP_ALLOW_PLAINTEXT_AUTH=1).")
    if not is_loopback(host):
        raise SmtpSettingsError(
            f"CONGVAN_SMTP_ALLOW_PLAINTEXT_AUTH chỉ dùng cho máy chủ trên chính máy này "
            f"(127.0.0.1, ::1, localhost); CONGVAN_SMTP_HOST đang là {host}. Hãy đặt "
            "CONGVAN_SMTP_SECURITY=starttls hoặc ssl.")


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
        allow_plaintext_auth: bool = False,
    ) -> None:
        refuse_plaintext_auth(host=host, security=security, username=username,
                              allowed=allow_plaintext_auth)
        self.host, self.port, self.from_addr = host, port, from_addr
        self.security, self.username, self.password = security, username, password
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._conn: smtplib.SMTP | None = None
        self._parts = PartCache()

    def send(self, message: OutgoingMessage) -> SendResult:
        """Deliver one message; raise Transient/PermanentDeliveryError on failure."""
        data = render(message, from_addr=self.from_addr, parts=self._parts)
        try:
            self._transaction(message.recipient.email or "", data)
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise classify(error) from error
        domain = self.from_addr.rpartition("@")[2] or "localhost"
        return SendResult(message_id=message_id(message, domain))

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
