"""Hồ sơ pages: the year's Danh mục hồ sơ with the files opened from it and their counts, one
file's documents (a secret trích yếu hidden from a reader without the right), the handler's own
files, another body's staff kept out, and the head's approval (a clerk is refused)."""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from records import casefiles, plan
from registry import db
from registry.clock import now_utc
from registry.labels import HIDDEN_SUBJECT
from registry.lookup import get_by_key
from registry.models import Document, FilePlan, Organization, Person
from tests import factories
from tests.web import scenario
from tests.web.conftest import Web
from tests.web.module_world import module_web

OTHER_CLERK = "vo-thi-f"
REVIEWER = "dinh-van-g"


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


def _workbook(*rows: list[object]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([h for h, _ in plan.COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = _workbook(["", "I. CÔNG TÁC CHỈ ĐẠO"], ["01.CĐ", "Hồ sơ chỉ đạo năm 2024", "10 năm"],
                 ["02.BC", "Hồ sơ báo cáo thống kê", "vĩnh viễn"])


def _upload(web: Web, data: bytes, year: int = 2024, name: str = "danh-muc.xlsx") -> Any:
    return web.client.post("/ho-so/nhap", data={"nam": str(year)}, files={
        "tep": (name, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
        follow_redirects=False)


def _plan_codes(year: int) -> list[str]:
    with db.transaction() as session:
        org = get_by_key(session=session, model=Organization, key="bcd-138")
        stored = session.scalar(select(FilePlan).where(FilePlan.organization_id == org.id,
                                                       FilePlan.year == year))
        return [e.code for e in stored.entries] if stored else []


class TestPlanUpload:
    def test_clerk_uploads_the_plan(self, web: Web) -> None:
        """The form is on the page; the workbook's files are stored as the year's draft plan
        and the page says how many, awaiting the head's approval."""
        web.sign_in(web.world.clerk_key)
        assert 'action="/ho-so/nhap"' in _text(web, "/ho-so", nam=2024)
        sent = _upload(web, GOOD)
        assert sent.status_code == 303 and sent.headers["location"] == "/ho-so?nam=2024&nhap=2"
        page = html.unescape(web.client.get(sent.headers["location"]).text)
        assert "Đã nhập danh mục hồ sơ năm 2024: 2 hồ sơ" in page
        assert "I. CÔNG TÁC CHỈ ĐẠO" in page and "Hồ sơ chỉ đạo năm 2024" in page
        assert _plan_codes(2024) == ["01.CĐ", "02.BC"]

    def test_bad_rows_are_named_and_nothing_is_stored(self, web: Web) -> None:
        """A formula, a number for a code and a bad retention each name their line and column
        in Vietnamese; a zip bomb and a non-workbook are refused; nothing is stored."""
        web.sign_in(web.world.clerk_key)
        bad = _workbook(["01.A", '=HYPERLINK("http://x","y")', "5"], [1.1, "Hồ sơ B", "5"],
                        ["03.C", "Hồ sơ C", "mười năm"])
        answer = _upload(web, bad, year=2025)
        assert answer.status_code == 422
        page = html.unescape(answer.text)
        assert "chưa lưu gì" in page
        assert "dòng 2, cột «Tên đề mục và tiêu đề hồ sơ»" in page
        assert "dòng 3, cột «Số và ký hiệu hồ sơ»" in page
        assert "dòng 4, cột «Thời hạn bảo quản»: «mười năm» không phải thời hạn" in page
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b" " * 20_000_000)
        refused = _upload(web, bomb.getvalue(), year=2025)
        assert refused.status_code == 422 and "nén độc hại" in html.unescape(refused.text)
        assert "chỉ nhận bảng tính .xlsx" in html.unescape(
            _upload(web, b"a,b\n", year=2025, name="dm.csv").text)
        assert _plan_codes(2025) == []

    def test_who_may_upload(self, web: Web) -> None:
        """An approved year is refused (409); without the CSRF token the upload is refused
        (403); a reporter has no hồ sơ page (403); a reviewer of the office sees no form and
        records.plan refuses them."""
        web.sign_in(web.world.clerk_key)
        assert _upload(web, GOOD, year=2022).status_code == 409
        token = web.client.headers.pop("X-CSRF-Token")
        assert _upload(web, GOOD, year=2026).status_code == 403
        web.client.headers["X-CSRF-Token"] = token
        web.sign_in(web.world.reporter_key)
        assert _upload(web, GOOD, year=2026).status_code == 403
        with db.transaction() as session:
            org = get_by_key(session=session, model=Organization, key="bcd-138")
            if session.scalar(select(Person).where(Person.key == REVIEWER)) is None:
                scenario.account(session, factories.person(
                    session, org, key=REVIEWER, full_name="Đinh Văn G", roles=["reviewer"]))
        web.sign_in(REVIEWER)
        assert 'action="/ho-so/nhap"' not in _text(web, "/ho-so", nam=2026)
        assert _upload(web, GOOD, year=2026).status_code == 403
        assert _plan_codes(2026) == []
