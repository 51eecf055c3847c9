"""PDF through the warm, batched LibreOffice: one batch for the whole module."""

from __future__ import annotations

import subprocess

import pytest

from doc_templates.doctypes import DOCTYPES
from doc_templates.render import render_docx
from doc_templates.spec import load_spec
from tests.doc_templates.conftest import FIXTURES, minimal

pytestmark = pytest.mark.libreoffice

VIETNAMESE = "ăâđêôơư ĂÂĐÊÔƠƯ ằẳẵắặ ầẩẫấậ ềểễếệ ồổỗốộ ờởỡớợ ừửữứự ỳỷỹýỵ"


@pytest.fixture(scope="module")
def pdfs(converter, tmp_path_factory):
    """Every fixture and one document per template type, converted in one call."""
    src = tmp_path_factory.mktemp("docx")
    paths = []
    for spec_path in sorted((FIXTURES / "documents").glob("*.yaml")):
        path = src / f"{spec_path.stem}.docx"
        path.write_bytes(render_docx(load_spec(spec_path)))
        paths.append(path)
    for key in sorted(DOCTYPES):
        path = src / f"type_{key}.docx"
        path.write_bytes(render_docx(minimal(key, body=f"Chữ Việt: {VIETNAMESE}./.")))
        paths.append(path)
    out = tmp_path_factory.mktemp("pdf")
    return dict(zip([p.stem for p in paths], converter.convert_many(paths, out), strict=True))


def _text(pdf, *args) -> str:
    return subprocess.run(
        ["pdftotext", *args, "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


class TestPdf:
    def test_every_document_converted(self, pdfs):
        """One batched call produced a PDF for every input, in order."""
        assert all(p.is_file() and p.read_bytes().startswith(b"%PDF") for p in pdfs.values())

    def test_vietnamese_survives_in_the_text_layer(self, pdfs):
        """pdftotext returns every Vietnamese letter, for every template type."""
        for key in DOCTYPES:
            assert VIETNAMESE in " ".join(_text(pdfs[f"type_{key}"]).split()), key

    def test_reference_text_survives(self, pdfs):
        """The Kon Tum dispatch's header, date and signer come back from the PDF."""
        text = _text(pdfs["003_cong_van_4267_BCD-NC"])
        for expected in (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Số: 4267/BCĐ-NC",
            "Kon Tum, ngày 16 tháng 12 năm 2022",
            "Lê Ngọc Tuấn",
        ):
            assert expected in text

    def test_fonts_are_embedded(self, pdfs):
        """pdffonts lists only embedded fonts, Liberation Serif standing in for Times New Roman."""
        for pdf in pdfs.values():
            lines = subprocess.run(
                ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
            ).stdout.splitlines()[2:]
            assert lines and all(line.split()[-5] == "yes" for line in lines), lines
            assert any("LiberationSerif" in line for line in lines)

    def test_page_numbers_start_on_page_two(self, pdfs):
        """Page 1 shows no number; page 2 starts with "2" in its header."""
        pdf = pdfs["003_cong_van_4267_BCD-NC"]
        assert _text(pdf, "-f", "1", "-l", "1").lstrip().startswith("UBND")
        assert _text(pdf, "-f", "2", "-l", "2").lstrip().startswith("2")

    def test_convert_bytes(self, converter):
        """convert_bytes returns PDF bytes for .docx bytes."""
        assert converter.convert_bytes(render_docx(minimal("thong_bao"))).startswith(b"%PDF")
