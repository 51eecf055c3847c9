"""Read-only views on one app: the deadlines board's flow runs note, the printed register
book, the document page's signatures, trace and audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from registry import db
from registry.models import Person
from tests.outbox.smtp_server import free_port
from tests.web.conftest import Web
from tests.web.module_world import module_web

PASSWORD = "thu-nghiem"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with module_web(tmp_path_factory.mktemp("views")) as built:
        yield built


class TestDeadlinesBoard:
    def test_board_has_totals_reminders_figures_and_loads_the_runs(self, web: Web) -> None:
        """The period's board shows totals, "send reminders now", the figures so far, and
        asks for the flow runs after it has rendered."""
        page = web.client.get("/requests", params={"period": "2022-Q4"}).text
        for text in ("Đã nộp", "Chậm nộp", "Gửi nhắc các đơn vị chưa nộp ngay",
                     "Số liệu tổng hợp đến nay", 'hx-get="/requests/luot-chay?period=2022-Q4"'):
            assert text in page, text

    def test_runs_without_a_prefect_server_say_not_connected(self, web: Web) -> None:
        """No CONGVAN_PREFECT_API_URL: the runs section says so, the page does not fail."""
        answer = web.client.get("/requests/luot-chay", params={"period": "2022-Q4"},
                                headers={"HX-Request": "true"})
        assert answer.status_code == 200 and "<html" not in answer.text
        assert "Chưa kết nối máy chủ Prefect" in answer.text

    def test_runs_with_a_server_that_is_down(self, web: Web) -> None:
        """A configured server that does not answer gives a note naming it, not an error."""
        web.settings.prefect_api_url = f"http://127.0.0.1:{free_port()}/api"
        try:
            answer = web.client.get("/requests/luot-chay", params={"period": "2022-Q4"})
        finally:
            web.settings.prefect_api_url = None
        assert answer.status_code == 200 and "Không đọc được máy chủ Prefect" in answer.text

    def test_reporters_do_not_see_the_runs(self, web: Web) -> None:
        """Flow runs are for the collecting body's staff."""
        web.sign_in(web.world.reporter_key)
        try:
            assert web.client.get("/requests/luot-chay?period=2022-Q4").status_code == 403
        finally:
            web.sign_in(web.world.clerk_key)


class TestRegisterBook:
    def test_print_view_has_the_cover_and_appendix_iv_columns(self, web: Web) -> None:
        """The outgoing book of 2022 has the body, title, year, number range and the ten
        Appendix IV columns with the issued letter's row."""
        page = web.client.get("/so-dang-ky/in", params={"huong": "di", "nam": 2022}).text
        for text in ("BAN CHỈ ĐẠO 138 TỈNH KON TUM", "SỔ ĐĂNG KÝ VĂN BẢN ĐI", "Năm 2022",
                     "Từ số 01/BCĐ-NC đến số 01/BCĐ-NC", "Số, ký hiệu văn bản",
                     "Đơn vị, người nhận bản lưu", "Ký nhận", "Lê Ngọc Tuấn",
                     "Công văn: V/v triển khai thực hiện Hướng dẫn số 22/HD-BCA-V05",
                     "/so-dang-ky/in.pdf?huong=di&amp;nam=2022"):
            assert text in page, text
        assert "Trích sổ theo" not in page  # the whole year's register: no cut

    def test_filters_cut_the_book_and_are_printed_on_the_cover(self, web: Web) -> None:
        """The page's search narrows the book, and the cover says how it was cut; a search
        that finds nothing prints an empty book, not an error."""
        cut = web.client.get("/so-dang-ky/in", params={
            "huong": "di", "q": "trien khai huong dan", "tu_ngay": "2022-12-01"}).text
        assert "01/BCĐ-NC" in cut and "Trích sổ theo: tìm “trien khai huong dan”" in cut
        assert "từ ngày 01/12/2022" in cut
        empty = web.client.get("/so-dang-ky/in", params={"huong": "di", "q": "xyzzy"}).text
        assert "Không có văn bản nào đã vào sổ khớp với bộ lọc" in empty

    def test_drafts_and_other_bodies_are_not_in_the_book(self, web: Web) -> None:
        """Only numbered documents of the person's own register are printed."""
        page = web.client.get("/so-dang-ky/in", params={"huong": "di"}).text
        assert "quý IV năm 2022" not in page and "dự thảo nội bộ" not in page

    def test_incoming_book_has_its_own_columns(self, web: Web) -> None:
        """The incoming book prints the incoming register's columns."""
        page = web.client.get("/so-dang-ky/in", params={"huong": "den", "nam": 2022}).text
        assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in page and "Số đến" in page and "Tác giả" in page

    def test_registers_page_links_to_the_books_with_its_filters(self, web: Web) -> None:
        """The result block carries print links with the current filters."""
        fragment = web.client.get("/so-dang-ky", params={"q": "trien khai", "nam": 2022},
                                  headers={"HX-Request": "true"}).text
        assert "/so-dang-ky/in?huong=di&amp;q=trien+khai&amp;nam=2022" in fragment
        assert "/so-dang-ky/in?huong=den&amp;q=trien+khai&amp;nam=2022" in fragment

    def test_pdf_through_libreoffice(self, web: Web, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """The same book as a PDF (one LibreOffice conversion): cover and row in its text."""
        import subprocess

        answer = web.client.get("/so-dang-ky/in.pdf", params={"huong": "di", "nam": 2022})
        assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")
        pdf = tmp_path / "so.pdf"
        pdf.write_bytes(answer.content)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True, timeout=60).stdout
        assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in text and "01/BCĐ-NC" in text


