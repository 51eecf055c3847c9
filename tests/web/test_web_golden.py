"""The pages in a real Chromium (Debian's) against a real uvicorn, at desktop and phone size:
the clerk's day, the chair returning a draft, a unit filing its report through a single-use
link, and forged cross-site posts from another port and a sibling subdomain.

Host names: Chromium maps ``*.congvan.test`` to 127.0.0.1 (``--host-resolver-rules``), so the
app is ``app.congvan.test`` and the attacker ``evil.congvan.test`` — same site, other origin.
Screenshots land in the test's tmp_path (the path is printed).
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from congvan.web import create_app
from registry import db
from registry.models import Delivery, DeliveryStatus, Document, DocumentStatus
from tests.web import scenario
from tests.web.conftest import web_settings

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--host-resolver-rules=MAP *.congvan.test 127.0.0.1"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    base: str
    world: scenario.World
    shots: Path


@pytest.fixture
def served(fresh_sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    """The app with the scenario on http://app.congvan.test:<port>."""
    port = _free_port()
    base = f"http://app.congvan.test:{port}"
    settings = web_settings(fresh_sqlite_url, tmp_path, public_base_url=base)
    app = create_app(settings)
    assert settings.files_dir is not None
    with db.transaction() as session:
        world = scenario.build(session, settings.files_dir)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    shots = tmp_path / "anh-chup"
    shots.mkdir()
    print(f"\nẢnh chụp màn hình: {shots}")
    try:
        yield Served(base, world, shots)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        db.get_engine().dispose()


