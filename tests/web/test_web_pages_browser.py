"""The deadlines board, the registers and their printed book, the document page and the
report form with its .xlsx upload, in Debian's Chromium at a 390 px phone and a desktop:
nothing scrolls sideways on the phone, the HTMX parts load, the upload gives a receipt.
Screenshots of each page and size under the test's output directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import db
from reporting.forms import parse_form
from reporting.xlsx import fill_workbook
from tests.web import scenario
from tests.web.conftest import served_scenario
from tests.web.test_web_browser import CHROMIUM_ARGS

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
BOARD = ("bang-theo-doi", "/requests?period=2022-Q4", "#luot-chay")
BOOK = ("in-so", "/so-dang-ky/in?huong=di&nam=2022", ".book-table")
# Every page on the phone (where layouts break); the two widest at desktop size.
PAGES = {"phone": [BOARD, ("so-dang-ky", "/so-dang-ky?q=trien+khai", "#ket-qua"), BOOK,
                   ("van-ban", "/documents/{issued}", "#chu-ky, h1")],
         "desktop": [BOARD, BOOK]}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, scenario.World]]:
    """The app with the web scenario on a fresh SQLite file, served by uvicorn on loopback."""
    from registry import schema

    home = tmp_path_factory.mktemp("pages-browser")
    url = f"sqlite:///{home / 'congvan.db'}"
    engine = db.make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    with served_scenario(url, home) as served_at:
        yield served_at


def _sign_in(page, base: str, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/dang-nhap")
    page.fill("#login", login)
    page.fill("#password", scenario.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/dang-nhap" not in url)


def _no_sideways_scroll(page, name: str) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: the page is {width[0]} px wide in {width[1]} px"


@pytest.mark.browser
def test_pages_at_phone_and_desktop_size(served: tuple[str, scenario.World],
                                         tmp_path: Path) -> None:
    """Each page at both sizes: loaded, its key content visible, no sideways scroll on the
    phone (wide tables scroll inside their own box); the reporter uploads the filled form."""
    from playwright.sync_api import expect, sync_playwright

    base, world = served
    shots: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for size, viewport in SIZES.items():
                page = browser.new_page(viewport=viewport)
                _sign_in(page, base, world.clerk_key)
                for name, path, shown in PAGES[size]:
                    page.goto(base + path.format(issued=world.issued_id))
                    expect(page.locator(shown).first).to_be_visible()
                    if name == "bang-theo-doi":  # the runs fragment replaced the placeholder
                        expect(page.locator("#luot-chay")).to_contain_text(
                            "Chưa kết nối máy chủ Prefect")
                    if size == "phone":
                        _no_sideways_scroll(page, name)
                    shots.append(tmp_path / f"{name}-{size}.png")
                    page.screenshot(path=str(shots[-1]), full_page=True)
                page.close()

            page = browser.new_page(viewport=SIZES["phone"])
            _sign_in(page, base, world.reporter_key)
            page.goto(f"{base}/bao-cao/{world.late_request_id}")
            with page.expect_download() as download:
                page.get_by_role("link", name="Tải mẫu .xlsx của đơn vị cho kỳ này").click()
            blank = Path(download.value.path()).read_bytes()
            filled = tmp_path / "bao-cao.xlsx"
            filled.write_bytes(fill_workbook(blank, {"mo_hinh": 9, "nguoi_tham_gia": 120},
                                             parse_form(scenario.FORM)))
            page.set_input_files("#tep", str(filled))
            page.get_by_role("button", name="Gửi tệp").click()
            expect(page.locator(".receipt")).to_contain_text("Mã tiếp nhận")
            _no_sideways_scroll(page, "bao-cao")
            shots.append(tmp_path / "bao-cao-phone.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
        finally:
            browser.close()
    assert all(shot.stat().st_size > 5_000 for shot in shots)
