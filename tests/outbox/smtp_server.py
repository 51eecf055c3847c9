"""A real SMTP server on loopback (aiosmtpd) with fault injection, for the outbox tests and bench.

Faults, set on :class:`FaultPlan` and changeable while the server runs:

- the server can be down (not listening) and brought up later (``start`` after ``reserve``);
- ``transient`` first DATA commands answered ``451`` (then success);
- ``permanent``: every DATA answered ``554``;
- ``drop`` first DATA commands: the connection is cut after the payload, before any reply —
  the worst moment for a client, which cannot know whether the message was taken;
- ``accept_then_drop`` first DATA commands: the message is stored, then the connection is cut
  (the server kept it, the client saw a failure: the one case that may produce a duplicate);
- ``hold_at`` = n: the n-th stored message is kept but never answered, and ``held`` is set —
  the moment to kill a relay between "sent" and "recorded".

Every stored message is counted per Message-ID.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class FaultPlan:
    """What the server does to the next DATA commands."""

    transient: int = 0
    permanent: bool = False
    drop: int = 0
    accept_then_drop: int = 0
    hold_at: int = 0
    held: threading.Event = field(default_factory=threading.Event)


@dataclass
class Mailbox:
    """Everything the server accepted, thread-safe."""

    messages: list[EmailMessage] = field(default_factory=list)
    per_message_id: Counter[str] = field(default_factory=Counter)
    data_commands: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self, raw: bytes) -> None:
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.per_message_id[str(parsed["Message-ID"])] += 1


class _Handler:
    def __init__(self, mailbox: Mailbox, faults: FaultPlan) -> None:
        self.mailbox = mailbox
        self.faults = faults

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        with self.mailbox.lock:
            self.mailbox.data_commands += 1
        faults = self.faults
        if faults.drop > 0:
            faults.drop -= 1
            _abort(server)
            return "421 4.3.0 dropped"
        if faults.accept_then_drop > 0:
            faults.accept_then_drop -= 1
            self.mailbox.store(raw)
            _abort(server)
            return "421 4.3.0 dropped"
        if faults.transient > 0:
            faults.transient -= 1
            return "451 4.3.0 Hệ thống bận, thử lại sau"
        if faults.permanent:
            return "554 5.7.1 Message rejected"
        self.mailbox.store(raw)
        if faults.hold_at and len(self.mailbox.messages) == faults.hold_at:
            faults.held.set()
            await asyncio.sleep(3600)
        return "250 2.0.0 OK"


def _abort(server: SMTP) -> None:
    transport = server.transport
    assert isinstance(transport, asyncio.Transport)
    transport.abort()


def free_port() -> int:
    """A loopback port nobody uses right now, below the ephemeral range.

    A port from the ephemeral range would let a client's connection to a server
    that is down pick that very port as its source and connect to itself (TCP
    simultaneous open), occupying the port the server means to start on.
    """
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(100):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port below the ephemeral range")


class SmtpTestServer:
    """aiosmtpd on 127.0.0.1; optionally implicit TLS, STARTTLS, and AUTH with one user."""

    def __init__(
        self,
        *,
        port: int | None = None,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
        auth_require_tls: bool = True,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.faults = FaultPlan()
        self._tls, self._implicit_tls, self._credentials = tls, implicit_tls, credentials
        self._controller: Controller | None = None
        self._auth_require_tls = auth_require_tls
        self.auth_attempts: list[tuple[str, bool]] = []  # (login, over TLS)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self._credentials == (
            data.login.decode(), data.password.decode()
        )
        if isinstance(data, LoginPassword):
            self.auth_attempts.append((data.login.decode(), session.ssl is not None))
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpTestServer:
        """Start listening (again)."""
        kwargs: dict[str, Any] = {}
        if self._tls is not None and self._implicit_tls:
            kwargs["ssl_context"] = self._tls
        elif self._tls is not None:
            kwargs.update(tls_context=self._tls, require_starttls=True)
        if self._credentials is not None:
            # A server offering AUTH in clear text (auth_require_tls=False) accepts mail
            # without it too, so tests can see whether a client sends credentials at all.
            kwargs.update(authenticator=self._authenticate,
                          auth_required=self._auth_require_tls,
                          auth_require_tls=self._auth_require_tls)
        self._controller = Controller(
            _Handler(self.mailbox, self.faults), hostname=self.host, port=self.port,
            server_hostname="localhost", ready_timeout=10, **kwargs,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening; accepted messages stay in the mailbox."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self, message_id: str) -> int:
        """How many copies of ``message_id`` the server accepted."""
        with self.mailbox.lock:
            return self.mailbox.per_message_id[message_id]

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
