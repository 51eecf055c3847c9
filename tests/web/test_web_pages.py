"""The pages a clerk reads: documents, one document, the outbox, owed reports, the ack link."""

from __future__ import annotations

import hashlib

from outbox.receipts import make_token
from registry import db
from registry.models import Delivery, DeliveryStatus
from tests.web.conftest import SECRET, Web


class TestDocumentsList:
    def test_lists_number_date_subject_and_status_in_vietnamese(self, web: Web) -> None:
        """The list shows số/ký hiệu, the ND30 date, trích yếu and the status label."""
        page = web.client.get("/").text
        assert "01/BCĐ-NC" in page and "ngày 16 tháng 12 năm 2022" in page
        assert "V/v triển khai thực hiện Hướng dẫn số 22/HD-BCA-V05" in page
        assert "Đã ban hành" in page and "Chờ duyệt" in page

    def test_status_filter_over_htmx_returns_only_the_table(self, web: Web) -> None:
        """An HTMX filter request gets the table fragment with only that status's documents."""
        response = web.client.get("/?status=submitted", headers={"HX-Request": "true"})
        assert response.status_code == 200 and "<html" not in response.text
        assert 'id="documents"' in response.text and "01/BCĐ-NC" not in response.text
        assert "quý IV năm 2022" in response.text
        assert response.headers["Vary"] == "HX-Request"

    def test_unknown_status_shows_everything(self, web: Web) -> None:
        """A status that does not exist is ignored rather than failing."""
        page = web.client.get("/?status=bogus").text
        assert "01/BCĐ-NC" in page and "quý IV năm 2022" in page


class TestDocumentPage:
    def test_recipients_show_their_delivery_state(self, web: Web) -> None:
        """Each recipient shows sent, acknowledged or failed; the archive line is not sent."""
        page = web.client.get(f"/documents/{web.world.issued_id}").text
        for text in ("Công an huyện Đăk Hà", "Đã gửi", "Đã xác nhận", "Thất bại",
                     "550 5.1.1", "Lưu tại văn thư", "Lê Ngọc Tuấn"):
            assert text in page, text

    def test_files_show_sha256_and_download_byte_for_byte(self, web: Web) -> None:
        """The file's SHA-256 is printed and the download is the registered bytes."""
        page = web.client.get(f"/documents/{web.world.issued_id}").text
        assert web.world.pdf_sha256 in page
        download = web.client.get(
            f"/documents/{web.world.issued_id}/files/{web.world.file_id}")
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == web.world.pdf_sha256
        assert "01-BCĐ-NC" in download.headers["content-disposition"] or \
            "01-BC%C4%90-NC" in download.headers["content-disposition"]

    def test_a_file_of_another_document_is_404(self, web: Web) -> None:
        """Files are reached only through their own document."""
        response = web.client.get(f"/documents/{web.world.draft_id}/files/{web.world.file_id}")
        assert response.status_code == 404

    def test_history_lists_versions_and_audit_events(self, web: Web) -> None:
        """The draft shows its submitted version and the submit event."""
        page = web.client.get(f"/documents/{web.world.draft_id}").text
        assert "Các lần dự thảo" in page and "Trình ký" in page and "Tạo dự thảo" in page
        assert "Phê duyệt" in page and "Trả lại" in page


class TestOutbox:
    def test_counts_and_dead_letters(self, web: Web) -> None:
        """The outbox shows counts by state and the dead letter with its error."""
        page = web.client.get("/outbox").text
        assert "Hộp thư đi" in page and "Gửi lại" in page and "Công an huyện Ngọc Hồi" in page

    def test_clerk_requeues_a_dead_letter(self, web: Web) -> None:
        """A signed-in clerk's re-queue answers with the updated row and queues the delivery."""
        web.sign_in(web.world.clerk_key)
        response = web.client.post(f"/outbox/deliveries/{web.world.dead_id}/retry",
                                   headers={"HX-Request": "true"})
        assert response.status_code == 200 and "Đã đưa lại vào hàng đợi" in response.text
        with db.transaction() as session:
            delivery = session.get(Delivery, web.world.dead_id)
            assert delivery is not None and delivery.status is DeliveryStatus.QUEUED
        again = web.client.post(f"/outbox/deliveries/{web.world.dead_id}/retry")
        assert again.status_code == 409

    def test_reporter_may_not_requeue(self, web: Web) -> None:
        """Re-queueing needs the clerk role."""
        web.sign_in(web.world.reporter_key)
        response = web.client.post(f"/outbox/deliveries/{web.world.dead_id}/retry")
        assert response.status_code == 403 and "văn thư" in response.text


class TestRequests:
    def test_late_units_are_highlighted(self, web: Web) -> None:
        """An open request past its due date is marked late; a submitted one is not."""
        page = web.client.get("/requests").text
        assert "2022-Q4" in page and "ngày 10 tháng 12 năm 2022" in page
        assert 'class="late"' in page and "Chậm nộp" in page
        assert "CÔNG AN HUYỆN NGỌC HỒI" in page and "Đã nộp" in page

    def test_late_only_filter(self, web: Web) -> None:
        """``late=true`` keeps only the late units."""
        page = web.client.get("/requests?late=true", headers={"HX-Request": "true"}).text
        assert "CÔNG AN HUYỆN NGỌC HỒI" in page and "CÔNG AN HUYỆN ĐĂK HÀ" not in page


class TestAcknowledgement:
    def test_link_acknowledges_once_and_thanks_the_recipient(self, web: Web) -> None:
        """The e-mail's link records the receipt; opening it again says so."""
        token = make_token(secret=SECRET, delivery_id=web.world.sent_id)
        first = web.client.get(f"/ack/{token}")
        assert first.status_code == 200 and "Cảm ơn, đã ghi nhận" in first.text
        assert "01/BCĐ-NC" in first.text and "Công an huyện Đăk Hà" in first.text
        with db.transaction() as session:
            delivery = session.get(Delivery, web.world.sent_id)
            assert delivery is not None and delivery.status is DeliveryStatus.ACKNOWLEDGED
        second = web.client.get(f"/xac-nhan/{token}")
        assert second.status_code == 200 and "đã được xác nhận trước đó" in second.text

    def test_forged_token_is_a_vietnamese_404(self, web: Web) -> None:
        """A token that was changed or made up gets a 404 page that says the link is invalid."""
        token = make_token(secret="not-our-secret", delivery_id=web.world.sent_id)
        response = web.client.get(f"/ack/{token}")
        assert response.status_code == 404
        assert "Đường dẫn xác nhận không hợp lệ" in response.text
