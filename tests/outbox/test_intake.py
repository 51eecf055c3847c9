"""Incoming register: reading .docx, PDF and edXML, numbering from 01, sender, links, urgency."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from docx import Document as Docx
from sqlalchemy.orm import Session

from outbox.channels.edxml import to_edxml
from outbox.edxml.build import build_document
from outbox.errors import IntakeError
from outbox.intake import (
    corrected,
    from_proposal,
    proposal_fields,
    read_file,
    read_text,
    register_incoming,
)
from registry import documents
from registry.models import Direction, DocumentStatus
from tests import factories
from tests.outbox.conftest import issued_document, make_message

REPLY_LINES = [
    "Trả lời Công văn số {ref} ngày 16 tháng 12 năm 2022 của Ban Chỉ đạo, "
    "Công an huyện báo cáo như sau:",
]


def reply_docx(ref: str, *, urgent: bool = False) -> bytes:
    """A báo cáo from a district police answering ``ref``, laid out like ND30 (header table)."""
    doc = Docx()
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "CÔNG AN TỈNH KON TUM\nCÔNG AN HUYỆN 1"
    table.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    table.cell(1, 0).text = "Số: 152/BC-CAH"
    table.cell(1, 1).text = "Đăk Hà, ngày 05 tháng 01 năm 2023"
    if urgent:
        doc.add_paragraph("KHẨN")
    doc.add_paragraph("BÁO CÁO")
    doc.add_paragraph("Kết quả xây dựng, nhân rộng mô hình,")
    doc.add_paragraph("điển hình tiên tiến quý IV năm 2022")
    doc.add_paragraph("")
    for line in REPLY_LINES:
        doc.add_paragraph(line.format(ref=ref))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


ARRIVED = datetime(2023, 1, 6, 2, 15, tzinfo=UTC)


def setup_org(session: Session, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The committee (with its outgoing 4267) and its incoming register; the police unit."""
    ours = issued_document(session, tmp_path / "files", recipients=1)
    assert ours.issuer is not None
    factories.register(session, ours.issuer, code="DEN", name="Sổ văn bản đến",
                       direction=Direction.INCOMING)
    return ours


class TestReadText:
    def test_reads_the_4267_header(self) -> None:
        """Number, symbol, date, issuer lines and the V/v subject come out of the reference text."""
        text = Path("tests/fixtures/reference/003_49c264a06461fdfe.txt").read_text()
        incoming = read_text(text)
        assert incoming.number_symbol == "4267/BCĐ-NC"
        assert incoming.original_date == date(2022, 12, 16)
        assert incoming.subject.startswith("V/v xây dựng, nhân rộng mô hình,")
        assert incoming.sender_name.startswith("UBND TỈNH KON TUM BAN CHỈ ĐẠO")
        assert "22/HD-BCA-V05" in incoming.references

    def test_without_number_names_the_missing_line(self) -> None:
        """Text without a «Số:» line is refused, saying what is missing."""
        with pytest.raises(IntakeError, match="Số"):
            read_text("CÔNG AN HUYỆN\nV/v gì đó")


class TestKeptProposal:
    def test_a_proposal_kept_as_json_reads_back_the_same(self, tmp_path: Path) -> None:
        """proposal_fields → JSON → from_proposal gives the Incoming read_file gave (the web
        keeps it beside a staged upload instead of reading the file again)."""
        path = tmp_path / "bao-cao.docx"
        path.write_bytes(reply_docx("4267/BCĐ-NC", urgent=True))
        read = read_file(path)
        kept = json.loads(json.dumps(proposal_fields(read)))
        again = from_proposal(kept, name=path.name, data=path.read_bytes())
        assert again == read and again.references == ("4267/BCĐ-NC",)
        with pytest.raises(ValueError):
            from_proposal({**kept, "subject": ["not", "text"]}, name=path.name, data=b"")
        with pytest.raises(ValueError):
            from_proposal({"subject": "V/v"}, name=path.name, data=b"")