@pytest.fixture
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, base: str, login: str) -> None:
    page.goto(base + "/dang-nhap")
    page.fill("#login", login)
    page.fill("#password", scenario.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(base + "/")


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, f"page is {width}px wide"


@pytest.mark.browser
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_clerk_chair_and_unit_in_the_browser(served: Served, chromium: Any, size: str) -> None:
    """The clerk searches the register and makes a report link; the chair returns the draft
    with a comment; the unit opens the link once, sees its errors next to the fields, and gets
    a receipt. No page scrolls sideways on a 390 px phone."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)  # a shared, loaded machine
    base, world, shots = served.base, served.world, served.shots
    viewport = DESKTOP if size == "desktop" else PHONE
    clerk = chromium.new_context(viewport=viewport)
    page = clerk.new_page()
    page.goto(base + "/")
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    sign_in(page, base, world.clerk_key)
    expect(page.locator("#viec-can-lam")).to_contain_text("lượt gửi thất bại cần xử lý")
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"1-van-thu-{size}.png"), full_page=True)

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/so-dang-ky")
    page.fill("#q", "trien khai huong dan")
    expect(page.locator("#ket-qua")).to_contain_text("01/BCĐ-NC")
    page.fill("#q", "xyzzy")
    expect(page.locator("#ket-qua")).to_contain_text("Không có văn bản nào khớp")
    page.fill("#q", "01/bcd-nc")
    expect(page.locator("#ket-qua")).to_contain_text("01/BCĐ-NC")
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"2-so-dang-ky-{size}.png"), full_page=True)
    assert errors == []  # no script blocked by the CSP, no failed HTMX request

    page.goto(base + "/requests")
    page.locator(f"#lien-ket-{world.late_request_id} button").click()
    link = page.locator(f"#lien-ket-{world.late_request_id} input.copy")
    expect(link).to_be_visible()
    url = link.input_value()
    assert url.startswith(base + "/nop-bao-cao/")
    page.screenshot(path=str(shots / f"3-bao-cao-phai-nop-{size}.png"), full_page=True)

    chair = chromium.new_context(viewport=viewport).new_page()
    sign_in(chair, base, world.chair_key)
    expect(chair.locator("#viec-can-lam")).to_contain_text("Dự thảo chờ bạn duyệt")
    chair.locator("#viec-can-lam a", has_text="V/v báo cáo kết quả").click()
    expect(chair.locator("iframe.pdf")).to_be_visible()
    chair.wait_for_load_state("networkidle")
    chair.screenshot(path=str(shots / f"4a-lanh-dao-xem-du-thao-{size}.png"), full_page=True)
    chair.fill("#comment", "Bổ sung căn cứ <Hướng dẫn số 22/HD-BCA-V05> & thời hạn")
    chair.get_by_role("button", name="Trả lại").click()
    expect(chair.locator("#trang-thai")).to_have_text("Bị trả lại")
    expect(chair.locator("body")).to_contain_text(
        "Bổ sung căn cứ <Hướng dẫn số 22/HD-BCA-V05> & thời hạn")
    _no_sideways_scroll(chair)
    chair.screenshot(path=str(shots / f"4b-lanh-dao-tra-lai-{size}.png"), full_page=True)

    unit = chromium.new_context(viewport=viewport).new_page()
    unit.goto(url)
    expect(unit.locator("h1")).to_have_text("Nộp báo cáo")
    unit.get_by_role("button", name="Mở biểu mẫu báo cáo").click()
    unit.fill("#v_mo_hinh", "-2")
    unit.fill("#v_nguoi_tham_gia", "1.500")
    unit.get_by_role("button", name="Nộp báo cáo").click()
    expect(unit.locator("#v_mo_hinh-loi")).to_be_visible()
    unit.screenshot(path=str(shots / f"5-don-vi-loi-{size}.png"), full_page=True)
    unit.fill("#v_mo_hinh", "12")
    unit.get_by_role("button", name="Nộp báo cáo").click()
    expect(unit.locator(".receipt")).to_contain_text("Đã nhận báo cáo")
    _no_sideways_scroll(unit)
    unit.screenshot(path=str(shots / f"6-don-vi-bien-nhan-{size}.png"), full_page=True)
    again = chromium.new_context(viewport=viewport).new_page()
    again.goto(url)
    expect(again.locator("h1")).to_have_text("Không tìm thấy")

    page.goto(base + "/requests")
    expect(page.locator("tr", has_text="CÔNG AN HUYỆN NGỌC HỒI")).to_contain_text("Đã nộp")


class _Attacker(http.server.BaseHTTPRequestHandler):
    html = b""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args: Any) -> None:
        return


def _attacker(html: str) -> tuple[http.server.HTTPServer, int]:
    handler = type("Handler", (_Attacker,), {"html": html.encode()})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.mark.browser
@pytest.mark.parametrize("where", ["another-port", "sibling-subdomain"])
def test_forged_posts_from_another_port_or_subdomain_are_refused(
        served: Served, chromium: Any, where: str) -> None:
    """A signed-in leader and clerk visit a hostile page that auto-posts to the app (approve,
    re-queue a dead letter); the browser sends the cookie (same site) but the app answers 403
    and nothing changes."""
    base, world = served.base, served.world
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, base, world.chair_key)
    forms = "".join(
        f'<form id="f{i}" method="post" action="{base}{path}" target="t{i}">'
        f'<input name="comment" value="ok"></form><iframe name="t{i}"></iframe>'
        for i, path in enumerate([f"/documents/{world.draft_id}/approve",
                                  f"/outbox/deliveries/{world.dead_id}/retry"]))
    html = (f"<html><body>{forms}<script>document.getElementById('f0').submit();"
            "document.getElementById('f1').submit();</script></body></html>")
    attacker, port = _attacker(html)
    host = "app.congvan.test" if where == "another-port" else "evil.congvan.test"
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if r.request.method == "POST"
            else None)
    try:
        page.goto(f"http://{host}:{port}/")
        deadline = time.monotonic() + 20
        while len(answers) < 2 and time.monotonic() < deadline:
            page.wait_for_timeout(100)
    finally:
        attacker.shutdown()
    assert answers == [403, 403]
    with db.transaction() as session:
        draft = session.get(Document, world.draft_id)
        dead = session.get(Delivery, world.dead_id)
        assert draft is not None and draft.status is DocumentStatus.SUBMITTED
        assert dead is not None and dead.status is DeliveryStatus.DEAD
    page.goto(base + "/")  # the session itself is still fine
    assert "Lê Ngọc Tuấn" in page.locator(".who").inner_text()