@dataclass(frozen=True)
class Signed:
    genuine_id: int
    tampered_id: int
    guidance_id: int


def _nd30_pdf(work: Path) -> tuple[bytes, Path]:
    """An issued document as the issuing pipeline leaves it — reserved fields, the person's
    signature, number and date filled, the organisation's signature — on a one-page PDF written
    by pyHanko (no LibreOffice: this module's one conversion is the register book's)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    from signing import final, keys
    from signing.keyring import KeySource
    from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD

    writer = PdfFileWriter()
    font = writer.add_object(generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Font"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
        generic.pdf_name("/BaseFont"): generic.pdf_name("/Times-Roman")}))
    content = writer.add_object(generic.StreamObject(
        stream_data=b"BT /F1 13 Tf 72 760 Td (So:      /BCD-NC) Tj ET"))
    writer.insert_page(PageObject(contents=content, media_box=(0, 0, 595, 842),
                                  resources=generic.DictionaryObject({generic.pdf_name("/Font"):
                                      generic.DictionaryObject({generic.pdf_name("/F1"): font})})))
    out = io.BytesIO()
    writer.write(out)
    slots = [final.Slot(final.NUMBER_FIELD, 0, (100, 755, 130, 771), 13),
             final.Slot(final.DAY_FIELD, 0, (300, 735, 316, 751), 13),
             final.Slot(final.MONTH_FIELD, 0, (350, 735, 366, 751), 13)]
    reserved = final.add_reserved_fields(out.getvalue(), slots)
    ca = keys.create_dev_ca(work / "ca", password=PASSWORD, signer_name="Lê Ngọc Tuấn",
                            organization="BAN CHỈ ĐẠO 138 TỈNH KON TUM")
    with KeySource.pkcs12(ca.signer_p12, PASSWORD).open() as person:
        # No appearance: this page has no signature block to place the image on.
        signed = person.sign_pdf(reserved, appearance=None, reason="Ký duyệt",
                                 field_name=PERSON_FIELD)
    filled = final.fill(signed, number=2, on=dt.date(2022, 12, 20))
    with KeySource.pkcs12(ca.organization_p12, PASSWORD).open() as org:
        genuine = org.sign_pdf(filled, appearance=None, reason="Chữ ký số của cơ quan",
                               field_name=ORGANIZATION_FIELD)
    return genuine, ca.ca_cert


@pytest.fixture(scope="module")
def signed(web: Web, tmp_path_factory: pytest.TempPathFactory) -> Signed:
    """Two issued letters with real ND30 signatures (one with bytes appended after signing),
    the guidance the first letter cites with its reporting duty, and another body's document
    answering it."""
    from registry import documents
    from registry.models import (
        Direction,
        Document,
        DocumentFile,
        DocumentStatus,
        Organization,
        Register,
        ReportingDuty,
    )

    genuine, ca_cert = _nd30_pdf(tmp_path_factory.mktemp("nd30"))
    web.settings.trust_roots = [ca_cert]
    assert web.settings.files_dir is not None
    ids = []
    with db.transaction() as session:
        issuer = session.scalar(select(Organization).where(Organization.key == "bcd-138"))
        chair = session.scalar(select(Person).where(Person.key == web.world.chair_key))
        assert issuer is not None and chair is not None
        for name, data in (("genuine", genuine), ("tampered", genuine + b"\n% sua sau khi ky\n")):
            doc = documents.create(session=session, doc_type="cong_van", issuer=issuer,
                                   subject=f"V/v đôn đốc báo cáo quý IV năm 2022 ({name})",
                                   drafting_unit="NC", recipients=[("Lưu: VT, NC.", None)])
            path = f"{name}.signed.pdf"
            (web.settings.files_dir / path).write_bytes(data)
            doc.files.append(DocumentFile(kind="signed_pdf", path=path, size=len(data),
                                          sha256=hashlib.sha256(data).hexdigest()))
            doc.signer = chair
            documents.issue_number(session=session, document=doc, on=dt.date(2022, 12, 20))
            doc.status = DocumentStatus.ISSUED
            session.flush()
            ids.append(doc.id)
        incoming = session.scalar(select(Register).where(Register.organization_id == issuer.id,
                                                         Register.direction == Direction.INCOMING))
        guidance = Document(direction=Direction.INCOMING, doc_type="huong_dan",
                            subject="Hướng dẫn thực hiện Chỉ thị 138 năm 2022",
                            original_number="22/HD-BCA-V05", sender_name="Bộ Công an",
                            original_date=dt.date(2022, 11, 1), register=incoming, number=1,
                            year=2022, status=DocumentStatus.RECEIVED)
        session.add(guidance)
        session.flush()
        issued = session.get(Document, web.world.issued_id)
        other = session.get(Document, web.world.other_draft_id)
        assert issued is not None and other is not None
        documents.link(session=session, source=issued, target=guidance, kind="cites")
        documents.link(session=session, source=other, target=issued, kind="answers")
        for duty in session.scalars(select(ReportingDuty)):
            duty.instruction_document_id = issued.id
        guidance_id = guidance.id
    return Signed(ids[0], ids[1], guidance_id)


class TestDocumentRecord:
    def test_genuine_signatures_with_role_time_and_verdict(self, web: Web, signed: Signed
                                                           ) -> None:
        """The issued PDF passes the ND30 profile: both signatures valid, each with its role
        and its time in Vietnam, and the register agrees it is the stored file."""
        page = web.client.get(f"/documents/{signed.genuine_id}").text
        section = page.split('id="chu-ky"')[1].split("</section>")[0]
        assert "Mọi chữ ký hợp lệ, tệp toàn vẹn." in section, section
        assert "Người có thẩm quyền ký — Trưởng ban" in section
        assert "Cơ quan ban hành — BAN CHỈ ĐẠO 138 TỈNH KON TUM" in section
        assert "Không hợp lệ" not in section and "Trong sổ: văn bản số 02/BCĐ-NC" in section
        assert re.search(r"\d\d:\d\d ngày \d+ tháng \d+ năm 20\d\d", section)

    def test_bytes_after_signing_are_invalid_with_the_reason(self, web: Web, signed: Signed
                                                             ) -> None:
        """A file with bytes appended after the organisation's signature is invalid, saying
        why (the ND30 profile's finding)."""
        page = web.client.get(f"/documents/{signed.tampered_id}").text
        section = html.unescape(page.split('id="chu-ky"')[1].split("</section>")[0])
        assert "Không hợp lệ" in section and "dữ liệu sau %%EOF cuối" in section

    def test_linked_documents_and_the_cycle_trace(self, web: Web, signed: Signed) -> None:
        """The letter shows the guidance it cites (a link), the other body's answer without its
        text, and the cycle from the guidance down to the period's requests."""
        page = web.client.get(f"/documents/{web.world.issued_id}").text
        section = page.split('id="lien-quan"')[1].split("</section>")[0]
        assert f'href="/documents/{signed.guidance_id}"' in section
        assert "căn cứ văn bản" in section and "22/HD-BCA-V05" in section
        assert "được trả lời bằng" in section and "(văn bản của cơ quan khác)" in section
        assert "dự thảo nội bộ" not in section
        assert "Kỳ quý IV năm 2022" in section and "2 yêu cầu" in section

    def test_deliveries_and_audit_trail(self, web: Web) -> None:
        """Recipients with their delivery state and the audit trail are on the page."""
        page = web.client.get(f"/documents/{web.world.issued_id}").text
        for text in ("Nơi nhận và tình trạng gửi", "Đã xác nhận", "Thất bại", "Lịch sử xử lý"):
            assert text in page, text
