"""Realistic công văn .docx files for the signing tests, converted once with soffice."""

from __future__ import annotations

import subprocess
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

TITLE_LINES = ("KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN")
SIGNER_NAME = "Nguyễn Văn Thử"
ORGANIZATION = "BAN CHỈ ĐẠO THỬ NGHIỆM"


def _para(cell_or_doc, text: str, *, bold: bool = False, italic: bool = False, size: int = 14,
          align: WD_ALIGN_PARAGRAPH | None = None):
    p = cell_or_doc.add_paragraph()
    if align is not None:
        p.alignment = align
    run = p.add_run(text)
    run.bold, run.italic, run.font.size, run.font.name = bold, italic, Pt(size), "Times New Roman"
    return p


def write_dispatch(path: Path, *, body_paragraphs: int) -> Path:
    """A công văn with ``body_paragraphs`` body paragraphs and the ND30 signature block."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    _para(doc, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=13,
          align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "Độc lập - Tự do - Hạnh phúc", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "Số: 4267/BCĐ-NC", size=13)
    _para(doc, "V/v triển khai thực hiện Hướng dẫn số 22/HD-BCA-V05", size=12)
    for i in range(body_paragraphs):
        _para(doc, f"{i + 1}. Đề nghị các cơ quan, đơn vị, địa phương quán triệt và tổ chức "
                   "thực hiện nghiêm túc, báo cáo kết quả về Thường trực Ban Chỉ đạo đúng thời "
                   "hạn quy định (qua Phòng Cảnh sát hình sự).",
              align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Mm(85), Mm(80)
    left.paragraphs[0].add_run("Nơi nhận:").bold = True
    for line in ("- Như trên;", "- Lưu: VT, NC."):
        _para(left, line, size=11)
    first = right.paragraphs[0]
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = first.add_run(TITLE_LINES[0])
    run.bold, run.font.size = True, Pt(14)
    _para(right, TITLE_LINES[1], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for _ in range(4):
        _para(right, "", align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(right, SIGNER_NAME, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.save(path)
    return path


def convert(docx_files: list[Path], out_dir: Path, profile: Path) -> list[Path]:
    """Convert every file in one soffice run with its own profile (others may run soffice too)."""
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, docx_files)],
        check=True, capture_output=True, timeout=180,
    )
    return [out_dir / (f.stem + ".pdf") for f in docx_files]