class TestRegisterIncoming:
    def test_docx_reply_is_registered_and_linked(self, session: Session, tmp_path: Path) -> None:
        """A .docx báo cáo gets incoming number 1, its sender, its date and an 'answers' link."""
        ours = setup_org(session, tmp_path)
        path = tmp_path / "reply.docx"
        path.write_bytes(reply_docx(f"{ours.number:02d}/BCĐ-NC"))
        incoming = read_file(path)
        assert incoming.doc_type == "bao_cao"
        doc = register_incoming(session=session, organization_id=ours.issuer_id,  # type: ignore[arg-type]
                                incoming=incoming, arrived_at=ARRIVED,
                                files_root=tmp_path).document
        assert (doc.number, doc.year, doc.status) == (1, 2023, DocumentStatus.RECEIVED)
        assert doc.original_number == "152/BC-CAH" and doc.original_date == date(2023, 1, 5)
        assert doc.sender is not None and doc.sender.name == "CÔNG AN HUYỆN 1"
        assert doc.subject == (
            "Kết quả xây dựng, nhân rộng mô hình, điển hình tiên tiến quý IV năm 2022"
        )
        [link] = documents.links(session=session, document_id=doc.id)
        assert (link.kind, link.to_id) == ("answers", ours.id)
        assert (tmp_path / doc.files[0].path).read_bytes() == path.read_bytes()

    def test_numbers_count_up_and_restart_each_year(self, session: Session, tmp_path: Path) -> None:
        """Incoming numbers go 1, 2 within a year and restart at 1 on 1 January."""
        ours = setup_org(session, tmp_path)
        path = tmp_path / "reply.docx"
        path.write_bytes(reply_docx("1/XX"))
        incoming = read_file(path)
        numbers = [register_incoming(session=session, organization_id=ours.issuer_id,  # type: ignore[arg-type]
                                     incoming=corrected(incoming, number=str(n)), arrived_at=at,
                                     files_root=tmp_path).document.number
                   for n, at in ((1, datetime(2022, 12, 30, 3, tzinfo=UTC)),
                                 (2, datetime(2022, 12, 31, 3, tzinfo=UTC)),
                                 (3, datetime(2023, 1, 3, 3, tzinfo=UTC)))]
        assert numbers == [1, 2, 1]

    def test_urgent_is_flagged(self, session: Session, tmp_path: Path) -> None:
        """A document marked KHẨN is registered with its urgency."""
        path = tmp_path / "urgent.docx"
        path.write_bytes(reply_docx("1/XX", urgent=True))
        assert read_file(path).urgency == "KHẨN"

    def test_edxml_package(self, session: Session, tmp_path: Path) -> None:
        """An edXML package brings its sender id, due date, files and ResponseFor link."""
        ours = setup_org(session, tmp_path)
        assert ours.issuer is not None
        sender = factories.org(session, name="CÔNG AN HUYỆN ĐĂK HÀ", edxml_id="000.01.34.H34")
        message = make_message(
            sender=make_message().recipient, recipient=make_message().sender,
            number="152", symbol="BC-CAH", subject="Báo cáo kết quả quý IV",
            response_for=f"000.00.00.H34,2022/12/16,{ours.number:02d}/BCĐ-NC",
        )
        path = tmp_path / "goi.edxml"
        path.write_bytes(build_document(to_edxml(message)))
        doc = register_incoming(session=session, organization_id=ours.issuer_id,
                                incoming=read_file(path), arrived_at=ARRIVED,
                                files_root=tmp_path).document
        assert doc.sender_id == sender.id and doc.due_date == date(2022, 12, 10)
        assert len(doc.files) == 2
        assert [lk.to_id for lk in documents.links(session=session, document_id=doc.id)] == [
            ours.id]

    def test_unknown_file_type(self, tmp_path: Path) -> None:
        """A file that is not .docx, .pdf or edXML is refused, naming the accepted types."""
        path = tmp_path / "a.txt"
        path.write_text("x")
        with pytest.raises(IntakeError, match=r"\.docx"):
            read_file(path)


@pytest.mark.libreoffice
class TestPdf:
    def test_pdf_reply(self, tmp_path: Path) -> None:
        """The same reply as a PDF (LibreOffice) reads the same number, date and subject."""
        soffice = shutil.which("soffice")
        if soffice is None:
            pytest.skip("LibreOffice is not installed")
        (tmp_path / "reply.docx").write_bytes(reply_docx("4267/BCĐ-NC"))
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/p",
                        "--convert-to", "pdf", "--outdir", str(tmp_path),
                        str(tmp_path / "reply.docx")], check=True, capture_output=True,
                       timeout=120)
        incoming = read_file(tmp_path / "reply.pdf")
        assert incoming.number_symbol == "152/BC-CAH"
        assert incoming.original_date == date(2023, 1, 5)
        assert "4267/BCĐ-NC" in incoming.references
