"""`congvan files plan …`, `files add|propose|show|mine|close|handover|verify` on the Kon Tum
directory: the clerk's and the head's year of hồ sơ, from the command line."""

from __future__ import annotations

import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from congvan.cli import app
from congvan.cli._common import console, err_console
from congvan.settings import get_settings
from registry import db
from registry.directory import import_file
from registry.models import Direction, Document, DocumentStatus, Organization

DIRECTORY = Path("examples/kontum-2022.yaml")
PLAN = """\
organization: bcd-kontum
year: 2023
files:
  - title: I. CÔNG TÁC CHỈ ĐẠO
  - code: 01.CĐ
    title: Hồ sơ văn bản chỉ đạo của cấp trên về phòng, chống tội phạm năm 2023
    retention: 20 năm
    unit: bcd-kontum.nc
    person: van-thu-bcd
    doc_types: [huong_dan, cong_van]
    keywords: [phòng, chống tội phạm]
  - code: 02.BC
    title: Hồ sơ báo cáo thống kê
    retention: vĩnh viễn
"""
PAPER = ["receive", "--paper", "--org", "bcd-kontum", "--at", "2023-01-06 09:15",
         "--symbol", "HD-BCA-V05", "--date", "05/01/2023", "--issuer", "BỘ CÔNG AN",
         "--clerk", "van-thu-bcd"]


@pytest.fixture
def runner(fresh_sqlite_url: str, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """Settings on a fresh database with the Kon Tum directory."""
    for key, value in {"DATABASE_URL": fresh_sqlite_url, "HOME": str(tmp_path),
                       "FILES_DIR": str(tmp_path / "files")}.items():
        monkeypatch.setenv(f"CONGVAN_{key}", value)
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 240)
    monkeypatch.setattr(err_console, "width", 240)
    db.configure(fresh_sqlite_url)
    with db.transaction() as session:
        import_file(session=session, path=DIRECTORY)
    yield CliRunner()
    get_settings.cache_clear()


