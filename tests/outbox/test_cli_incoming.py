"""`congvan receive --paper …` and `congvan incoming present|assign|list|progress|done|show`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from congvan.cli import app
from congvan.cli._common import console
from congvan.settings import get_settings
from registry import db
from registry.directory import import_file

DIRECTORY = Path("examples/kontum-2022.yaml")
PAPER = ["receive", "--paper", "--org", "bcd-kontum", "--at", "2023-01-06 09:15",
         "--number", "812", "--symbol", "CAT-PV05", "--date", "05/01/2023",
         "--issuer", "CÔNG AN TỈNH KON TUM", "--subject", "V/v đề nghị cung cấp số liệu",
         "--urgency", "khẩn", "--clerk", "van-thu-bcd"]


@pytest.fixture
def runner(fresh_sqlite_url: str, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """Settings on a fresh database with the Kon Tum directory."""
    for key, value in {"DATABASE_URL": fresh_sqlite_url, "HOME": str(tmp_path),
                       "FILES_DIR": str(tmp_path / "files")}.items():
        monkeypatch.setenv(f"CONGVAN_{key}", value)
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 240)  # the register table on one line per row
    db.configure(fresh_sqlite_url)
    with db.transaction() as session:
        import_file(session=session, path=DIRECTORY)
    yield CliRunner()
    get_settings.cache_clear()


def ok(runner: CliRunner, args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


class TestReceiveCli:
    def test_paper_document_twice(self, runner: CliRunner) -> None:
        """A paper document gets số đến 01; the same document again is recognised."""
        first = ok(runner, PAPER)
        assert "số đến 01 năm 2023" in first and "KHẨN: trình và chuyển giao ngay" in first
        again = ok(runner, [*PAPER[:5], "2023-01-06 14:00", *PAPER[6:]])
        assert "đã vào sổ: số đến 01 năm 2023" in again and "không cấp số mới" in again

    def test_missing_fields_are_named(self, runner: CliRunner) -> None:
        """A paper document without its subject names --subject (the date may stay empty)."""
        result = runner.invoke(app, ["receive", "--paper", "--org", "bcd-kontum", "--number",
                                     "5", "--symbol", "UBND-VX", "--issuer", "UBND HUYỆN X"])
        assert result.exit_code == 1
        assert "--subject" in result.output and "--date" not in result.output

    def test_bad_symbol_names_the_option(self, runner: CliRunner) -> None:
        """A symbol with a space is refused naming --symbol and the expected shape."""
        result = runner.invoke(app, [*PAPER[:9], "CAT PV05", *PAPER[10:]])
        assert result.exit_code == 1 and "--symbol" in result.output


class TestIncomingCli:
    def test_present_assign_progress_list_show(self, runner: CliRunner) -> None:
        """The ordinary day on the CLI: present, assign with due date and opinion, progress."""
        ok(runner, PAPER)
        where = ["--org", "bcd-kontum", "--year", "2023"]
        assert "Đã trình" in ok(runner, ["incoming", "present", "1", *where, "--clerk",
                                         "van-thu-bcd", "--leader", "le-ngoc-tuan"])
        refused = runner.invoke(app, ["incoming", "assign", "1", *where, "--leader",
                                      "van-thu-bcd", "--to", "pho-truong-ban"])
        assert refused.exit_code == 1 and "chỉ lãnh đạo" in refused.output
        assigned = ok(runner, ["incoming", "assign", "1", *where, "--leader", "le-ngoc-tuan",
                               "--to", "pho-truong-ban", "--due", "16/01/2023", "--opinion",
                               "Đồng chí Phó Trưởng ban chủ trì trả lời.", "--inform",
                               "cat-kontum"])
        assert "chủ trì: Nguyễn Văn A" in assigned and "hạn 16/01/2023" in assigned
        assert "để biết: Công an tỉnh Kon Tum" in assigned
        ok(runner, ["incoming", "progress", "1", *where, "--by", "pho-truong-ban", "--note",
                    "Đã giao Công an tỉnh tổng hợp số liệu"])
        listing = ok(runner, ["incoming", "list", *where, "--search", "số liệu"])
        assert "812/CAT-PV05" in listing and "Đang xử lý" in listing
        shown = ok(runner, ["incoming", "show", "1", *where])
        assert "trình lãnh đạo → Lê Ngọc Tuấn" in shown and "cập nhật tiến độ" in shown
        assert "09:15 06/01/2023" in shown
        overdue = ok(runner, ["incoming", "remind", "--today", "17/01/2023"])
        assert "Đã đưa 1 thư nhắc" in overdue
        done = ok(runner, ["incoming", "done", "1", *where, "--by", "pho-truong-ban",
                           "--result", "Đã gửi số liệu bằng điện thoại"])
        assert "Đã xong văn bản đến số 01" in done
