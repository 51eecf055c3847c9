"""What leaders and units do through the web: approve or return a draft, post a report."""

from __future__ import annotations

from registry import db
from registry.models import Document, DocumentStatus, ReportRequest, RequestStatus
from tests.web.conftest import Web


def _status(document_id: int) -> DocumentStatus:
    with db.transaction() as session:
        document = session.get(Document, document_id)
        assert document is not None
        return document.status


class TestApproval:
    def test_leader_approves_over_htmx(self, web: Web) -> None:
        """The chair's approval moves the draft to approved and HTMX is sent back to the page."""
        web.sign_in(web.world.chair_key)
        response = web.client.post(f"/documents/{web.world.draft_id}/approve",
                                   data={"comment": "Đồng ý"}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response.headers["HX-Redirect"] == f"/documents/{web.world.draft_id}"
        assert _status(web.world.draft_id) is DocumentStatus.APPROVED
        assert "Duyệt" in web.client.get(f"/documents/{web.world.draft_id}").text

    def test_clerk_may_not_approve(self, web: Web) -> None:
        """A clerk has no reviewing role: 403 with the reason, and nothing changes."""
        web.sign_in(web.world.clerk_key)
        response = web.client.post(f"/documents/{web.world.draft_id}/approve")
        assert response.status_code == 403 and "không có vai trò lãnh đạo" in response.text
        assert _status(web.world.draft_id) is DocumentStatus.SUBMITTED

    def test_anonymous_may_not_approve(self, web: Web) -> None:
        """Without signing in, the decision is refused (even with a pre-session form token)."""
        web.sign_out()
        token = web.form_token("/dang-nhap")
        response = web.client.post(f"/documents/{web.world.draft_id}/approve",
                                   data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dang-nhap?next=")
        assert _status(web.world.draft_id) is DocumentStatus.SUBMITTED

    def test_return_needs_a_comment_and_shows_it(self, web: Web) -> None:
        """Returning without a comment is a 422 naming the field; with one, it is recorded."""
        web.sign_in(web.world.chair_key)
        empty = web.client.post(f"/documents/{web.world.draft_id}/return", data={"comment": " "})
        assert empty.status_code == 422 and "phải ghi ý kiến" in empty.text
        comment = "Bổ sung căn cứ Hướng dẫn số 22/HD-BCA-V05"
        done = web.client.post(f"/documents/{web.world.draft_id}/return",
                               data={"comment": comment})
        assert done.status_code == 200  # followed the 303 back to the document
        assert _status(web.world.draft_id) is DocumentStatus.RETURNED
        assert comment in done.text and "Bị trả lại" in done.text


class TestSubmissionApi:
    def test_reporter_files_the_report_of_the_own_unit(self, web: Web) -> None:
        """Valid figures are accepted and the request becomes submitted."""
        web.sign_in(web.world.reporter_key)
        response = web.client.post(f"/api/requests/{web.world.late_request_id}/submission",
                                   json={"values": {"mo_hinh": 7, "nguoi_tham_gia": 230}})
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is True and response.json()["submission_id"]
        with db.transaction() as session:
            request = session.get(ReportRequest, web.world.late_request_id)
            assert request is not None and request.status is RequestStatus.SUBMITTED

    def test_wrong_figures_are_422_naming_the_indicator(self, web: Web) -> None:
        """Each wrong indicator comes back with its Vietnamese label and the fix."""
        web.sign_in(web.world.reporter_key)
        response = web.client.post(f"/api/requests/{web.world.late_request_id}/submission",
                                   json={"values": {"mo_hinh": -1, "nguoi_tham_gia": 5}})
        assert response.status_code == 422
        body = response.json()
        assert body["field"] == "mo_hinh"
        assert "Tổng số mô hình" in body["errors"][0]["message"]
        assert "nhỏ hơn mức tối thiểu" in body["errors"][0]["message"]

    def test_malformed_body_is_422_json_in_vietnamese(self, web: Web) -> None:
        """A body without ``values`` is refused with the field named."""
        web.sign_in(web.world.reporter_key)
        response = web.client.post(f"/api/requests/{web.world.late_request_id}/submission",
                                   json={"so_lieu": {}})
        assert response.status_code == 422
        assert response.json()["field"] == "values" and "thiếu" in response.json()["detail"]

    def test_another_units_request_is_403_json(self, web: Web) -> None:
        """A reporter cannot file the report owed by another unit."""
        web.sign_in(web.world.reporter_key)
        response = web.client.post(
            f"/api/requests/{web.world.submitted_request_id}/submission",
            json={"values": {"mo_hinh": 1, "nguoi_tham_gia": 1}})
        assert response.status_code == 403 and "đơn vị" in response.json()["detail"]

    def test_unknown_request_is_404_json(self, web: Web) -> None:
        """An id that names no request is a JSON 404."""
        web.sign_in(web.world.reporter_key)
        response = web.client.post("/api/requests/999999/submission",
                                   json={"values": {"mo_hinh": 1}})
        assert response.status_code == 404 and "#999999" in response.json()["detail"]

    def test_anonymous_post_is_403_json(self, web: Web) -> None:
        """The JSON door needs a signed-in reporter."""
        web.sign_out()
        token = web.form_token("/dang-nhap")
        response = web.client.post(f"/api/requests/{web.world.late_request_id}/submission",
                                   json={"values": {"mo_hinh": 1, "nguoi_tham_gia": 1}},
                                   headers={"X-CSRF-Token": token})
        assert response.status_code == 403 and "đăng nhập" in response.json()["detail"]
