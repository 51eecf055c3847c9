"""Attacks against the running app (TestClient): CSRF, other organisations, roles, escaping,
uploads over the limit, acknowledgement by GET, reporter links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from congvan.auth import links
from registry import db
from registry.models import Document, DocumentStatus, Person
from tests.web.conftest import Web, csrf_of


def _status(document_id: int) -> DocumentStatus:
    with db.transaction() as session:
        document = session.get(Document, document_id)
        assert document is not None
        return document.status


class TestCsrf:
    def test_form_without_token_is_403_and_changes_nothing(self, web: Web) -> None:
        """A signed-in leader's approval without the token is refused."""
        web.sign_in(web.world.chair_key)
        web.client.headers.pop("X-CSRF-Token")
        answer = web.client.post(f"/documents/{web.world.draft_id}/approve",
                                 data={"comment": "Đồng ý"})
        assert answer.status_code == 403 and "CSRF" in answer.text
        assert _status(web.world.draft_id) is DocumentStatus.SUBMITTED

    def test_wrong_token_and_another_sessions_token_are_403(self, web: Web) -> None:
        """A made-up token, or the token of an earlier session, does not pass."""
        web.sign_in(web.world.chair_key)
        old = web.client.headers["X-CSRF-Token"]
        for token in ("gia-mao", old[:-1] + ("A" if old[-1] != "A" else "B")):
            answer = web.client.post(f"/documents/{web.world.draft_id}/approve",
                                     headers={"X-CSRF-Token": token})
            assert answer.status_code == 403
        web.sign_in(web.world.chair_key)
        answer = web.client.post(f"/documents/{web.world.draft_id}/approve",
                                 headers={"X-CSRF-Token": old})
        assert answer.status_code == 403
        assert _status(web.world.draft_id) is DocumentStatus.SUBMITTED

    @pytest.mark.parametrize("origin", ["http://testserver:8081", "http://evil.testserver",
                                        "null"])
    def test_other_origin_is_403_even_with_the_token(self, web: Web, origin: str) -> None:
        """A page on another port or subdomain cannot post, whatever it sends."""
        web.sign_in(web.world.clerk_key)
        answer = web.client.post(f"/outbox/deliveries/{web.world.dead_id}/retry",
                                 headers={"Origin": origin})
        assert answer.status_code == 403 and "trang khác" in answer.text
        same = web.client.post(f"/outbox/deliveries/{web.world.dead_id}/retry",
                               headers={"Origin": "http://testserver"})
        assert same.status_code == 200

    def test_json_api_needs_the_header_token(self, web: Web) -> None:
        """A JSON POST with the session cookie but no X-CSRF-Token is refused."""
        web.sign_in(web.world.reporter_key)
        web.client.headers.pop("X-CSRF-Token")
        answer = web.client.post(f"/api/requests/{web.world.late_request_id}/submission",
                                 json={"values": {"mo_hinh": 7, "nguoi_tham_gia": 1}})
        assert answer.status_code == 403 and "CSRF" in answer.json()["detail"]


class TestOtherOrganisation:
    def test_another_bodys_draft_and_files_are_404_everywhere(self, web: Web) -> None:
        """The page, its files, the API and the decision routes all say it does not exist."""
        web.sign_in(web.world.chair_key)
        other = web.world.other_draft_id
        assert web.client.get(f"/documents/{other}").status_code == 404
        assert web.client.get(f"/api/documents/{other}").status_code == 404
        assert web.client.post(f"/documents/{other}/approve").status_code == 404
        assert web.client.post(f"/api/documents/{other}/approve", json={}).status_code == 404
        with db.transaction() as session:
            doc = session.get(Document, other)
            assert doc is not None
            file_ids = [f.id for f in doc.files]
        for file_id in file_ids:
            assert web.client.get(f"/documents/{other}/files/{file_id}").status_code == 404
        listed = web.client.get("/api/documents").json()
        assert other not in [d["id"] for d in listed]
        assert "dự thảo nội bộ của huyện Sa Thầy" not in web.client.get("/").text

    def test_the_other_body_sees_its_own_draft_but_not_ours(self, web: Web) -> None:
        """The rule cuts both ways."""
        web.sign_in(web.world.other_leader_key)
        assert web.client.get(f"/documents/{web.world.other_draft_id}").status_code == 200
        assert web.client.get(f"/documents/{web.world.draft_id}").status_code == 404

    def test_recipients_see_an_issued_document_addressed_to_them(self, web: Web) -> None:
        """A unit's reporter sees the issued công văn sent to the unit, not the draft."""
        web.sign_in(web.world.reporter_key)
        assert web.client.get(f"/documents/{web.world.issued_id}").status_code == 200
        assert web.client.get(f"/documents/{web.world.draft_id}").status_code == 404

    def test_another_bodys_dead_letter_cannot_be_requeued(self, web: Web) -> None:
        """A clerk elsewhere gets 404 for our delivery, and our outbox is not theirs."""
        web.sign_in(web.world.other_clerk_key)
        answer = web.client.post(f"/outbox/deliveries/{web.world.dead_id}/retry")
        assert answer.status_code == 404
        assert "ca.ngoc-hoi@example.test" not in web.client.get("/outbox").text


