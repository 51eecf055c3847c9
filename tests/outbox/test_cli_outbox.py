"""`congvan outbox run|status|retry|ack` against a real SMTP server and a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from congvan.cli import app
from congvan.settings import get_settings
from outbox.enqueue import enqueue_document
from registry import db
from tests import factories
from tests.outbox.conftest import issued_document
from tests.outbox.smtp_server import SmtpTestServer


@pytest.fixture
def env(fresh_sqlite_url: str, tmp_path: Path, smtp_server: SmtpTestServer,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings pointing at a fresh database, a files directory and the test SMTP server."""
    files = tmp_path / "files"
    for key, value in {
        "DATABASE_URL": fresh_sqlite_url, "HOME": str(tmp_path), "FILES_DIR": str(files),
        "SMTP_HOST": smtp_server.host, "SMTP_PORT": str(smtp_server.port),
        "SMTP_FROM": "congvan@kontum.gov.vn", "SECRET_KEY": "khoa-that-cho-kiem-thu-0123456789",
    }.items():
        monkeypatch.setenv(f"CONGVAN_{key}", value)
    get_settings.cache_clear()
    engine = db.make_engine(fresh_sqlite_url)
    with Session(engine) as session, session.begin():
        doc = issued_document(session, files, recipients=2)
        assert doc.issuer is not None
        factories.person(session, doc.issuer, key="van-thu", roles=["clerk"])
        factories.person(session, doc.issuer, key="lanh-dao", roles=["leader"],
                         full_name="Lê Ngọc Tuấn")
        enqueue_document(session=session, document_id=doc.id)
    engine.dispose()
    yield files
    get_settings.cache_clear()


class TestOutboxCli:
    def test_run_then_status(self, env: Path, smtp_server: SmtpTestServer) -> None:
        """`outbox run` sends both deliveries; `outbox status` shows them as sent."""
        runner = CliRunner()
        result = runner.invoke(app, ["outbox", "run", "-c", "email"])
        assert result.exit_code == 0, result.output
        assert "đã gửi 2" in result.output
        assert len(smtp_server.mailbox.messages) == 2
        link = smtp_server.mailbox.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "/xac-nhan/" in link
        status = runner.invoke(app, ["outbox", "status"])
        assert status.exit_code == 0 and "Đã gửi" in status.output

    def test_dead_letter_retry(self, env: Path, smtp_server: SmtpTestServer) -> None:
        """A 554 makes dead letters listed by status; retry re-queues and the next run sends."""
        runner = CliRunner()
        smtp_server.faults.permanent = True
        runner.invoke(app, ["outbox", "run", "-c", "email"])
        status = runner.invoke(app, ["outbox", "status"])
        assert "554" in status.output
        refused = runner.invoke(app, ["outbox", "retry", "1", "--as", "lanh-dao"])
        assert refused.exit_code == 1 and "Lê Ngọc Tuấn không có vai trò văn thư" in refused.output
        assert runner.invoke(app, ["outbox", "retry", "1", "--as", "van-thu"]).exit_code == 0
        smtp_server.faults.permanent = False
        result = runner.invoke(app, ["outbox", "run", "-c", "email"])
        assert "đã gửi 1" in result.output

    def test_retry_of_a_sent_delivery_is_refused(self, env: Path) -> None:
        """Re-queueing a delivery that was sent fails with a Vietnamese message and exit code 1."""
        runner = CliRunner()
        runner.invoke(app, ["outbox", "run", "-c", "email"])
        result = runner.invoke(app, ["outbox", "retry", "1", "--as", "van-thu"])
        assert result.exit_code == 1 and "trạng thái sent" in result.output