def ok(runner: CliRunner, args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _draft() -> int:
    with db.transaction() as session:
        org = session.query(Organization).filter_by(key="bcd-kontum").one()
        doc = Document(direction=Direction.OUTGOING, doc_type="cong_van", issuer_id=org.id,
                       status=DocumentStatus.DRAFT, subject="V/v dự thảo trả lời", symbol="BCĐ")
        session.add(doc)
        session.flush()
        return doc.id


def _year_of_files(runner: CliRunner, tmp_path: Path) -> list[int]:
    """Plan imported and approved, two guidance documents received and filed with a draft,
    the file closed; returns the ids filed."""
    plan = tmp_path / "danh-muc.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    ok(runner, ["files", "plan", "import", str(plan), "--as", "van-thu-bcd"])
    ok(runner, ["files", "plan", "approve", "--org", "bcd-kontum", "--year", "2023",
                "--as", "le-ngoc-tuan"])
    ids = []
    for number, subject in ((22, "Hướng dẫn phòng, chống tội phạm năm 2023"),
                            (31, "Hướng dẫn thống kê")):
        ok(runner, [*PAPER, "--number", str(number), "--subject", subject])
        with db.transaction() as session:
            ids.append(session.query(Document.id).filter_by(original_number=f"{number}/HD-BCA-V05")
                       .scalar())
    ids.append(_draft())
    for doc_id in ids:
        ok(runner, ["files", "add", str(doc_id), "--file", "01.CĐ", "--org", "bcd-kontum",
                    "--year", "2023", "--as", "van-thu-bcd"])
    return ids


class TestPlanCli:
    def test_bad_row_is_named_and_nothing_stored(self, runner: CliRunner,
                                                 tmp_path: Path) -> None:
        """A bad retention names its line and column; the plan is not stored."""
        plan = tmp_path / "dm.yaml"
        plan.write_text(PLAN.replace("20 năm", "hai mươi"), encoding="utf-8")
        result = runner.invoke(app, ["files", "plan", "import", str(plan), "--as", "van-thu-bcd"])
        assert result.exit_code == 1
        text = " ".join(result.output.split())
        assert "dòng 5, cột «Thời hạn bảo quản»" in text and "chưa lưu gì" in text
        shown = runner.invoke(app, ["files", "plan", "show", "--org", "bcd-kontum", "--year",
                                    "2023"])
        assert shown.exit_code == 1 and "chưa có danh mục" in shown.output

    def test_deputy_cannot_approve_export_reads_back(self, runner: CliRunner,
                                                    tmp_path: Path) -> None:
        """The KT. deputy is refused; the head approves; both exports import as the same plan."""
        plan = tmp_path / "dm.yaml"
        plan.write_text(PLAN, encoding="utf-8")
        ok(runner, ["files", "plan", "import", str(plan), "--as", "van-thu-bcd"])
        refused = runner.invoke(app, ["files", "plan", "approve", "--org", "bcd-kontum",
                                      "--year", "2023", "--as", "pho-truong-ban"])
        assert refused.exit_code == 1 and "người đứng đầu" in refused.output
        for suffix in (".xlsx", ".yaml"):
            out = tmp_path / f"ra{suffix}"
            ok(runner, ["files", "plan", "export", str(out), "--org", "bcd-kontum", "--year",
                        "2023"])
            again = ok(runner, ["files", "plan", "import", str(out), "--org", "bcd-kontum",
                                "--year", "2023", "--as", "van-thu-bcd"])
            assert "2 hồ sơ" in again
        assert "01.CĐ Hồ sơ văn bản chỉ đạo" in ok(runner, [
            "files", "plan", "show", "--org", "bcd-kontum", "--year", "2023"])


class TestFilesCli:
    def test_file_close_hand_over_verify(self, runner: CliRunner, tmp_path: Path) -> None:
        """Filed, proposed, shown; closing drops the draft; the handover package verifies and
        a changed byte is caught; the file is then read-only."""
        ids = _year_of_files(runner, tmp_path)
        assert "01.CĐ" in ok(runner, ["files", "propose", str(ids[0]), "--as", "van-thu-bcd"])
        assert "01.CĐ" in ok(runner, ["files", "mine", "--as", "van-thu-bcd"])
        shown = ok(runner, ["files", "show", "01.CĐ", "--org", "bcd-kontum", "--year", "2023"])
        assert "22/HD-BCA-V05" in shown and "[Dự thảo]" in shown
        closed = ok(runner, ["files", "close", "01.CĐ", "--org", "bcd-kontum", "--year",
                             "2023", "--as", "van-thu-bcd"])
        assert "2 văn bản" in closed and "bỏ 1 dự thảo" in closed and "Hạn nộp lưu" in closed
        out = tmp_path / "nop-luu"
        ok(runner, ["files", "handover", "01.CĐ", "--org", "bcd-kontum", "--year", "2023",
                    "--as", "van-thu-bcd", "--receiver", "Lê Văn Lưu", "--out", str(out),
                    "--no-pdf"])
        [package] = out.glob("*.zip")
        assert "2 văn bản" in ok(runner, ["files", "verify", str(package)])
        assert (out / "bien-ban-giao-nhan.docx").is_file()
        bad = tmp_path / "sua.zip"
        with zipfile.ZipFile(package) as old, zipfile.ZipFile(bad, "w") as new:
            for info in old.infolist():
                data = old.read(info)
                new.writestr(info, data.replace(b"Tuan", b"Tuam") if info.filename ==
                             "ho-so.xml" else data.replace(b"<Subject>H", b"<Subject>h"))
        result = runner.invoke(app, ["files", "verify", str(bad)])
        assert result.exit_code == 1 and "đã bị thay đổi" in result.output
        again = runner.invoke(app, ["files", "add", str(ids[1]), "--file", "01.CĐ", "--org",
                                    "bcd-kontum", "--year", "2023", "--as", "van-thu-bcd"])
        assert again.exit_code == 1 and "nộp lưu" in again.output

    def test_show_hides_a_secret_subject_from_who_may_not_read_it(
            self, runner: CliRunner, tmp_path: Path) -> None:
        """A MẬT document in the file: without --as (or as someone without the right) the row
        is listed with the placeholder, the head of the office sees its trích yếu."""
        from registry.labels import HIDDEN_SUBJECT

        _year_of_files(runner, tmp_path)
        secret = "Kế hoạch triệt phá đường dây ma tuý xuyên biên giới"
        ok(runner, [*PAPER, "--number", "45", "--subject", secret])
        # Marked MẬT after the fact: the directory has no secret register to receive into.
        with db.transaction() as session:
            doc_id = session.query(Document.id).filter_by(
                original_number="45/HD-BCA-V05").scalar()
            session.execute(update(Document).where(Document.id == doc_id).values(secrecy="MẬT"))
        ok(runner, ["files", "add", str(doc_id), "--file", "01.CĐ", "--org", "bcd-kontum",
                    "--year", "2023", "--as", "van-thu-bcd"])
        show = ["files", "show", "01.CĐ", "--org", "bcd-kontum", "--year", "2023"]
        hidden = ok(runner, show)
        assert "45/HD-BCA-V05" in hidden and HIDDEN_SUBJECT in hidden and secret not in hidden
        assert "Hướng dẫn thống kê" in hidden  # the file's other documents keep theirs
        assert secret not in ok(runner, [*show, "--as", "tham-dinh-pv05"])
        head = ok(runner, [*show, "--as", "le-ngoc-tuan"])
        assert secret in head and HIDDEN_SUBJECT not in head

    @pytest.mark.libreoffice
    def test_handover_documents_render_and_pass_the_checker(self, runner: CliRunner,
                                                            tmp_path: Path) -> None:
        """The Biên bản giao nhận and the Mục lục come out as PDFs, two copies each, with no
        ND30 checker error."""
        _year_of_files(runner, tmp_path)
        ok(runner, ["files", "close", "01.CĐ", "--org", "bcd-kontum", "--year", "2023",
                    "--as", "van-thu-bcd"])
        out = tmp_path / "nop-luu"
        result = runner.invoke(app, ["files", "handover", "01.CĐ", "--org", "bcd-kontum",
                                     "--year", "2023", "--as", "van-thu-bcd", "--receiver",
                                     "Lê Văn Lưu", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "Kiểm tra Nghị định 30" not in result.output
        pdfs = sorted(p.name for p in out.glob("*.pdf"))
        assert pdfs == ["bien-ban-giao-nhan-ban-1-ben-giao.pdf",
                        "bien-ban-giao-nhan-ban-2-ben-nhan.pdf",
                        "muc-luc-ho-so-ban-1-ben-giao.pdf", "muc-luc-ho-so-ban-2-ben-nhan.pdf"]
        text = subprocess.run(["pdftotext", "-layout", str(out / pdfs[0]), "-"],
                              capture_output=True, check=True).stdout.decode()
        assert "BIÊN BẢN" in text and "ĐẠI DIỆN BÊN GIAO" in text
        assert "MỤC LỤC HỒ SƠ, TÀI LIỆU NỘP LƯU" in text and "01.CĐ" in text