class TestRoles:
    def test_clerk_gets_403_on_approve_and_return(self, web: Web) -> None:
        """Deciding on a draft is for reviewers; the JSON door says the same."""
        web.sign_in(web.world.clerk_key)
        assert web.client.post(f"/documents/{web.world.draft_id}/approve").status_code == 403
        assert web.client.post(f"/documents/{web.world.draft_id}/return",
                               data={"comment": "x"}).status_code == 403
        assert web.client.post(f"/api/documents/{web.world.draft_id}/approve",
                               json={}).status_code == 403
        assert _status(web.world.draft_id) is DocumentStatus.SUBMITTED

    def test_reporter_sees_only_the_own_units_requests(self, web: Web) -> None:
        """The requests page of a unit's reporter lists only that unit."""
        web.sign_in(web.world.reporter_key)
        page = web.client.get("/requests").text
        assert "CÔNG AN HUYỆN NGỌC HỒI" in page and "CÔNG AN HUYỆN ĐĂK HÀ" not in page
        assert web.client.get("/outbox").status_code == 403


class TestEscaping:
    def test_script_in_a_returned_comment_is_shown_as_text(self, web: Web) -> None:
        """User-typed text never becomes markup: the comment prints escaped."""
        web.sign_in(web.world.chair_key)
        payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        web.client.post(f"/documents/{web.world.draft_id}/return", data={"comment": payload})
        page = web.client.get(f"/documents/{web.world.draft_id}").text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page

    def test_script_in_a_login_and_next_is_escaped(self, web: Web) -> None:
        """The sign-in form echoes the login and target escaped."""
        web.sign_out()
        token = web.form_token("/dang-nhap")
        page = web.client.post("/dang-nhap", data={
            "login": '"><script>alert(1)</script>', "password": "sai mật khẩu",
            "next": '/"><script>alert(2)</script>', "csrf_token": token}).text
        assert "<script>alert" not in page

    def test_pages_forbid_inline_scripts_and_framing(self, web: Web) -> None:
        """The Content-Security-Policy allows only our own scripts; no other site frames us."""
        headers = web.client.get("/").headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


class TestLimits:
    def test_body_over_the_limit_is_413(self, web: Web) -> None:
        """A post larger than CONGVAN_UPLOAD_MAX_MB is refused before it is read."""
        big = b"x" * (web.settings.upload_max_mb * 1024 * 1024 + 1)
        answer = web.client.post(f"/bao-cao/{web.world.late_request_id}", content=big,
                                 headers={"Content-Type": "application/octet-stream"})
        assert answer.status_code == 413 and "MB" in answer.text

    def test_streamed_body_over_the_limit_is_413(self, web: Web) -> None:
        """Without a Content-Length, the count of received bytes stops it (the reporter's own
        form reads its body)."""
        web.sign_in(web.world.reporter_key)

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(web.settings.upload_max_mb + 1):
                yield b"x" * (1024 * 1024)
        answer = web.client.post(f"/bao-cao/{web.world.late_request_id}", content=chunks(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 413


class TestReporterLink:
    def _link(self, web: Web, request_id: int, days: int = 14) -> str:
        with db.transaction() as session:
            clerk = session.scalar(select(Person).where(Person.key == web.world.clerk_key))
            return links.make(session=session, request_id=request_id, actor=clerk,
                              valid_for=timedelta(days=days)).token

    def test_link_opens_one_request_once(self, web: Web) -> None:
        """GET uses nothing; POST opens the unit's form; the link cannot be used twice; the
        session opens that request only."""
        token = self._link(web, web.world.late_request_id)
        web.sign_out()
        shown = web.client.get(f"/nop-bao-cao/{token}")
        assert shown.status_code == 200 and "CÔNG AN HUYỆN NGỌC HỒI" in shown.text
        again = web.client.get(f"/nop-bao-cao/{token}")
        assert again.status_code == 200  # looking twice is fine: nothing was used
        opened = web.client.post(f"/nop-bao-cao/{token}",
                                 data={"csrf_token": csrf_of(shown.text)})
        assert opened.status_code == 200 and "Tổng số mô hình" in opened.text
        form_token = csrf_of(opened.text)
        wrong = web.client.post(f"/bao-cao/{web.world.late_request_id}", data={
            "v_mo_hinh": "-3", "v_nguoi_tham_gia": "1.500", "csrf_token": form_token})
        assert wrong.status_code == 422 and 'aria-invalid="true"' in wrong.text
        filed = web.client.post(f"/bao-cao/{web.world.late_request_id}", data={
            "v_mo_hinh": "12", "v_nguoi_tham_gia": "1.500", "csrf_token": form_token})
        assert filed.status_code == 200 and "Đã nhận báo cáo" in filed.text
        assert web.client.get(f"/bao-cao/{web.world.submitted_request_id}").status_code == 404
        assert web.client.get("/", follow_redirects=False).status_code == 303
        web.sign_out()
        reuse = web.client.post(f"/nop-bao-cao/{token}",
                                data={"csrf_token": web.form_token("/dang-nhap")})
        assert reuse.status_code == 404 and "đã dùng" in reuse.text

    def test_expired_link_is_404(self, web: Web) -> None:
        """A link past its expiry opens nothing."""
        token = self._link(web, web.world.late_request_id, days=0)
        web.sign_out()
        assert web.client.get(f"/nop-bao-cao/{token}").status_code == 404

    def test_a_reporter_cannot_make_links(self, web: Web) -> None:
        """Only the collecting body's staff make links."""
        web.sign_in(web.world.reporter_key)
        answer = web.client.post(f"/requests/{web.world.late_request_id}/lien-ket")
        assert answer.status_code == 403

