"""`congvan draft` on a real SQLite file: the Kon Tum draft goes through two reviewers, a
return with a comment, a diff and the deputy's signature; a clerk's signature is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from congvan.cli import app
from congvan.settings import get_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kontum-2022.yaml"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CONGVAN_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("CONGVAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONGVAN_FILES_DIR", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


class TestDraftCli:
    def test_review_return_diff_and_sign(self, home: Path) -> None:
        """The whole review cycle works from the command line, with Vietnamese messages."""
        _run("db", "upgrade")
        _run("directory", "import", str(EXAMPLE))
        body = home / "body.txt"
        body.write_text("Đề nghị báo cáo.\nHạn: 10/5.\n", encoding="utf-8")
        assert "#1" in _run("draft", "new", "--issuer", "bcd-kontum", "--unit", "NC",
                            "--subject", "V/v báo cáo", "--body-file", str(body),
                            "--as", "van-thu-bcd")
        assert "Lê Văn C" in _run("draft", "submit", "1", "--as", "van-thu-bcd",
                                  "--reviewer", "tham-dinh-pv05", "--reviewer", "pho-truong-ban")
        _run("draft", "approve", "1", "--as", "tham-dinh-pv05")
        _run("draft", "return", "1", "--as", "pho-truong-ban", "--comment", "Thêm hạn 10/11")
        body.write_text("Đề nghị báo cáo.\nHạn: 10/5 và 10/11.\n", encoding="utf-8")
        _run("draft", "edit", "1", "--as", "van-thu-bcd", "--body-file", str(body))
        _run("draft", "submit", "1", "--as", "van-thu-bcd")
        assert "+Hạn: 10/5 và 10/11." in _run("draft", "diff", "1", "1", "2")
        _run("draft", "approve", "1", "--as", "tham-dinh-pv05")
        _run("draft", "approve", "1", "--as", "pho-truong-ban")
        from signing.keys import create_dev_ca

        create_dev_ca(home / "var" / "keys", password="mat-khau")
        refused = CliRunner().invoke(app, ["draft", "sign", "1", "--as", "van-thu-bcd",
                                           "--password", "mat-khau"])
        assert refused.exit_code == 1 and "không được ký" in refused.output
        signed = _run("draft", "sign", "1", "--as", "pho-truong-ban", "--password", "mat-khau")
        assert "TM. BAN CHỈ ĐẠO / KT. TRƯỞNG BAN / PHÓ TRƯỞNG BAN" in signed.replace("\n", " ")
        shown = _run("draft", "show", "1")
        assert "đã ký, chờ ban hành" in shown and "Thêm hạn 10/11" in shown
