"""The demo's ordinary day on both engines: real LibreOffice, Tesseract, pyHanko, outbox."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from congvan.cli._demo_day import ordinary_day
from outbox import handling
from registry import db, documents
from registry.models import (
    Delivery,
    Direction,
    Document,
    DocumentStatus,
    HandlingAssignment,
    IncomingArrival,
    Notice,
)
from signing.keys import create_dev_ca
from workflows import issuance, steps

PASSWORD = "demo-khong-dung-that"


@pytest.mark.libreoffice
class TestOrdinaryDay:
    def test_scan_twice_assigned_answered_and_reminded(self, kontum_url: str,
                                                       tmp_path: Path) -> None:
        """The scan is registered once (OCR, searchable), the e-mail copy recognised, the
        assignment answered by an issued công văn linked as its answer, the paper one reminded."""
        keys = tmp_path / "keys"
        create_dev_ca(keys, password=PASSWORD, organization="BCĐ PCTP TỈNH KON TUM",
                      signer_name="Lê Ngọc Tuấn")
        files = tmp_path / "files"
        cycle = steps.CycleSettings(files_dir=str(files), channels=["folder"],
                                    keys_dir=str(keys), soffice="soffice")
        with issuance.opened(keys_dir=keys, password=PASSWORD, soffice="soffice"):
            lines = ordinary_day(SimpleNamespace(home=tmp_path), files, cycle)
        text = "\n".join(lines)
        assert "không cấp số mới" in text and "incoming show 1 --org bcd-kontum" in text
        with db.transaction() as s:
            incoming = list(s.scalars(select(Document).where(
                Document.direction == Direction.INCOMING).order_by(Document.number)))
            assert [d.original_number for d in incoming] == ["812/CAT-PV05", "45/UBND-NC"]
            scan = incoming[0]
            arrivals = s.scalars(select(IncomingArrival).where(
                IncomingArrival.document_id == scan.id).order_by(IncomingArrival.id)).all()
            assert [(a.channel, a.duplicate) for a in arrivals] == [("scan", False),
                                                                     ("email", True)]
            [main] = [a for a in s.scalars(select(HandlingAssignment).where(
                HandlingAssignment.document_id == scan.id)) if a.role == "main"]
            assert main.status == "done" and main.due_date is not None
            answer = documents.get(session=s, document_id=main.answer_document_id or 0)
            assert answer.status is DocumentStatus.ISSUED
            assert [a.id for a in handling.answers_to(session=s, document_id=scan.id)] == [
                answer.id]
            ocr_pdf = next(f for f in scan.files if f.kind == "ocr_pdf")
            reminder = s.scalar(select(Notice).where(Notice.key.like("handling.%")))
            assert reminder is not None and "quá hạn" in reminder.body
            assert s.scalar(select(Delivery).where(Delivery.notice_id == reminder.id))
        # The daily reminder flow's task finds the overdue paper document already reminded.
        from workflows.remind_late_units import overdue_handling

        assert overdue_handling.fn(date(2024, 1, 3), cycle) == 0
        searchable = subprocess.run(["pdftotext", str(files / ocr_pdf.path), "-"],
                                    capture_output=True, check=True).stdout.decode()
        assert "Cục V05" in searchable or "số liệu" in searchable
