"""The CLI prints local times (Asia/Ho_Chi_Minh) and Vietnamese states, actions and roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from congvan.cli import app
from congvan.settings import get_settings
from registry.clock import to_local
from registry.models import AuditEvent

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kontum-2022.yaml"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CONGVAN_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("CONGVAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONGVAN_FILES_DIR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TZ", "UTC")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


class TestLocalAndVietnamese:
    def test_show_history_in_local_time_and_words(self, home: Path) -> None:
        """`draft show` prints each event at its Viet Nam time with the Vietnamese action."""
        _run("db", "upgrade")
        _run("directory", "import", str(EXAMPLE))
        _run("draft", "new", "--issuer", "bcd-kontum", "--unit", "NC", "--subject", "V/v a",
             "--as", "van-thu-bcd", "--to", "bca")
        shown = _run("draft", "show", "1")
        engine = create_engine(f"sqlite:///{home / 'var' / 'congvan.db'}")
        with Session(engine) as session:
            created = session.scalars(select(AuditEvent.at).order_by(AuditEvent.id)).first()
        engine.dispose()
        assert created is not None
        assert f"{to_local(created):%d/%m/%Y %H:%M}" in shown
        assert "Tạo dự thảo" in shown and "Chọn nơi nhận" in shown
        assert "#1 Công văn — V/v a" in shown and " create " not in shown

    def test_trace_names_an_outgoing_document_as_outgoing(self, home: Path) -> None:
        """`trace` of a lone outgoing draft calls it a công văn đi, with its Vietnamese state."""
        _run("db", "upgrade")
        _run("directory", "import", str(EXAMPLE))
        _run("draft", "new", "--issuer", "bcd-kontum", "--unit", "NC", "--subject", "V/v a",
             "--as", "van-thu-bcd", "--to", "bca")
        traced = " ".join(_run("trace", "#1").split())
        assert "Công văn (văn bản đi): dự thảo #1 (—, dự thảo) — V/v a" in traced
        assert "văn bản đến" not in traced and "draft" not in traced
