"""SMTP credentials never cross an unencrypted connection (real aiosmtpd on loopback)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from congvan.cli import app
from congvan.settings import get_settings
from outbox.channels.email import SmtpChannel, is_loopback
from outbox.errors import PermanentDeliveryError, SmtpSettingsError
from tests.outbox.conftest import make_message
from tests.outbox.smtp_server import SmtpTestServer

USER, PASSWORD = "vanthu", "mật-khẩu"


def _channel(server: SmtpTestServer, **kwargs: object) -> SmtpChannel:
    return SmtpChannel(host=server.host, port=server.port, from_addr="congvan@kontum.gov.vn",
                       timeout=5, username=USER, password=PASSWORD,
                       **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def clear_text_server() -> Iterator[SmtpTestServer]:
    """A server that would accept AUTH without TLS (as a careless relay does)."""
    with SmtpTestServer(credentials=(USER, PASSWORD), auth_require_tls=False) as server:
        yield server


class TestPlaintextAuth:
    def test_username_without_tls_is_refused_before_connecting(
            self, clear_text_server: SmtpTestServer) -> None:
        """security=none with a username raises a settings error; the server sees no AUTH."""
        with pytest.raises(SmtpSettingsError, match="CONGVAN_SMTP_SECURITY=starttls"):
            _channel(clear_text_server, security="none")
        assert clear_text_server.auth_attempts == []

    def test_loopback_relay_allowed_explicitly(self, clear_text_server: SmtpTestServer) -> None:
        """With the explicit setting, a relay on 127.0.0.1 gets AUTH in clear text and delivers."""
        with _channel(clear_text_server, security="none", allow_plaintext_auth=True) as channel:
            channel.send(make_message())
        assert clear_text_server.auth_attempts == [(USER, False)]
        assert len(clear_text_server.mailbox.messages) == 1

    def test_allowance_never_covers_another_host(self) -> None:
        """The setting is refused for a host that is not loopback, before any connection."""
        with pytest.raises(SmtpSettingsError, match="mail.kontum.example"):
            SmtpChannel(host="mail.kontum.example", port=25, from_addr="a@b.example",
                        username=USER, password=PASSWORD, allow_plaintext_auth=True)

    def test_starttls_missing_on_server_sends_no_credentials(
            self, clear_text_server: SmtpTestServer) -> None:
        """A server that does not offer STARTTLS gets no AUTH: the send fails permanently."""
        with pytest.raises(PermanentDeliveryError):
            _channel(clear_text_server, security="starttls").send(make_message())
        assert clear_text_server.auth_attempts == []

    def test_auth_after_starttls(self, server_tls: ssl.SSLContext,
                                 client_tls: ssl.SSLContext) -> None:
        """With STARTTLS the credentials go inside TLS."""
        with SmtpTestServer(tls=server_tls, credentials=(USER, PASSWORD)) as server:
            with _channel(server, security="starttls", ssl_context=client_tls) as channel:
                channel.send(make_message())
            assert server.auth_attempts == [(USER, True)]

    @pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True),
                                                    ("localhost", True), ("10.0.0.1", False),
                                                    ("127.example.com", False)])
    def test_loopback(self, host: str, loopback: bool) -> None:
        """Only 127.0.0.0/8, ::1 and localhost count as this machine."""
        assert is_loopback(host) is loopback

    def test_cli_names_the_settings(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """`congvan outbox run` refuses the settings with a Vietnamese message, exit 1."""
        monkeypatch.setenv("CONGVAN_HOME", str(tmp_path))
        monkeypatch.setenv("CONGVAN_SECRET_KEY", "khoa-that-cho-kiem-thu-0123456789")
        monkeypatch.setenv("CONGVAN_SMTP_USERNAME", USER)
        monkeypatch.delenv("CONGVAN_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        try:
            CliRunner().invoke(app, ["db", "upgrade"])
            result = CliRunner().invoke(app, ["outbox", "run", "-c", "email"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 1
        assert "CONGVAN_SMTP_SECURITY=none" in " ".join(result.output.split())


class TestDateHeader:
    def test_date_is_viet_nam_time(self) -> None:
        """The e-mail's Date header carries +0700, the sender's own zone."""
        from email import message_from_bytes
        from email.utils import parsedate_to_datetime

        from outbox.channels.email import render

        raw = render(make_message(), from_addr="congvan@kontum.gov.vn")
        date_header = message_from_bytes(raw)["Date"]
        assert date_header.endswith("+0700")
        assert parsedate_to_datetime(date_header).utcoffset().total_seconds() == 7 * 3600
