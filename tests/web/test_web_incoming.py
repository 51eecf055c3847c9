"""Incoming documents in the browser's forms: registration from a file or paper, duplicates,
presentation, assignment with a due date, progress and completion."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from sqlalchemy import select

from registry import db
from registry.models import Direction, Document, HandlingAssignment
from tests.web.conftest import Web

FIELDS = {"number": "22", "symbol": "HD-BCA-V05", "date": "05/12/2022",
          "issuer": "Bộ Công an", "subject": "Hướng dẫn thực hiện mô hình tự quản về ANTT",
          "via": "paper"}


def _register(web: Web, **extra: str) -> object:
    data = {**FIELDS, "action": "vao-so", **extra}
    return web.client.post("/van-ban-den/moi", data=data, follow_redirects=False)


def _docx() -> bytes:
    doc = DocxDocument()
    for line in ("BỘ CÔNG AN", "Số: 22/HD-BCA-V05", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "Hà Nội, ngày 05 tháng 12 năm 2022",
                 "HƯỚNG DẪN", "Thực hiện mô hình tự quản về an ninh trật tự", "Nội dung."):
        doc.add_paragraph(line)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


class TestRegistration:
    def test_paper_document_gets_an_incoming_number_and_a_duplicate_none(self, web: Web
                                                                          ) -> None:
        """The first registration numbers it; the same document again is marked duplicate."""
        first = _register(web)
        assert first.status_code == 303, first.text
        document_id = int(first.headers["location"].split("/")[2])
        listing = web.client.get("/van-ban-den", params={"nam": 2026}).text
        assert "22/HD-BCA-V05" in listing and "Chưa trình" in listing
        again = _register(web)
        assert again.headers["location"] == f"/documents/{document_id}?trung=1"
        assert "đã được vào sổ trước đó" in web.client.get(again.headers["location"]).text

    def test_missing_fields_are_named(self, web: Web) -> None:
        """Registering without a subject names what is missing."""
        answer = _register(web, subject="")
        assert answer.status_code == 422 and "trích yếu" in answer.text.lower()

    def test_a_file_is_read_and_its_name_stays_in_the_upload_folder(self, web: Web) -> None:
        """The fields are proposed from the file; a name with ../ is stored inside the folder."""
        read = web.client.post("/van-ban-den/moi", data={"action": "doc"}, files={
            "tep": ("../../../ngoai-thu-muc.docx", _docx(),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
        assert read.status_code == 200, read.text
        assert 'value="22"' in read.text and "HD-BCA-V05" in read.text
        assert "ngoai-thu-muc.docx" in read.text
        assert web.settings.files_dir is not None
        root = Path(web.settings.files_dir)
        everywhere = list(root.parent.rglob("ngoai-thu-muc.docx"))
        assert len(everywhere) == 1 and everywhere[0].is_relative_to(root / "tai-len")

    def test_registering_a_scan_reuses_the_proposal(self, web: Web,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        """"Đọc tệp" runs OCR once; "Vào sổ" on the same staged file registers the fields the
        clerk confirmed (here a corrected subject) without reading the scan a second time."""
        from outbox import ocr
        from tests.outbox.test_ocr import png_bytes, scan_page

        calls: list[int] = []
        header_lines = ocr.header_lines

        def counted(page: object) -> list[str]:
            calls.append(1)
            return header_lines(page)  # type: ignore[arg-type]

        monkeypatch.setattr(ocr, "header_lines", counted)
        read = web.client.post("/van-ban-den/moi", data={"action": "doc"}, files={
            "tep": ("cong-van-den.png", png_bytes(scan_page()), "image/png")})
        assert read.status_code == 200, read.text
        assert 'value="152"' in read.text and len(calls) == 1
        token = re.search(r'name="token" value="([0-9a-f]{32})"', read.text)
        assert token is not None
        subject = "V/v báo cáo kết quả xây dựng mô hình tự quản quý IV năm 2022"
        done = web.client.post("/van-ban-den/moi", follow_redirects=False, data={
            "action": "vao-so", "token": token[1], "number": "152", "symbol": "CAH-TH",
            "date": "05/01/2023", "issuer": "Công an huyện Kon Rẫy", "subject": subject,
            "via": "paper"})
        assert done.status_code == 303, done.text
        assert len(calls) == 1, "the scan was read again at registration"
        with db.transaction() as session:
            doc = session.get(Document, int(done.headers["location"].split("/")[2]))
            assert doc is not None
            assert (doc.original_number, doc.subject) == ("152/CAH-TH", subject)
            assert doc.original_date == dt.date(2023, 1, 5)
            assert doc.sender_name == "Công an huyện Kon Rẫy"
            assert [f.kind for f in doc.files] == ["source"]
        assert web.settings.files_dir is not None
        staged = Path(web.settings.files_dir) / "tai-len"
        assert not (staged / token[1]).exists() and not (staged / f"{token[1]}.json").exists(), \
            "the staged upload outlived its registration"

    def test_uploads_left_unregistered_are_swept_after_two_days(self, web: Web) -> None:
        """A file read but never registered stays two days for the clerk to come back to, then
        goes at the next upload; a younger one and anything not an upload stay."""
        import os
        import time

        assert web.settings.files_dir is not None
        staged = Path(web.settings.files_dir) / "tai-len"
        staged.mkdir(parents=True, exist_ok=True)
        old, young = "a" * 32, "b" * 32
        for token, age_days in ((old, 3), (young, 1)):
            (staged / token).mkdir()
            (staged / token / "quet.png").write_bytes(b"x")
            (staged / f"{token}.json").write_text("{}")
            moment = time.time() - age_days * 86400
            for path in (staged / token, staged / f"{token}.json"):
                os.utime(path, (moment, moment))
        (staged / "ghi-chu.txt").write_text("không phải tệp tải lên")
        os.utime(staged / "ghi-chu.txt", (time.time() - 9 * 86400,) * 2)
        read = web.client.post("/van-ban-den/moi", data={"action": "doc"}, files={
            "tep": ("cong-van.docx", _docx(),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")})
        assert read.status_code == 200, read.text
        left = {p.name for p in staged.iterdir()}
        assert old not in left and f"{old}.json" not in left
        assert {young, f"{young}.json", "ghi-chu.txt"} <= left

    def test_reporter_cannot_register(self, web: Web) -> None:
        """Registering incoming documents is the clerk's work."""
        web.sign_in(web.world.reporter_key)
        assert web.client.get("/van-ban-den/moi").status_code == 403


