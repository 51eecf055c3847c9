"""Scanned incoming documents read by the real Tesseract (Vietnamese model)."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox import ocr
from outbox.errors import IntakeError
from outbox.intake import attach_text_layer, read_file, register_incoming
from registry.models import Direction, DocumentText
from tests import factories

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-{}.ttf"
LEFT = ["CÔNG AN TỈNH KON TUM", "CÔNG AN HUYỆN ĐĂK HÀ", "", "Số: 152/CAH-TH", "",
        "V/v báo cáo kết quả xây dựng", "mô hình quý IV năm 2022"]
RIGHT = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "",
         "Đăk Hà, ngày 05 tháng 01 năm 2023"]
BODY = ["Kính gửi: Ban Chỉ đạo Phòng, chống tội phạm tỉnh.",
        "Thực hiện Công văn số 4267/BCĐ-NC, Công an huyện báo cáo kết quả",
        "xây dựng mô hình điển hình tiên tiến trên địa bàn như sau: tổ tự quản",
        "an ninh trật tự hoạt động hiệu quả tại các xã Hà Mòn và Đăk Mar."]


def scan_page(*, angle: float = 0.0) -> Image.Image:
    """An A4 page at 300 dpi laid out like a công văn (two-column header, body), greyscale."""
    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    regular = ImageFont.truetype(FONT.format("Regular"), 54)
    bold = ImageFont.truetype(FONT.format("Bold"), 50)
    for i, line in enumerate(LEFT):
        font = bold if i < 2 else regular
        width = draw.textlength(line, font=font)
        draw.text((700 - width / 2, 240 + i * 75), line, font=font, fill=0)
    for i, line in enumerate(RIGHT):
        font = bold if i < 2 else regular
        width = draw.textlength(line, font=font)
        draw.text((1690 - width / 2, 240 + i * 75), line, font=font, fill=0)
    for i, line in enumerate(BODY):
        draw.text((354, 1000 + i * 80), line, font=regular, fill=0)
    return page.rotate(angle, fillcolor=255, expand=False) if angle else page


def png_bytes(page: Image.Image) -> bytes:
    out = io.BytesIO()
    page.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


@pytest.fixture(scope="module")
def scan_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scan") / "cong-van-den.png"
    path.write_bytes(png_bytes(scan_page(angle=0.7)))
    return path


class TestHeader:
    def test_png_scan_proposes_every_field(self, scan_png: Path) -> None:
        """Number, symbol, date, issuer and V/v subject are read from a slightly skewed scan."""
        incoming = read_file(scan_png)
        assert incoming.number_symbol == "152/CAH-TH"
        assert incoming.original_date == date(2023, 1, 5)
        assert incoming.sender_name == "CÔNG AN TỈNH KON TUM CÔNG AN HUYỆN ĐĂK HÀ"
        assert incoming.subject == "V/v báo cáo kết quả xây dựng mô hình quý IV năm 2022"
        assert incoming.channel == "scan" and len(incoming.scan_pages) == 1

    def test_scanned_pdf_is_read_as_a_scan(self, tmp_path: Path) -> None:
        """A PDF without a text layer goes through OCR, not pdftotext."""
        path = tmp_path / "scan.pdf"
        scan_page().convert("RGB").save(path, format="PDF", resolution=300)
        incoming = read_file(path)
        assert incoming.channel == "scan" and incoming.number_symbol == "152/CAH-TH"

    def test_blank_page_leaves_fields_empty(self, tmp_path: Path) -> None:
        """A page with nothing readable proposes nothing; the clerk types the fields."""
        path = tmp_path / "blank.png"
        path.write_bytes(png_bytes(Image.new("L", (1240, 1754), 255)))
        incoming = read_file(path)
        assert (incoming.number_symbol, incoming.subject, incoming.original_date) == ("", "",
                                                                                     None)

    def test_multipage_tiff_gives_every_page(self) -> None:
        """A two-page TIFF scan is two pages (the text layer covers both)."""
        first, second = scan_page().resize((620, 877)), Image.new("L", (620, 877), 255)
        out = io.BytesIO()
        first.save(out, format="TIFF", save_all=True, append_images=[second])
        assert [p.size for p in ocr.load_pages(out.getvalue(), ".tiff")] == [(620, 877)] * 2

    def test_missing_fields_say_what_was_read(self) -> None:
        """When a scan lacks a field, the error names the option and shows what was read."""
        from outbox.intake import Incoming, require_complete

        scan = Incoming(number_symbol="152/CAH-TH", subject="", sender_name="CÔNG AN HUYỆN",
                        channel="scan")
        with pytest.raises(IntakeError, match=r"nhập --subject ….*số «152»"):
            require_complete(scan)

    def test_not_an_image(self, tmp_path: Path) -> None:
        """A .png that is not an image is refused in Vietnamese."""
        path = tmp_path / "x.png"
        path.write_bytes(b"not a png")
        with pytest.raises(IntakeError, match="Không đọc được ảnh quét"):
            read_file(path)

    def test_decompression_bomb_is_refused(self, tmp_path: Path) -> None:
        """An image claiming more pixels than a scan can have is refused, not decoded."""
        path = tmp_path / "bomb.png"
        Image.new("1", (12000, 12000), 1).save(path, format="PNG")
        with pytest.raises(IntakeError, match="ảnh quét"):
            read_file(path)


class TestTextLayer:
    def test_stored_pdf_is_searchable(self, session: Session, tmp_path: Path,
                                      scan_png: Path) -> None:
        """After registration the scan's PDF with its text layer is stored; pdftotext finds the
        body's words and the register search text holds them."""
        org = factories.org(session)
        factories.register(session, org, code="DEN", direction=Direction.INCOMING)
        incoming = read_file(scan_png)
        done = register_incoming(session=session, organization_id=org.id, incoming=incoming,
                                 arrived_at=datetime(2023, 1, 6, 2, tzinfo=UTC),
                                 files_root=tmp_path)
        stored = attach_text_layer(session=session, document_id=done.document.id,
                                   layer=ocr.text_layer(incoming.scan_pages),
                                   files_root=tmp_path)
        text = subprocess.run(["pdftotext", str(tmp_path / stored.path), "-"],
                              capture_output=True, check=True).stdout.decode()
        assert "Hà Mòn" in text and "152/CAH-TH" in text
        row = session.scalar(select(DocumentText).where(
            DocumentText.document_id == done.document.id))
        assert row is not None and row.source == "ocr" and "Hà Mòn" in row.text
        assert [f.kind for f in done.document.files] == ["source", "ocr_pdf"]
