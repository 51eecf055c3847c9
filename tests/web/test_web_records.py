"""Hồ sơ pages: the year's Danh mục hồ sơ with the files opened from it and their counts, one
file's documents (a secret trích yếu hidden from a reader without the right), the handler's own
files, another body's staff kept out, and the head's approval (a clerk is refused)."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from records import casefiles, plan
from registry import db
from registry.clock import now_utc
from registry.labels import HIDDEN_SUBJECT
from registry.lookup import get_by_key
from registry.models import Document, Organization, Person
from tests import factories
from tests.web import scenario
from tests.web.conftest import Web
from tests.web.module_world import module_web

OTHER_CLERK = "vo-thi-f"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """The scenario with an approved 2022 plan (file 01.TH holds the issued letter, marked
    MẬT; 02.KH not opened), a draft 2023 plan, and a second văn thư without the right."""
    with module_web(tmp_path_factory.mktemp("records-web")) as built:
        with db.transaction() as session:
            session.execute(update(Document).where(
                Document.id == built.world.issued_id).values(secrecy="MẬT"))
            org = get_by_key(session=session, model=Organization, key="bcd-138")
            chair = get_by_key(session=session, model=Person, key=built.world.chair_key)
            clerk = get_by_key(session=session, model=Person, key=built.world.clerk_key)
            scenario.account(session, factories.person(
                session, org, key=OTHER_CLERK, full_name="Võ Thị F", roles=["clerk"]))
            rows = [plan.PlanRow(where="dòng 2", code="", title="I. TỔNG HỢP"),
                    plan.PlanRow(where="dòng 3", code="01.TH", title="Hồ sơ tổng hợp 138",
                                 retention_years=10),
                    plan.PlanRow(where="dòng 4", code="02.KH", title="Kế hoạch năm",
                                 permanent=True)]
            stored = plan.import_plan(session=session, organization=org, year=2022, rows=rows,
                                      actor=clerk)
            plan.approve(session=session, plan=stored, actor=chair, now=now_utc())
            case_file = casefiles.open_or_get(session=session, organization=org, year=2022,
                                              code="01.TH", actor=clerk, now=now_utc())
            issued = session.get(Document, built.world.issued_id)
            assert issued is not None
            casefiles.file_document(session=session, case_file=case_file, document=issued,
                                    actor=clerk, now=now_utc())
            plan.import_plan(session=session, organization=org, year=2023, rows=rows[1:],
                             actor=clerk)
        yield built


def _text(web: Web, path: str, **params: object) -> str:
    got = web.client.get(path, params=params)
    assert got.status_code == 200, got.text
    return html.unescape(got.text)


class TestFilePlanPage:
    def test_lists_the_plan_with_files_and_counts(self, web: Web) -> None:
        """Codes, titles, retention, approval, and the opened file's document count."""
        web.sign_in(web.world.clerk_key)
        page = _text(web, "/ho-so", nam=2022)
        assert "I. TỔNG HỢP" in page and "Hồ sơ tổng hợp 138" in page
        assert "10 năm" in page and "Vĩnh viễn" in page
        assert "Đã phê duyệt: Lê Ngọc Tuấn" in page
        assert 'href="/ho-so/01.TH?nam=2022"' in page and "Chưa mở" in page
        row = page.split("Hồ sơ tổng hợp 138", 1)[1].split("</tr>", 1)[0]
        assert 'data-label="Số văn bản">1</td>' in row and "Đang lập" in row
        assert 'href="/ho-so"' in _text(web, "/")  # in the nav

    def test_my_open_files(self, web: Web) -> None:
        """The handler's own open files with their counts."""
        web.sign_in(web.world.clerk_key)
        page = _text(web, "/ho-so", **{"cua-toi": "1"})
        assert "Hồ sơ tổng hợp 138" in page and "Kế hoạch năm" not in page

    def test_another_bodys_staff_cannot_see_it(self, web: Web) -> None:
        """The other body sees its own (empty) plan; the file is not found; a reporter is out."""
        web.sign_in(web.world.other_clerk_key)
        page = _text(web, "/ho-so", nam=2022)
        assert "Hồ sơ tổng hợp 138" not in page and "chưa có danh mục" in page
        assert web.client.get("/ho-so/01.TH", params={"nam": 2022}).status_code == 404
        web.sign_in(web.world.reporter_key)
        assert web.client.get("/ho-so", params={"nam": 2022}).status_code == 403


class TestCaseFilePage:
    def test_secret_subject_hidden_from_a_reader_without_the_right(self, web: Web) -> None:
        """The row (number, date) stays; the trích yếu is the placeholder."""
        web.sign_in(OTHER_CLERK)
        page = _text(web, "/ho-so/01.TH", nam=2022)
        assert "01/BCĐ-NC" in page and HIDDEN_SUBJECT in page
        web.sign_in(web.world.chair_key)
        page = _text(web, "/ho-so/01.TH", nam=2022)
        assert "01/BCĐ-NC" in page and HIDDEN_SUBJECT not in page


class TestApprove:
    def test_clerk_refused_head_approves(self, web: Web) -> None:
        """A clerk gets the service's Vietnamese refusal; the head's POST approves."""
        web.sign_in(web.world.clerk_key)
        page = _text(web, "/ho-so", nam=2023)
        assert "Chưa phê duyệt" in page and "/ho-so/duyet" not in page
        refused = web.client.post("/ho-so/duyet", data={"nam": 2023}, follow_redirects=False)
        assert refused.status_code == 403
        assert "phê duyệt danh mục hồ sơ" in html.unescape(refused.text)
        web.sign_in(web.world.chair_key)
        assert "/ho-so/duyet" in _text(web, "/ho-so", nam=2023)
        done = web.client.post("/ho-so/duyet", data={"nam": 2023}, follow_redirects=False)
        assert done.status_code == 303
        assert "Đã phê duyệt: Lê Ngọc Tuấn" in _text(web, "/ho-so", nam=2023)
