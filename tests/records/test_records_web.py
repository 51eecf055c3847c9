"""Hồ sơ on the web: the document and drafting pages propose files from the approved plan and
file the document with one click; the page then lists the file holding it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from records import plan
from registry import db
from registry.clock import local_today
from registry.lookup import get_by_key
from registry.models import Organization, Person
from tests.web.conftest import Web, csrf_of

PLAN = b"""\
files:
  - code: 01.HD
    title: "H\xe1\xbb\x93 s\xc6\xa1 tri\xe1\xbb\x83n khai H\xc6\xb0\xe1\xbb\x9bng d\xe1\xba\xabn 22"
    retention: 10
    doc_types: [cong_van]
    keywords: [22/HD-BCA-V05]
"""


@pytest.fixture
def fresh_url(fresh_sqlite_url: str) -> str:
    """SQLite only: the pages are the subject here, the engines are covered by the services'."""
    return fresh_sqlite_url


def _approved_plan(year: int) -> None:
    with db.transaction() as session:
        org = get_by_key(session=session, model=Organization, key="bcd-138")
        clerk = get_by_key(session=session, model=Person, key="tran-thi-b")
        rows = plan.check_rows(session=session, plan_file=plan.read_yaml(PLAN, source="x"),
                               source="x")
        stored = plan.import_plan(session=session, organization=org, year=year, rows=rows,
                                  actor=clerk)
        plan.approve(session=session, plan=stored,
                     actor=get_by_key(session=session, model=Person, key="le-ngoc-tuan"),
                     now=datetime(2022, 1, 3, tzinfo=UTC))


class TestFilingPages:
    def test_document_and_drafting_pages_propose_and_file(self, web: Web) -> None:
        """The proposal is offered on the document page and on the draft's edit page (this
        year's plan); filing moves it to the page's list of files holding the document."""
        _approved_plan(2022)
        _approved_plan(local_today().year)
        path = f"/documents/{web.world.issued_id}"
        before = web.client.get(path).text
        assert "Đề xuất theo danh mục hồ sơ" in before and "01.HD" in before
        assert "chưa được xếp vào hồ sơ nào" in before
        response = web.client.post(f"{path}/ho-so", data={
            "code": "01.HD", "csrf_token": csrf_of(before)}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].endswith("#ho-so")
        after = web.client.get(path).text
        assert "<strong>01.HD</strong>" in after and "Đang lập" in after
        assert "Đề xuất theo danh mục hồ sơ" not in after
        draft = web.client.get(f"/van-ban/{web.world.draft_id}/sua").text
        assert "Đề xuất theo danh mục hồ sơ" in draft and "01.HD" in draft