class TestHandling:
    def test_present_assign_progress_done(self, web: Web) -> None:
        """Clerk presents to the chair, the chair assigns the clerk with a due date, the clerk
        reports progress and completes."""
        document_id = int(_register(web).headers["location"].split("/")[2])
        assert "Văn bản đến chưa trình lãnh đạo" in web.client.get("/").text
        presented = web.client.post(f"/van-ban-den/{document_id}/trinh",
                                    data={"leader": web.world.chair_key})
        assert presented.status_code == 200 and "trình lãnh đạo" in presented.text
        web.sign_in(web.world.chair_key)
        assert "Văn bản đến chờ bạn giao xử lý" in web.client.get("/").text
        assigned = web.client.post(f"/van-ban-den/{document_id}/giao", data={
            "main": f"p:{web.world.clerk_key}", "due": "2030-12-31",
            "opinion": "Giao văn thư tổng hợp, báo cáo trước hạn."})
        assert assigned.status_code == 200 and "giao xử lý" in assigned.text
        web.sign_in(web.world.clerk_key)
        assert "Văn bản đến được giao xử lý" in web.client.get("/").text
        step = web.client.post(f"/van-ban-den/{document_id}/tien-do",
                               data={"note": "Đã gửi các đơn vị", "xong": ""})
        assert step.status_code == 200 and "Đã gửi các đơn vị" in step.text
        finished = web.client.post(f"/van-ban-den/{document_id}/tien-do",
                                   data={"note": "Đã tổng hợp xong", "xong": "1"})
        assert finished.status_code == 200 and "hoàn thành" in finished.text
        with db.transaction() as session:
            main = session.scalar(select(HandlingAssignment).where(
                HandlingAssignment.document_id == document_id,
                HandlingAssignment.role == "main"))
            assert main is not None and main.status == "done"

    def test_a_clerk_cannot_assign_and_another_body_sees_nothing(self, web: Web) -> None:
        """Assignment is the leader's (403); the document is 404 for another organisation."""
        document_id = int(_register(web).headers["location"].split("/")[2])
        assert web.client.post(f"/van-ban-den/{document_id}/giao",
                               data={"main": f"p:{web.world.clerk_key}"}).status_code == 403
        web.sign_in(web.world.other_clerk_key)
        assert web.client.get(f"/documents/{document_id}").status_code == 404
        with db.transaction() as session:
            doc = session.get(Document, document_id)
            assert doc is not None and doc.direction is Direction.INCOMING
