"""POST /api/documents/{id}/issue: the văn thư's issue through the JSON door, with the page's
service and authority (workflows.issuance.issue_by_clerk). The issue itself, with real keys and
two web processes under load, is tests/workflows/test_scale_load.py; here what is refused."""

from __future__ import annotations

from sqlalchemy import select

from registry import db
from registry.models import Document, RegisterCounter
from tests.web.conftest import Web


def _nothing_consumed(web: Web, doc_id: int) -> None:
    with db.transaction() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.number is None
        # Only the scenario's one issued document took a number.
        assert [c.last_number for c in s.scalars(select(RegisterCounter))] == [1]


def test_a_draft_not_signed_is_refused_with_409(web: Web) -> None:
    answer = web.client.post(f"/api/documents/{web.world.draft_id}/issue", json={})
    assert answer.status_code == 409
    assert "ban hành" in answer.json()["detail"]
    _nothing_consumed(web, web.world.draft_id)


def test_only_a_clerk_issues(web: Web) -> None:
    web.sign_in(web.world.chair_key)
    answer = web.client.post(f"/api/documents/{web.world.draft_id}/issue", json={})
    assert answer.status_code == 403
    assert "văn thư" in answer.json()["detail"]
    _nothing_consumed(web, web.world.draft_id)


def test_another_organisations_document_is_not_found(web: Web) -> None:
    answer = web.client.post(f"/api/documents/{web.world.other_draft_id}/issue", json={})
    assert answer.status_code == 404


def test_without_the_csrf_token_nothing_happens(web: Web) -> None:
    web.client.headers.pop("X-CSRF-Token")
    answer = web.client.post(f"/api/documents/{web.world.draft_id}/issue", json={})
    assert answer.status_code == 403
    _nothing_consumed(web, web.world.draft_id)


def test_unknown_options_are_named(web: Web) -> None:
    answer = web.client.post(f"/api/documents/{web.world.draft_id}/issue",
                             json={"no_delivery": "có lẽ"})
    assert answer.status_code == 422
    assert answer.json()["field"] == "no_delivery"
