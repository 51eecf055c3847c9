"""The pages a clerk reads: documents, one document, the outbox, owed reports, the ack link."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from outbox.receipts import make_token
from registry import db
from registry.models import Delivery, DeliveryStatus, DraftVersion, Person
from tests.web.conftest import SECRET, Web, csrf_of


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
        """Opening the e-mail's link changes nothing (a link scanner cannot acknowledge); its
        button POSTs the receipt; doing it again says so."""
        web.sign_out()
        token = make_token(secret=SECRET, delivery_id=web.world.sent_id)
        shown = web.client.get(f"/ack/{token}")
        assert shown.status_code == 200 and "Xác nhận đã nhận văn bản" in shown.text
        with db.transaction() as session:
            delivery = session.get(Delivery, web.world.sent_id)
            assert delivery is not None and delivery.status is DeliveryStatus.SENT
        first = web.client.post(f"/ack/{token}", data={"csrf_token": csrf_of(shown.text)})
        assert first.status_code == 200 and "Cảm ơn, đã ghi nhận" in first.text
        assert "01/BCĐ-NC" in first.text and "Công an huyện Đăk Hà" in first.text
        with db.transaction() as session:
            delivery = session.get(Delivery, web.world.sent_id)
            assert delivery is not None and delivery.status is DeliveryStatus.ACKNOWLEDGED
        again = web.client.get(f"/xac-nhan/{token}")
        assert "Đã xác nhận lúc" in again.text
        second = web.client.post(f"/xac-nhan/{token}", data={"csrf_token": csrf_of(shown.text)})
        assert second.status_code == 200 and "đã được xác nhận trước đó" in second.text
        assert web.client.post(f"/ack/{token}").status_code == 403  # no form token

    def test_forged_token_is_a_vietnamese_404(self, web: Web) -> None:
        """A token that was changed or made up gets a 404 page that says the link is invalid."""
        token = make_token(secret="not-our-secret", delivery_id=web.world.sent_id)
        response = web.client.get(f"/ack/{token}")
        assert response.status_code == 404
        assert "Đường dẫn xác nhận không hợp lệ" in response.text


class TestTodo:
    def test_leader_sees_the_draft_waiting_and_the_clerk_the_dead_letter(self, web: Web) -> None:
        """The documents page opens with what waits for the signed-in person's role."""
        web.sign_in(web.world.chair_key)
        page = web.client.get("/").text
        assert "Dự thảo chờ bạn duyệt" in page and f"/documents/{web.world.draft_id}" in page
        web.sign_in(web.world.clerk_key)
        page = web.client.get("/").text
        assert "Dự thảo chờ bạn duyệt" not in page
        assert "1 lượt gửi thất bại cần xử lý" in page

    def test_reporter_sees_the_units_owed_report(self, web: Web) -> None:
        """A unit's reporter sees its open request with a link to the form."""
        web.sign_in(web.world.reporter_key)
        page = web.client.get("/").text
        assert "Báo cáo đơn vị phải nộp" in page
        assert f'href="/bao-cao/{web.world.late_request_id}"' in page


class TestReviewerView:
    def test_changes_from_the_previous_version_are_shown(self, web: Web) -> None:
        """After a return and a revised resubmission the page shows the body's diff."""
        from signing import approvals

        with db.transaction() as session:
            chair = session.scalar(select(Person).where(Person.key == web.world.chair_key))
            clerk = session.scalar(select(Person).where(Person.key == web.world.clerk_key))
            approvals.return_(session=session, document_id=web.world.draft_id, actor=chair,
                              comment="Sửa hạn báo cáo")
            approvals.edit(session=session, document_id=web.world.draft_id, actor=clerk,
                           body="Đề nghị các đơn vị báo cáo trước ngày 15 tháng 12.")
            approvals.submit(session=session, document_id=web.world.draft_id, actor=clerk,
                             files_root=web.settings.files_dir)
        web.sign_in(web.world.chair_key)
        page = web.client.get(f"/documents/{web.world.draft_id}").text
        assert "Thay đổi so với lần trước" in page
        assert '<span class="del">-Đề nghị các đơn vị báo cáo trước ngày 10' in page
        assert '<span class="add">+Đề nghị các đơn vị báo cáo trước ngày 15' in page
        assert f"/documents/{web.world.draft_id}/versions/2/pdf" in page

    @pytest.mark.libreoffice
    def test_draft_pdf_is_served_inline_and_kept(self, web: Web) -> None:
        """The reviewer reads the current version as a PDF converted once from its .docx."""
        web.sign_in(web.world.chair_key)
        url = f"/documents/{web.world.draft_id}/versions/1/pdf"
        first = web.client.get(url)
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "application/pdf"
        assert first.headers["content-disposition"].startswith("inline")
        assert first.content.startswith(b"%PDF")
        with db.transaction() as session:
            version = session.scalar(select(DraftVersion).where(
                DraftVersion.document_id == web.world.draft_id))
            assert version is not None and version.pdf_path
        assert web.client.get(url).content == first.content
        web.sign_in(web.world.other_clerk_key)
        assert web.client.get(url).status_code == 404

    def test_signed_file_that_is_not_a_signed_pdf_is_reported(self, web: Web) -> None:
        """The signatures card says what the verifier found, even for a broken file."""
        page = web.client.get(f"/documents/{web.world.issued_id}").text
        assert "Chữ ký số" in page and "PDF" in page and 'class="alert alert-error"' in page


class TestDeadlinesBoard:
    def test_totals_days_late_and_figures_so_far(self, web: Web) -> None:
        """The board counts submitted and late units, says how many days late, and shows the
        figures aggregated from what was filed."""
        page = web.client.get("/requests", params={"period": "2022-Q4"}).text
        assert 'class="count r-submitted"><span class="n">1<' in page
        assert 'class="count late"><span class="n">1<' in page
        assert "Chậm nộp" in page and " ngày</span>" in page
        assert "Số liệu tổng hợp đến nay" in page and "1.500" in page
        assert "Chưa nộp: " in page

    def test_remind_now_sends_once(self, web: Web) -> None:
        """The button queues one notice per owing unit; pressing again queues none."""
        first = web.client.post("/requests/nhac", data={"period": "2022-Q4"},
                                headers={"HX-Request": "true"})
        assert first.status_code == 200 and "Đã đưa 1 thông báo nhắc" in first.text
        again = web.client.post("/requests/nhac", data={"period": "2022-Q4"},
                                headers={"HX-Request": "true"})
        assert "Đã đưa 0 thông báo nhắc" in again.text
        web.sign_in(web.world.reporter_key)
        assert web.client.post("/requests/nhac", data={"period": "2022-Q4"}).status_code == 403
