"""Fidelity of the new types and layouts: specs written after real documents of each type
(ND30 Phụ lục III model forms), rendered, checked, converted, read back from the PDF."""

from __future__ import annotations

import subprocess

import pytest

from doc_templates.check import ERROR, check_docx, check_pdf
from doc_templates.render import render_docx
from doc_templates.spec import load_spec
from tests.doc_templates.conftest import FIXTURES, docx_paragraphs

NEW = sorted(p for p in (FIXTURES / "documents").glob("*.yaml") if p.name[:3] >= "004")


@pytest.mark.parametrize("path", NEW, ids=lambda p: p.stem)
def test_renders_and_passes_the_checker(path):
    """Each document renders and the ND30 checker finds no error in it."""
    data = render_docx(load_spec(path))
    assert [v for v in check_docx(data) if v.severity == ERROR] == []


def test_minutes_fields_in_order():
    """The biên bản prints time, place, participants, chair, secretary, then the content."""
    paras = docx_paragraphs(
        render_docx(load_spec(FIXTURES / "documents" / "005_bien_ban_hop.yaml"))
    )
    order = [
        "Thời gian bắt đầu: 08 giờ 00, ngày 29 tháng 3 năm 2024.",
        "Địa điểm: Hội trường Ủy ban nhân dân xã Hà Mòn.",
        "Thành phần tham dự:",
        "Vắng mặt:",
        "Chủ trì (chủ tọa): Ông Nguyễn Văn Bình, Chủ tịch Ủy ban nhân dân xã.",
        "Thư ký (người ghi biên bản): Bà Y Hiền, công chức Văn phòng - Thống kê.",
        "Nội dung (theo diễn biến cuộc họp):",
        "2. Ý kiến thảo luận",
        "Cuộc họp kết thúc vào 10 giờ 45, ngày 29 tháng 3 năm 2024./.",
    ]
    positions = [paras.index(line) for line in order]
    assert positions == sorted(positions)


def test_resolution_signed_on_behalf_of_the_council():
    """The nghị quyết enacts with QUYẾT NGHỊ: and signs TM. HỘI ĐỒNG NHÂN DÂN / CHỦ TỊCH."""
    paras = docx_paragraphs(
        render_docx(load_spec(FIXTURES / "documents" / "006_nghi_quyet_hdnd.yaml"))
    )
    assert "QUYẾT NGHỊ:" in paras
    start = paras.index("TM. HỘI ĐỒNG NHÂN DÂN")
    assert paras[start + 1] == "CHỦ TỊCH"


@pytest.mark.libreoffice
class TestPages:
    @pytest.fixture(scope="class")
    def pdfs(self, converter, tmp_path_factory):
        """The new documents as PDF, one batch."""
        src = tmp_path_factory.mktemp("docs")
        paths = []
        for path in NEW:
            target = src / f"{path.stem}.docx"
            target.write_bytes(render_docx(load_spec(path)))
            paths.append(target)
        out = converter.convert_many(paths, tmp_path_factory.mktemp("pdf"))
        return {p.stem: pdf.read_bytes() for p, pdf in zip(NEW, out, strict=True)}

    @pytest.mark.parametrize("name", [p.stem for p in NEW])
    def test_signature_never_alone_on_its_page(self, pdfs, name):
        """The page with 'Nơi nhận' also carries body text (the last paragraph goes along)."""
        assert "pdf.signature.alone" not in {v.rule for v in check_pdf(pdfs[name])}

    def test_long_notice_carries_its_last_paragraph(self, pdfs):
        """The Thông báo ending low on page 1: its last paragraph moves with the signature."""
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"],
            input=pdfs["009_thong_bao_cuoi_trang"],
            capture_output=True,
            check=True,
        ).stdout.decode()
        pages = text.split("\f")
        signature_page = next(p for p in pages if "Nơi nhận" in p)
        assert "Sở Nội vụ thông báo để các phòng" in signature_page

    def test_page_numbers_from_page_two_centred(self, pdfs):
        """Page 1 has no number; page 2 starts with '2' centred at the top."""
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", "2", "-l", "2", "-", "-"],
            input=pdfs["009_thong_bao_cuoi_trang"],
            capture_output=True,
            check=True,
        ).stdout.decode()
        first = next(line for line in text.splitlines() if line.strip())
        assert first.strip() == "2"
        left = len(first) - len(first.lstrip())
        assert 25 <= left <= 55  # about the middle of a ~80-column layout line
