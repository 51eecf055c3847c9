"""`congvan draft` on a real SQLite file: the Kon Tum draft goes through two reviewers, a
return with a comment, a diff, the deputy's own signature (a clerk, an unregistered certificate
and the chair's key are refused), issuing with the organisation's key only, and verify."""

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


def _run(*args: str, input: str | None = None) -> str:
    result = CliRunner().invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.libreoffice
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
        keys = home / "var" / "keys"
        _run("keys", "dev-ca", "--out", str(keys), "--organization", "BCĐ PCTP TỈNH KON TUM",
             "--person", "pho-truong-ban=Nguyễn Văn A", "--person", "truong-ban=Lê Ngọc Tuấn",
             "--password-stdin", input="mat-khau\n")
        refused = CliRunner().invoke(app, ["draft", "sign", "1", "--as", "van-thu-bcd",
                                           "--password-stdin"], input="mat-khau\n")
        assert refused.exit_code == 1 and "không được ký" in refused.output
        unregistered = CliRunner().invoke(app, ["draft", "sign", "1", "--as", "pho-truong-ban",
                                                "--password-stdin"], input="mat-khau\n")
        assert unregistered.exit_code == 1 and "chưa đăng ký" in unregistered.output
        _run("keys", "register", str(keys / "people" / "pho-truong-ban" / "cert.pem"),
             "--person", "pho-truong-ban")
        chair_key = CliRunner().invoke(app, [
            "draft", "sign", "1", "--as", "pho-truong-ban", "--password-stdin",
            "--p12", str(keys / "people" / "truong-ban" / "signer.p12")], input="mat-khau\n")
        assert chair_key.exit_code == 1 and "Lê Ngọc Tuấn" in chair_key.output
        signed = _run("draft", "sign", "1", "--as", "pho-truong-ban", "--password-stdin",
                      input="mat-khau\n")
        assert "TM. BAN CHỈ ĐẠO / KT. TRƯỞNG BAN / PHÓ TRƯỞNG BAN" in signed.replace("\n", " ")
        shown = _run("draft", "show", "1")
        assert "đã ký, chờ ban hành" in shown and "Thêm hạn 10/11" in shown
        issued = _run("draft", "issue", "1", "--as", "van-thu-bcd", "--no-outbox",
                      "--password-stdin", input="mat-khau\n")
        assert "Số: 01/BCĐ-NC" in issued
        shown = _run("draft", "show", "1")
        assert "Chữ ký số" in shown and "Người ký" in shown and "Cơ quan" in shown
        pdf = next((home / "var").rglob("01_BCĐ-NC-*.pdf"))
        verified = CliRunner().invoke(app, ["verify", str(pdf), "--trust-root",
                                            str(keys / "ca.pem")])
        assert verified.exit_code == 0, verified.output
