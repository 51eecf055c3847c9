"""`congvan draft` with recipients from the directory: lines marked at edit, submit and issue,
deliveries printed per recipient and channel, and a document that reaches nobody refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from congvan.cli import app
from congvan.settings import get_settings
from registry.models import Delivery

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kontum-2022.yaml"
NOT_SENT = "không gửi qua hệ thống"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CONGVAN_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("CONGVAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("CONGVAN_FILES_DIR", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _run(*args: str, code: int = 0, input: str | None = None) -> str:
    result = CliRunner().invoke(app, list(args), input=input)
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


def _sign(number: str) -> None:
    _run("draft", "submit", number, "--as", "van-thu-bcd", "--reviewer", "pho-truong-ban")
    _run("draft", "approve", number, "--as", "pho-truong-ban")
    _run("draft", "sign", number, "--as", "pho-truong-ban", "--password-stdin",
         input="mat-khau\n")


class TestRecipientsCli:
    def test_lines_marked_at_edit_and_submit(self, home: Path) -> None:
        """A free-text line is accepted and marked; a group is planned per member and channel."""
        _run("db", "upgrade")
        _run("directory", "import", str(EXAMPLE))
        out = _run("draft", "new", "--issuer", "bcd-kontum", "--unit", "NC", "--subject",
                   "V/v báo cáo", "--as", "van-thu-bcd", "--to", "thanh-vien-bcd",
                   "--cc", "bca:email=Bộ Công an (để b/c)", "--cc", "Thường trực Tỉnh ủy (b/c)")
        assert f"Nơi nhận: Thường trực Tỉnh ủy (b/c) — {NOT_SENT}" in out
        assert "Kính gửi: Các thành viên Ban Chỉ đạo tỉnh" in out
        shown = _run("draft", "recipients", "1")
        assert "Khi ban hành sẽ gửi 11 lượt" in shown
        assert "→ Sở Tư pháp: trục liên thông (edXML) 000.00.00.Z08" in shown
        assert "→ Bộ Công an (để b/c): thư điện tử vanthu@bocongan.example" in shown
        edited = _run("draft", "edit", "1", "--as", "van-thu-bcd", "--cc", "Văn phòng Tỉnh ủy")
        assert f"Nơi nhận: Văn phòng Tỉnh ủy — {NOT_SENT}" in edited
        assert "Bộ Công an" not in edited
        submitted = _run("draft", "submit", "1", "--as", "van-thu-bcd")
        assert f"Khi trình: 1 dòng {NOT_SENT}" in submitted

    def test_typo_is_refused_with_the_nearest_key(self, home: Path) -> None:
        """A key that is not in the directory stops the command and suggests the right one."""
        _run("db", "upgrade")
        _run("directory", "import", str(EXAMPLE))
        out = _run("draft", "new", "--issuer", "bcd-kontum", "--subject", "V/v a", "--as",
                   "van-thu-bcd", "--to", "thanh-vien-bdc", code=1)
        assert "thanh-vien-bcd" in out

    @pytest.mark.libreoffice
    def test_issue_prints_deliveries_and_refuses_nobody(self, home: Path) -> None:
        """Issue queues one delivery per member and channel and prints them; a free-text-only
        document is refused before a number is taken, and issued with --no-delivery."""
        from signing.keys import create_dev_ca

        _run("db", "upgrade")
        _run("directory", "import", str(EXAMPLE))
        keys = home / "var" / "keys"
        create_dev_ca(keys, password="mat-khau", people=[("pho-truong-ban", "Nguyễn Văn A")])
        _run("keys", "register", str(keys / "people" / "pho-truong-ban" / "cert.pem"),
             "--person", "pho-truong-ban")
        _run("draft", "new", "--issuer", "bcd-kontum", "--unit", "NC", "--subject",
             "V/v báo cáo", "--as", "van-thu-bcd", "--to", "bcd-cac-huyen",
             "--cc", "Thường trực Tỉnh ủy (b/c)")
        _sign("1")
        issued = _run("draft", "issue", "1", "--as", "van-thu-bcd", "--password-stdin",
                      input="mat-khau\n")
        assert f"Nơi nhận: Thường trực Tỉnh ủy (b/c) — {NOT_SENT}" in issued
        assert "Đã xếp hàng 10 lượt gửi" in issued
        assert ("→ Ban Chỉ đạo Phòng, chống tội phạm huyện Ia H'Drai: trục liên thông (edXML) "
                "000.00.00.Z27") in issued
        _run("draft", "new", "--issuer", "bcd-kontum", "--unit", "NC", "--subject",
             "V/v lưu hành nội bộ", "--as", "van-thu-bcd", "--to", "Các phòng chuyên môn")
        _sign("2")
        refused = _run("draft", "issue", "2", "--as", "van-thu-bcd", "--password-stdin",
                       code=1, input="mat-khau\n")
        assert "--no-delivery" in refused and "Đã ban hành" not in refused
        paper = _run("draft", "issue", "2", "--as", "van-thu-bcd", "--password-stdin",
                     "--no-delivery", input="mat-khau\n")
        assert "Số: 02/BCĐ-NC" in paper and "Không xếp hàng gửi nào" in paper
        engine = create_engine(f"sqlite:///{home / 'var' / 'congvan.db'}")
        with Session(engine) as session:
            channels = session.scalars(select(Delivery.channel)).all()
        engine.dispose()
        assert sorted(channels) == ["edxml"] * 10
