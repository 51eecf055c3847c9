"""Registers (Appendix IV): rows, .xlsx export, the printed register book, and the CLI."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document as Docx
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from congvan.cli import app
from congvan.settings import get_settings
from doc_templates.register_book import Column, RegisterBook, render_register_book
from outbox import registers
from outbox.enqueue import enqueue_document
from outbox.intake import read_file, register_incoming
from registry import db
from registry.models import Direction
from tests import factories
from tests.outbox.conftest import issued_document
from tests.outbox.test_intake import reply_docx


def book_of(rows: list[dict[str, str]]) -> RegisterBook:
    return RegisterBook(
        body_name="BAN CHỈ ĐẠO 138 TỈNH KON TUM", parent_name="UBND TỈNH KON TUM",
        title="Sổ đăng ký văn bản đi", year=2022, first_number="01", last_number="40",
        columns=tuple(Column(c.key, c.header, c.width_mm) for c in registers.OUTGOING_COLUMNS),
        rows=tuple(rows),
    )


class TestRows:
    def test_outgoing_row(self, session: Session, tmp_path: Path) -> None:
        """An issued document gives one row with number, date, type and subject, recipients."""
        doc = issued_document(session, tmp_path, recipients=2)
        enqueue_document(session=session, document_id=doc.id)
        assert doc.issuer_id is not None
        [row] = registers.outgoing_rows(session=session, organization_id=doc.issuer_id,
                                        year=2022, reader=None)
        assert row["so_ky_hieu"] == f"{doc.number:02d}/BCĐ-NC"
        assert row["ngay"] == "16/12/2022"
        assert row["trich_yeu"].startswith("Công văn: V/v triển khai")
        assert row["noi_nhan"] == "Công an huyện 1\nCông an huyện 2"
        assert row["ban_luu"] == "VT, NC"
        assert row["ky_nhan"] == "Đã xác nhận 0/2"

    def test_incoming_row(self, session: Session, tmp_path: Path) -> None:
        """A received document's row shows arrival time (local), number, author and original."""
        doc = issued_document(session, tmp_path, recipients=1)
        assert doc.issuer is not None
        factories.register(session, doc.issuer, code="DEN", direction=Direction.INCOMING)
        path = tmp_path / "r.docx"
        path.write_bytes(reply_docx("1/XX"))
        register_incoming(session=session, organization_id=doc.issuer.id,
                          incoming=read_file(path), files_root=tmp_path,
                          arrived_at=datetime(2023, 1, 6, 2, 15, tzinfo=UTC))
        [row] = registers.incoming_rows(session=session, organization_id=doc.issuer.id,
                                        year=2023, reader=None)
        assert (row["ngay_den"], row["so_den"]) == ("06/01/2023 09:15", "01")
        assert row["so_ky_hieu"] == "152/BC-CAH" and row["tac_gia"] == "CÔNG AN HUYỆN 1"


class TestXlsx:
    def test_headers_are_appendix_iv(self) -> None:
        """The workbook has the title, the ten Appendix IV headers, then the rows."""
        data = registers.to_xlsx(title="Sổ đăng ký văn bản đi", columns=registers.OUTGOING_COLUMNS,
                                 rows=[{"so_ky_hieu": "01/BCĐ-NC", "trich_yeu": "Công văn: V/v"}])
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet is not None
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][0] == "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
        assert values[1] == tuple(c.header for c in registers.OUTGOING_COLUMNS)
        assert values[2][0] == "01/BCĐ-NC"


class TestRegisterBook:
    def test_layout(self) -> None:
        """Landscape A4, cover filled in, header row repeated, page numbers in the footer."""
        rows = [{"so_ky_hieu": f"{n:02d}/BCĐ-NC", "trich_yeu": "Công văn: V/v " + "x " * 40}
                for n in range(1, 41)]
        document = Docx(io.BytesIO(render_register_book(book_of(rows))))
        section = document.sections[0]
        assert section.page_width > section.page_height
        text = "\n".join(p.text for p in document.paragraphs)
        assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in text and "Năm 2022" in text
        assert "Từ số 01 đến số 40" in text and "{{" not in text
        [table] = document.tables
        assert len(table.rows) == 41
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        footer = section.footer._element.xml
        assert "PAGE" in footer

    @pytest.mark.libreoffice
    def test_pdf_has_page_numbers_and_repeated_headers(self, tmp_path: Path) -> None:
        """Through LibreOffice: several pages, each table page repeating the header row."""
        if shutil.which("soffice") is None:
            pytest.skip("LibreOffice is not installed")
        from doc_templates.pdf import PdfConverter
        from doc_templates.register_book import register_book_pdf

        rows = [{"so_ky_hieu": f"{n:02d}/BCĐ-NC", "trich_yeu": "Công văn: V/v " + "x " * 40,
                 "noi_nhan": "Công an huyện Đăk Hà"} for n in range(1, 61)]
        with PdfConverter() as converter:
            pdf = register_book_pdf(book_of(rows), converter)
        (tmp_path / "book.pdf").write_bytes(pdf)
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "book.pdf"), "-"],
                              capture_output=True, check=True).stdout.decode()
        pages = text.split("\f")[1:-1]  # after the cover
        assert len(pages) >= 2
        assert all("Số, ký hiệu" in page and "Ký nhận" in page for page in pages)
        assert [page.split()[-1] for page in pages[:2]] == ["2", "3"]


