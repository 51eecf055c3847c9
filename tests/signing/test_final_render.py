"""The reserved-blank render the person signs is the document of record, blanks aside."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from doc_templates.spec import load_spec
from signing.final import FIGURE_SPACE, render_reserved_docx

FIXTURES = Path(__file__).parents[1] / "fixtures" / "documents"


def _parts(docx: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")}


class TestReservedRender:
    def test_appendices_kept(self) -> None:
        """A Quyết định with appendices keeps them, and ô 2 / ô 4 are blanks, not a number."""
        spec = load_spec(FIXTURES / "004_quyet_dinh_phu_luc.yaml")
        body = _parts(render_reserved_docx(spec, year=2026))["word/document.xml"]
        assert "Phụ lục" in body
        assert FIGURE_SPACE * 4 in body
        assert f"ngày {FIGURE_SPACE * 2} tháng {FIGURE_SPACE * 2} năm 2026" in body

    def test_footnotes_kept(self) -> None:
        """Reference 003's footnotes are real Word footnotes in the file the leader signs."""
        spec = load_spec(FIXTURES / "003_cong_van_4267_BCD-NC.yaml")
        parts = _parts(render_reserved_docx(spec, year=2026))
        assert "word/footnotes.xml" in parts
        assert parts["word/footnotes.xml"].count("<w:footnote ") >= 4
