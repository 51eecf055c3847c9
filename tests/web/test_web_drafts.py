"""Drafting in the browser's forms: a new draft to directory units, the delivery plan with its
warnings, submission to reviewers in order."""

from __future__ import annotations

from sqlalchemy import select

from registry import db
from registry.models import Document, DocumentStatus, ReviewStep
from tests.web.conftest import Web


def _new(web: Web, **extra: object) -> object:
    data: dict[str, object] = {
        "doc_type": "cong_van", "drafting_unit": "NC",
        "subject": "V/v đôn đốc báo cáo quý IV năm 2022",
        "body": "Đề nghị các đơn vị gửi báo cáo trước ngày 10 tháng 01 năm 2023.",
        "to": ["ca-dak-ha", "ca-sa-thay", "ca-ngoc-hoi:email", "Thường trực Huyện ủy"],
        "cc": ["Lưu: VT, NC."],
    }
    data.update(extra)
    return web.client.post("/van-ban/moi", data=data, follow_redirects=False)


class TestNewDraft:
    def test_clerk_drafts_to_three_units_and_sees_the_plan(self, web: Web) -> None:
        """The edit page lists one delivery per unit — edXML where the unit has an address on
        the axis, e-mail where the line asks for it — and warns about the free line."""
        answer = _new(web)
        assert answer.status_code == 303, answer.text
        edit = web.client.get(answer.headers["location"]).text
        for address in ("000.01.01.H34", "000.01.02.H34", "ca.ngoc-hoi@example.test"):
            assert address in edit
        assert "“Thường trực Huyện ủy” — không gửi qua hệ thống" in edit

    def test_submit_to_ordered_reviewers(self, web: Web) -> None:
        """Submitting with a reviewer makes a review step for that person and renders v1."""
        location = _new(web).headers["location"]
        document_id = int(location.split("/")[2])
        done = web.client.post(f"/van-ban/{document_id}/trinh",
                               data={"reviewer": [web.world.chair_key, "", ""]},
                               follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == f"/documents/{document_id}"
        with db.transaction() as session:
            document = session.get(Document, document_id)
            assert document is not None and document.status is DocumentStatus.SUBMITTED
            steps = session.scalars(select(ReviewStep).where(
                ReviewStep.document_id == document_id)).all()
            assert [s.reviewer.key for s in steps] == [web.world.chair_key]
        web.sign_in(web.world.chair_key)
        assert f"/documents/{document_id}" in web.client.get("/").text

    def test_unknown_directory_key_names_the_nearest(self, web: Web) -> None:
        """A typo in a key is refused with a hint, and nothing is stored."""
        answer = _new(web, to=["ca-dak-haa"])
        assert answer.status_code == 404 and "ca-dak-ha" in answer.text
        with db.transaction() as session:
            assert session.scalar(select(Document).where(
                Document.subject.like("%đôn đốc báo cáo quý IV%"))) is None

    def test_reviewer_from_another_organisation_is_refused(self, web: Web) -> None:
        """Only people of the drafter's own organisation review its drafts."""
        document_id = int(_new(web).headers["location"].split("/")[2])
        answer = web.client.post(f"/van-ban/{document_id}/trinh",
                                 data={"reviewer": [web.world.other_leader_key]})
        assert answer.status_code == 422 and "người duyệt" in answer.text

    def test_reporter_cannot_draft_and_others_drafts_are_404(self, web: Web) -> None:
        """Drafting is for staff; a draft of another body cannot be opened for editing."""
        web.sign_in(web.world.reporter_key)
        assert web.client.get("/van-ban/moi").status_code == 403
        web.sign_in(web.world.clerk_key)
        assert web.client.get(f"/van-ban/{web.world.other_draft_id}/sua").status_code == 404

    def test_directory_suggestions_ignore_diacritics(self, web: Web) -> None:
        """Typing 'ngoc hoi' offers the unit with the channel it would use."""
        options = web.client.get("/danh-ba", params={"to": "ngoc hoi"},
                                 headers={"HX-Request": "true"}).text
        assert 'value="ca-ngoc-hoi"' in options and "trục liên thông (edXML)" in options
