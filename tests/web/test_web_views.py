"""Read-only views on one app: the deadlines board's flow runs note, the printed register
book, the document page's signatures, trace and audit trail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.outbox.smtp_server import free_port
from tests.web.conftest import Web
from tests.web.module_world import module_web


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
