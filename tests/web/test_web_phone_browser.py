"""Every role's main pages in Debian's Chromium at a 390 × 844 phone: the navigation wraps
instead of scrolling, and no page is wider than the screen (document.documentElement's
scrollWidth ≤ clientWidth). The same pages at 1280 × 800 for the screenshots. Screenshots of
each page, role and size under the test's output directory (or CONGVAN_SHOTS_DIR)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from records import casefiles, plan
from registry import db
from registry.clock import now_utc
from registry.lookup import get_by_key
from registry.models import Document, Organization, Person
from tests.web import scenario
from tests.web.conftest import served_scenario
from tests.web.test_web_browser import CHROMIUM_ARGS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# name → path: dashboard, registers, document page, draft edit, deadlines board, the file plan,
# a file, incoming registration.
PAGES = {"bang-dieu-khien": "/", "so-dang-ky": "/so-dang-ky", "van-ban": "/documents/{issued}",
         "sua-du-thao": "/van-ban/{draft}/sua", "bang-theo-doi": "/requests?period=2022-Q4",
         "ho-so": "/ho-so?nam=2022", "mot-ho-so": "/ho-so/01.TH?nam=2022",
         "vao-so-den": "/van-ban-den/moi"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, scenario.World]]:
    """The web scenario with an approved 2022 file plan whose file 01.TH holds the issued
    letter, served by uvicorn on loopback."""
    from registry import schema

    home = tmp_path_factory.mktemp("phone-browser")
    url = f"sqlite:///{home / 'congvan.db'}"
    engine = db.make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    with served_scenario(url, home) as (base, world):
        with db.transaction() as session:
            org = get_by_key(session=session, model=Organization, key="bcd-138")
            chair = get_by_key(session=session, model=Person, key=world.chair_key)
            clerk = get_by_key(session=session, model=Person, key=world.clerk_key)
            rows = [plan.PlanRow(where="dòng 2", code="", title="I. TỔNG HỢP, BÁO CÁO"),
                    plan.PlanRow(where="dòng 3", code="01.TH",
                                 title="Hồ sơ tổng hợp kết quả thực hiện Hướng dẫn số "
                                       "22/HD-BCA-V05 của Bộ Công an", retention_years=10),
                    plan.PlanRow(where="dòng 4", code="02.KH", title="Kế hoạch năm",
                                 permanent=True)]
            stored = plan.import_plan(session=session, organization=org, year=2022, rows=rows,
                                      actor=clerk)
            plan.approve(session=session, plan=stored, actor=chair, now=now_utc())
            case_file = casefiles.open_or_get(session=session, organization=org, year=2022,
                                              code="01.TH", actor=clerk, now=now_utc())
            issued = session.get(Document, world.issued_id)
            assert issued is not None
            casefiles.file_document(session=session, case_file=case_file, document=issued,
                                    actor=clerk, now=now_utc())
        yield base, world


def _sign_in(page, base: str, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/dang-nhap")
    page.fill("#login", login)
    page.fill("#password", scenario.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap" not in url)


def _overflow(page) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return tuple(page.evaluate(  # type: ignore[return-value]
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"))


@pytest.mark.browser
def test_no_page_scrolls_sideways_on_a_phone(served: tuple[str, scenario.World],
                                             tmp_path: Path) -> None:
    """For the clerk, the head, the reporter and the administrator, each main page at 390 px
    is no wider than the screen, and the nav's links all sit inside it (wrapped, not
    scrolled); the clerk's pages are also shot at 1280 × 800."""
    from playwright.sync_api import sync_playwright

    base, world = served
    shots_dir = Path(os.environ.get("CONGVAN_SHOTS_DIR") or tmp_path)
    roles = {"van-thu": world.clerk_key, "lanh-dao": world.chair_key,
             "bao-cao": world.reporter_key, "quan-tri": world.admin_key}
    wide: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for role, login in roles.items():
                sizes = {"phone": PHONE, "desktop": DESKTOP} if role == "van-thu" else {
                    "phone": PHONE}
                for size, viewport in sizes.items():
                    page = browser.new_page(viewport=viewport)
                    _sign_in(page, base, login)
                    for name, path in PAGES.items():
                        page.goto(base + path.format(issued=world.issued_id,
                                                     draft=world.draft_id))
                        page.wait_for_load_state("networkidle")
                        scroll, client = _overflow(page)
                        if size == "phone":
                            if scroll > client:
                                wide.append(f"{role} {name}: {scroll} px in {client} px")
                            nav = page.locator("header.top nav a")
                            for i in range(nav.count()):
                                box = nav.nth(i).bounding_box()
                                assert box is not None
                                if box["x"] + box["width"] > client + 0.5:
                                    wide.append(f"{role} {name}: nav link {i} ends at "
                                                f"{box['x'] + box['width']:.0f} px")
                        page.screenshot(path=str(shots_dir / f"{name}-{role}-{size}.png"),
                                        full_page=True)
                    page.close()
        finally:
            browser.close()
    assert not wide, "\n".join(wide)


@pytest.mark.browser
def test_clerk_uploads_the_file_plan_on_a_phone(served: tuple[str, scenario.World],
                                                tmp_path: Path) -> None:
    """On /ho-so the clerk picks a workbook with a bad retention: the row and column are
    named above the form and nothing is stored; the corrected workbook is imported. Neither
    page is wider than a 390 px screen; the refusal is shot at 1280 × 800 too."""
    from playwright.sync_api import expect, sync_playwright

    from tests.web.test_web_records import _workbook

    base, world = served
    shots_dir = Path(os.environ.get("CONGVAN_SHOTS_DIR") or tmp_path)
    rows = [["", "I. CÔNG TÁC CHỈ ĐẠO"], ["01.CĐ", "Hồ sơ văn bản chỉ đạo của cấp trên về "
                                                    "phòng, chống tội phạm năm 2023", "10 năm"],
            ["02.BC", "Hồ sơ báo cáo thống kê", "mười năm"]]
    bad, good = tmp_path / "danh-muc-sai.xlsx", tmp_path / "danh-muc.xlsx"
    bad.write_bytes(_workbook(*rows))
    good.write_bytes(_workbook(*rows[:2], ["02.BC", "Hồ sơ báo cáo thống kê", "vĩnh viễn"]))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for size, viewport in {"phone": PHONE, "desktop": DESKTOP}.items():
                page = browser.new_page(viewport=viewport)
                _sign_in(page, base, world.clerk_key)
                page.goto(base + "/ho-so?nam=2023")
                page.set_input_files("#tep-danh-muc", str(bad))
                page.get_by_role("button", name="Nhập danh mục").click()
                expect(page.locator("#loi-danh-muc")).to_contain_text(
                    "dòng 4, cột «Thời hạn bảo quản»")
                scroll, client = _overflow(page)
                assert scroll <= client, f"{size}: {scroll} px in {client} px"
                page.screenshot(path=str(shots_dir / f"nhap-danh-muc-loi-{size}.png"),
                                full_page=True)
                page.close()
            page = browser.new_page(viewport=PHONE)
            _sign_in(page, base, world.clerk_key)
            page.goto(base + "/ho-so?nam=2023")
            page.set_input_files("#tep-danh-muc", str(good))
            page.get_by_role("button", name="Nhập danh mục").click()
            expect(page.locator(".alert-ok")).to_contain_text(
                "Đã nhập danh mục hồ sơ năm 2023: 2 hồ sơ")
            scroll, client = _overflow(page)
            assert scroll <= client
            page.screenshot(path=str(shots_dir / "nhap-danh-muc-phone.png"), full_page=True)
        finally:
            browser.close()