class TestCli:
    def test_receive_then_export(self, fresh_sqlite_url: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
        """`congvan receive` registers a .docx; `registers xlsx --incoming` lists it."""
        monkeypatch.setenv("CONGVAN_DATABASE_URL", fresh_sqlite_url)
        monkeypatch.setenv("CONGVAN_FILES_DIR", str(tmp_path / "files"))
        get_settings.cache_clear()
        engine = db.make_engine(fresh_sqlite_url)
        with Session(engine) as session, session.begin():
            org = factories.org(session, key="bcd", name="BAN CHỈ ĐẠO 138")
            factories.register(session, org, code="DEN", direction=Direction.INCOMING)
        engine.dispose()
        path = tmp_path / "reply.docx"
        path.write_bytes(reply_docx("1/XX", urgent=True))
        runner = CliRunner()
        result = runner.invoke(app, ["receive", str(path), "--org", "bcd",
                                     "--at", "2023-01-06 09:15"])
        assert result.exit_code == 0, result.output
        assert "số đến 01" in result.output and "KHẨN" in result.output
        out = tmp_path / "den.xlsx"
        result = runner.invoke(app, ["registers", "xlsx", "--org", "bcd", "--year", "2023",
                                     "--incoming", "-o", str(out)])
        assert result.exit_code == 0, result.output
        sheet = load_workbook(out).active
        assert sheet is not None and sheet.cell(row=3, column=4).value == "152/BC-CAH"
        get_settings.cache_clear()

    def test_receive_unknown_org(self, fresh_sqlite_url: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
        """An unknown organisation key fails with a Vietnamese message and exit code 1."""
        monkeypatch.setenv("CONGVAN_DATABASE_URL", fresh_sqlite_url)
        get_settings.cache_clear()
        path = tmp_path / "reply.docx"
        path.write_bytes(reply_docx("1/XX"))
        result = CliRunner().invoke(app, ["receive", str(path), "--org", "khong-co"])
        assert result.exit_code == 1 and "khong-co" in result.output
        get_settings.cache_clear()


class TestReceiveStatus:
    def test_edxml_status_acknowledges(self, fresh_sqlite_url: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
        """`congvan receive` given an edXML Status 03 acknowledges the matching delivery."""
        from outbox.edxml.build import build_status
        from outbox.edxml.model import DocumentKey, Organ, ResponseFor, StatusMessage
        from registry.models import Delivery

        monkeypatch.setenv("CONGVAN_DATABASE_URL", fresh_sqlite_url)
        get_settings.cache_clear()
        engine = db.make_engine(fresh_sqlite_url)
        with Session(engine) as session, session.begin():
            doc = issued_document(session, tmp_path, recipients=1)
            enqueue_document(session=session, document_id=doc.id, channels=("edxml",))
            number = doc.number
            issuer_key = doc.issuer.key
        path = tmp_path / "status.edxml"
        key = DocumentKey.parse(f"000.00.00.H34,2022/12/16,{number:02d}/BCĐ-NC")
        assert key is not None
        path.write_bytes(build_status(StatusMessage(
            ResponseFor.of(key), Organ("000.01.01.H34", "CA"), "03",
            datetime(2022, 12, 17, 8, 0))))
        # The issuing body receives the status of what it sent.
        result = CliRunner().invoke(app, ["receive", str(path), "--org", issuer_key])
        assert result.exit_code == 0, result.output
        with Session(engine) as session:
            [delivery] = session.query(Delivery).all()
            assert delivery.acknowledged_at is not None
        engine.dispose()
        get_settings.cache_clear()
