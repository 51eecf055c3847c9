"""One walk through the pages in a real Chromium (Debian's), against a real uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outbox.receipts import make_token
from tests.web import scenario
from tests.web.conftest import SECRET, served_scenario

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def served(fresh_sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, scenario.World]]:
    """The app with the scenario, served by uvicorn on a free loopback port."""
    with served_scenario(fresh_sqlite_url, tmp_path) as served_at:
        yield served_at


@pytest.mark.browser
def test_clerk_filters_opens_a_document_and_a_recipient_acknowledges(
        served: tuple[str, scenario.World], tmp_path: Path) -> None:
    """The HTMX status filter swaps the table, the document shows its deliveries, the ack link
    turns a recipient's state to acknowledged."""
    from playwright.sync_api import expect, sync_playwright

    base, world = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + "/")
            expect(page.locator("h1")).to_have_text("Đăng nhập")
            page.fill("#login", world.clerk_key)
            page.fill("#password", scenario.PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            expect(page.locator(".who")).to_contain_text("Trần Thị B")
            expect(page.locator("#documents")).to_contain_text("01/BCĐ-NC")

            page.get_by_role("link", name="Chờ duyệt").click()
            expect(page.locator("#documents")).to_have_attribute("data-status", "submitted")
            expect(page.locator("#documents")).not_to_contain_text("01/BCĐ-NC")
            assert page.url.endswith("/?status=submitted")

            page.get_by_role("link", name="Tất cả").click()
            page.get_by_role("link", name="01/BCĐ-NC").click()
            expect(page.locator("h1")).to_contain_text("V/v triển khai thực hiện")
            row = page.locator("li.delivery", has_text="Công an huyện Đăk Hà")
            expect(row).to_contain_text("Đã gửi")

            token = make_token(secret=SECRET, delivery_id=world.sent_id)
            page.goto(f"{base}/ack/{token}")
            page.get_by_role("button", name="Xác nhận đã nhận văn bản").click()
            expect(page.locator("h1")).to_contain_text("Cảm ơn, đã ghi nhận")

            page.goto(f"{base}/documents/{world.issued_id}")
            expect(page.locator("li.delivery", has_text="Công an huyện Đăk Hà")).to_contain_text(
                "Đã xác nhận")
            page.screenshot(path=str(tmp_path / "van-ban.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "van-ban.png").stat().st_size > 10_000
