"""The pages in a real Chromium (Debian's) against a real uvicorn, at desktop and phone size.

The golden path (one server, one browser for the module; PostgreSQL, LibreOffice, SoftHSM2,
Tesseract and aiosmtpd all real): the văn thư drafts a công văn to three units, the deputy
returns it with a comment, the văn thư revises, the chair approves and signs with the PIN of
their token (typed in the page), the văn thư issues and sees the three e-mails sent; a scanned
incoming document is registered, assigned and answered; a unit files its report through a
single-use link and the deadlines board shows it. At 390 px the sign and issue steps again.
Then forged cross-site posts from another port and a sibling subdomain.

Host names: Chromium maps ``*.congvan.test`` to 127.0.0.1 (``--host-resolver-rules``), so the
app is ``app.congvan.test`` and the attacker ``evil.congvan.test`` — same site, other origin.
Screenshots land in the module's tmp directory (the path is printed).
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from congvan.web import create_app, document_view
from outbox.channels.email import SmtpChannel
from outbox.relay import RetryPolicy, relay_once
from registry import db
from registry.models import Delivery, DeliveryStatus, Document, DocumentStatus, Organization
from tests import factories
from tests.outbox.smtp_server import SmtpTestServer, free_port
from tests.web import scenario, signing_world
from tests.web.conftest import serving, web_settings

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--host-resolver-rules=MAP *.congvan.test 127.0.0.1"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHAIR = "le-ngoc-tuan"
CHAIR_PIN = "135790"
DEPUTY = "pho-truong-ban"
UNITS = ["ca-dak-ha:email", "ca-sa-thay:email", "ca-ngoc-hoi:email"]
SUBJECT = "V/v báo cáo kết quả xây dựng mô hình, điển hình tiên tiến"


@dataclass
class Served:
    base: str
    world: scenario.World
    shots: Path


@pytest.fixture
def served(fresh_sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    """The app with the scenario on http://app.congvan.test:<port>."""
    port = free_port()
    base = f"http://app.congvan.test:{port}"
    settings = web_settings(fresh_sqlite_url, tmp_path, public_base_url=base)
    app = create_app(settings)
    assert settings.files_dir is not None
    with db.transaction() as session:
        world = scenario.build(session, settings.files_dir)
    shots = tmp_path / "anh-chup"
    shots.mkdir()
    print(f"\nẢnh chụp màn hình: {shots}")
    try:
        with serving(app, port):
            yield Served(base, world, shots)
    finally:
        db.get_engine().dispose()


@pytest.fixture(scope="module")
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


@dataclass
class Golden:
    base: str
    world: scenario.World
    shots: Path
    smtp: SmtpTestServer
    files_dir: Path


def _start(app: Any, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return server, thread


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Golden]:
    """One server for the golden path: the scenario with a deputy (phó trưởng ban), the chair's
    key on a SoftHSM2 token held by the server, the organisation's key and seal in the keys
    folder, and a real aiosmtpd on loopback for the units' e-mail."""
    import os

    from registry import schema
    from tests.conftest import create_pg_database, drop_pg_database

    home = tmp_path_factory.mktemp("golden")
    # PostgreSQL, as deployed: on SQLite every request holds the write lock, and the pages
    # would wait for LibreOffice while the leader's final PDF renders.
    url = create_pg_database()
    engine = db.make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    ca = signing_world.make_keys(home / "keys", organization="BAN CHỈ ĐẠO 138 TỈNH KON TUM",
                                 people=[(CHAIR, "Lê Ngọc Tuấn")])
    previous = os.environ.get("SOFTHSM2_CONF")
    signing_world.tokens(home / "hsm", ca, {CHAIR: CHAIR_PIN})
    port = free_port()
    base = f"http://app.congvan.test:{port}"
    settings = web_settings(url, home, public_base_url=base, keys_dir=home / "keys",
                            key_password=signing_world.KEY_PASSWORD,
                            pkcs11_module=Path(signing_world.SOFTHSM_LIB),
                            trust_roots=[ca.ca_cert])
    app = create_app(settings)
    assert settings.files_dir is not None
    with db.transaction() as session:
        world = scenario.build(session, settings.files_dir)
        org = session.scalars(select(Organization).where(Organization.key == "bcd-138")).one()
        deputy = factories.person(session, org, key=DEPUTY, full_name="Nguyễn Văn Phó",
                                  title="PHÓ TRƯỞNG BAN", roles=["leader"])
        scenario.account(session, deputy)
        signing_world.register(session, ca, organization_key="bcd-138", people=[CHAIR])
    server, thread = _start(app, port)
    shots = home / "anh-chup"
    shots.mkdir()
    print(f"\nẢnh chụp màn hình: {shots}")
    smtp = SmtpTestServer().start()
    try:
        yield Golden(base, world, shots, smtp, settings.files_dir)
    finally:
        smtp.stop()
        server.should_exit = True
        thread.join(timeout=30)
        db.get_engine().dispose()
        drop_pg_database(url)
        document_view.close_converter()
        signing_world.restore(previous)


def _relay(golden: Golden, attempts: int = 5) -> None:
    """The outbox relay's pass (its own process in production): e-mail to the aiosmtpd."""
    channel = SmtpChannel(host=golden.smtp.host, port=golden.smtp.port,
                          from_addr="van-thu@bcd138.example.test")
    relay_once(channels={"email": channel}, engine=db.get_engine(),  # type: ignore[arg-type]
               files_root=golden.files_dir,
               policy=RetryPolicy(max_attempts=attempts, base=1, jitter=0.0, lease=60))


def _shot(page: Any, golden: Golden, name: str) -> None:
    page.screenshot(path=str(golden.shots / f"{name}.png"), full_page=True)


def _status(page: Any, wanted: str, timeout: float = 30_000) -> None:
    """Wait for the document's status badge; on failure say what the page shows instead."""
    from playwright.sync_api import expect

    try:
        expect(page.locator("#trang-thai")).to_have_text(wanted, timeout=timeout)
    except AssertionError:
        alerts = page.locator(".alert, #thong-bao").all_inner_texts()
        raise AssertionError(f"{wanted!r} not shown at {page.url}; alerts: {alerts}") from None


def _document_id(page: Any) -> int:
    return int(page.url.split("/documents/")[1].split("?")[0].split("#")[0])


def _person(chromium: Any, golden: Golden, login: str, viewport: dict[str, int]) -> Any:
    page = chromium.new_context(viewport=viewport).new_page()
    sign_in(page, golden.base, login)
    return page


@pytest.mark.browser
@pytest.mark.libreoffice
def test_golden_path_on_a_desktop(golden: Golden, chromium: Any) -> None:
    """The văn thư drafts a công văn to three units; the deputy returns it with a comment; the
    văn thư revises and resubmits to the chair, who sees the change, approves, types a wrong
    PIN (refused, nothing signed) and then the right one; the văn thư issues and watches the
    three e-mails reach the mail server without reloading; a scanned incoming document is read
    by Tesseract, registered, presented, assigned and answered; a unit files its report through
    a single-use link and the deadlines board shows it."""
    from playwright.sync_api import expect

    from tests.outbox.test_ocr import png_bytes, scan_page

    expect.set_options(timeout=30_000)  # a shared, loaded machine; LibreOffice renders
    base, world = golden.base, golden.world
    clerk = _person(chromium, golden, world.clerk_key, DESKTOP)
    errors: list[str] = []
    clerk.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    clerk.get_by_role("link", name="Dự thảo mới").click()
    clerk.fill("#drafting_unit", "NC")
    clerk.fill("#subject", SUBJECT)
    clerk.fill("#body", "Đề nghị Công an các huyện báo cáo kết quả xây dựng mô hình.")
    for i, unit in enumerate(UNITS):
        clerk.locator("input[name=to]").nth(i).fill(unit)
    clerk.locator("input[name=cc]").nth(0).fill("Lưu: VT, NC.")
    clerk.get_by_role("button", name="Lưu dự thảo").click()
    expect(clerk.locator("#se-gui")).to_contain_text("ca.ngoc-hoi@example.test")
    _shot(clerk, golden, "01-van-thu-soan")
    clerk.locator("#trinh select").nth(0).select_option(DEPUTY)
    clerk.get_by_role("button", name="Trình").click()
    expect(clerk.locator("#trang-thai")).to_have_text("Chờ duyệt")
    document_id = _document_id(clerk)

    deputy = _person(chromium, golden, DEPUTY, DESKTOP)
    deputy.goto(f"{base}/documents/{document_id}")
    expect(deputy.locator("iframe.pdf")).to_be_visible()
    deputy.fill("#comment", "Bổ sung thời hạn báo cáo trước ngày 10 tháng 01")
    deputy.get_by_role("button", name="Trả lại").click()
    expect(deputy.locator("#trang-thai")).to_have_text("Bị trả lại")
    _shot(deputy, golden, "02-pho-truong-ban-tra-lai")

    clerk.goto(f"{base}/documents/{document_id}")
    expect(clerk.locator("body")).to_contain_text("Bổ sung thời hạn báo cáo")
    clerk.get_by_role("link", name="Sửa và trình lại").click()
    clerk.fill("#body", "Đề nghị Công an các huyện báo cáo kết quả xây dựng mô hình "
                        "trước ngày 10 tháng 01 năm 2023.")
    clerk.get_by_role("button", name="Lưu dự thảo").click()
    expect(clerk.locator(".alert-ok")).to_be_visible()
    clerk.locator("#trinh select").nth(0).select_option(CHAIR)
    clerk.get_by_role("button", name="Trình").click()
    expect(clerk.locator("#trang-thai")).to_have_text("Chờ duyệt")
    _shot(clerk, golden, "03-van-thu-trinh-lai")

    chair = _person(chromium, golden, CHAIR, DESKTOP)
    chair.goto(f"{base}/documents/{document_id}")
    expect(chair.locator("pre.diff")).to_contain_text("trước ngày 10 tháng 01 năm 2023")
    chair.get_by_role("button", name="Duyệt").click()
    expect(chair.locator("#trang-thai")).to_have_text("Đã duyệt")
    chair.fill("#pin", "000000")
    chair.get_by_role("button", name="Ký số").click()
    expect(chair.locator("#loi-ky")).to_contain_text("không đúng")
    _shot(chair, golden, "04-chu-tich-sai-ma-pin")
    chair.fill("#pin", CHAIR_PIN)
    chair.get_by_role("button", name="Ký số").click()
    try:
        expect(chair.locator("#trang-thai")).to_have_text("Đã ký", timeout=90_000)
    finally:
        _shot(chair, golden, "05-chu-tich-da-ky")

    clerk.goto(f"{base}/documents/{document_id}")
    clerk.get_by_role("button", name="Cấp số và ban hành").click()
    _status(clerk, "Đã ban hành", timeout=60_000)
    expect(clerk.locator("#tinh-trang-gui li[data-state=queued]")).to_have_count(3)
    _shot(clerk, golden, "06-van-thu-ban-hanh")
    _relay(golden)
    # No reload: the panel asks for news every 2 s while deliveries are under way.
    expect(clerk.locator("#tinh-trang-gui li[data-state=sent]")).to_have_count(3)
    _shot(clerk, golden, "07-da-gui-ba-don-vi")
    assert sorted(m["To"].addresses[0].addr_spec for m in golden.smtp.mailbox.messages) == [
        "ca.dak-ha@example.test", "ca.ngoc-hoi@example.test", "ca.sa-thay@example.test"]
    number = clerk.locator(".doc-kind .symbol").inner_text().removeprefix("Số:").strip()

    scan = golden.shots.parent / "cong-van-den-quet.png"
    scan.write_bytes(png_bytes(scan_page(angle=0.5)))
    clerk.goto(f"{base}/van-ban-den/moi")
    clerk.set_input_files("#tep", str(scan))
    clerk.get_by_role("button", name="Đọc tệp").click()
    expect(clerk.locator("#symbol")).to_have_value("CAH-TH")
    expect(clerk.locator("#number")).to_have_value("152")
    expect(clerk.locator("#date")).to_have_value("05/01/2023")
    _shot(clerk, golden, "08-van-ban-den-doc-ban-quet")
    clerk.get_by_role("button", name="Vào sổ").click()
    expect(clerk.locator("#xu-ly")).to_be_visible()
    incoming_id = _document_id(clerk)
    clerk.locator("#xu-ly select[name=leader]").select_option(CHAIR)
    clerk.get_by_role("button", name="Trình", exact=True).click()
    chair.goto(f"{base}/documents/{incoming_id}")
    chair.locator("#xu-ly select[name=main]").select_option(f"p:{world.clerk_key}")
    chair.fill("#xu-ly input[name=due]", "2030-12-31")
    chair.fill("#xu-ly textarea[name=opinion]", "Giao văn thư tổng hợp, trả lời đơn vị.")
    chair.get_by_role("button", name="Giao xử lý").click()
    expect(chair.locator("#xu-ly")).to_contain_text("Giao văn thư tổng hợp")
    clerk.goto(f"{base}/documents/{incoming_id}")
    clerk.fill("#xu-ly textarea[name=note]", "Đã trả lời bằng công văn")
    clerk.fill("#xu-ly input[name=answer]", number)
    clerk.get_by_role("button", name="Hoàn thành").click()
    expect(clerk.locator("#xu-ly")).to_contain_text("Đã trả lời bằng công văn")
    _shot(clerk, golden, "09-van-ban-den-da-tra-loi")

    clerk.goto(f"{base}/requests")
    clerk.locator(f"#lien-ket-{world.late_request_id} button").click()
    link = clerk.locator(f"#lien-ket-{world.late_request_id} input.copy")
    expect(link).to_be_visible()
    unit = chromium.new_context(viewport=DESKTOP).new_page()
    unit.goto(link.input_value())
    unit.get_by_role("button", name="Mở biểu mẫu báo cáo").click()
    unit.fill("#v_mo_hinh", "12")
    unit.fill("#v_nguoi_tham_gia", "1.500")
    unit.get_by_role("button", name="Nộp báo cáo").click()
    expect(unit.locator(".receipt")).to_contain_text("Đã nhận báo cáo")
    _shot(unit, golden, "10-don-vi-nop-bao-cao")
    clerk.goto(f"{base}/requests")
    expect(clerk.locator("tr", has_text="CÔNG AN HUYỆN NGỌC HỒI")).to_contain_text("Đã nộp")
    _shot(clerk, golden, "11-bang-theo-doi-han")
    assert errors == []  # no script blocked by the CSP, no failed HTMX request


@pytest.mark.browser
@pytest.mark.libreoffice
def test_sign_and_issue_on_a_phone(golden: Golden, chromium: Any) -> None:
    """At 390 px: the chair reads an approved draft and signs it with the PIN, the văn thư
    issues it; the units' mail server refuses (554): the reason shows per unit, and Gửi lại
    re-queues each one until all three are sent; no page scrolls sideways."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    base, world = golden.base, golden.world
    with db.transaction() as session:
        document_id = _approved(session, golden.files_dir, world)
    chair = _person(chromium, golden, CHAIR, PHONE)
    chair.goto(f"{base}/documents/{document_id}")
    expect(chair.locator("#ky-so")).to_be_visible()
    _no_sideways_scroll(chair)
    _shot(chair, golden, "21-dien-thoai-chu-tich-ky")
    chair.fill("#pin", CHAIR_PIN)
    chair.get_by_role("button", name="Ký số").click()
    expect(chair.locator("#trang-thai")).to_have_text("Đã ký")
    _no_sideways_scroll(chair)
    clerk = _person(chromium, golden, world.clerk_key, PHONE)
    clerk.goto(f"{base}/documents/{document_id}")
    expect(clerk.locator("#ban-hanh")).to_be_visible()
    _no_sideways_scroll(clerk)
    _shot(clerk, golden, "22-dien-thoai-van-thu-ban-hanh")
    clerk.get_by_role("button", name="Cấp số và ban hành").click()
    expect(clerk.locator("#tinh-trang-gui li[data-state=queued]")).to_have_count(3)
    golden.smtp.faults.permanent = True  # the units' mail server refuses everything
    _relay(golden, attempts=1)
    dead = clerk.locator("#tinh-trang-gui li[data-state=dead]")
    expect(dead).to_have_count(3)
    expect(dead.first).to_contain_text("Máy chủ thư nơi nhận từ chối (mã 554)")
    _no_sideways_scroll(clerk)
    _shot(clerk, golden, "23-dien-thoai-gui-that-bai")
    golden.smtp.faults.permanent = False
    for i in range(3):  # each Gửi lại is an HTMX POST carrying the page's CSRF token
        clerk.locator("#tinh-trang-gui li[data-state=dead] button").first.click()
        expect(dead).to_have_count(2 - i)
    _relay(golden)
    expect(clerk.locator("#tinh-trang-gui li[data-state=sent]")).to_have_count(3)
    _no_sideways_scroll(clerk)
    _shot(clerk, golden, "24-dien-thoai-gui-lai-da-gui")


def _approved(session: Any, files_root: Path, world: scenario.World) -> int:
    """A công văn to the three units by e-mail, submitted by the clerk, approved by the chair."""
    from registry import documents
    from registry import recipients as lines
    from registry.models import Person
    from registry.recipients import Choice
    from signing import approvals

    def who(key: str) -> Person:
        return session.scalars(select(Person).where(Person.key == key)).one()

    clerk, chair = who(world.clerk_key), who(CHAIR)
    doc = documents.create(session=session, doc_type="cong_van", issuer=clerk.organization,
                           subject="V/v đôn đốc báo cáo kết quả quý IV năm 2022",
                           body="Đề nghị các đơn vị gửi báo cáo đúng hạn.", created_by=clerk,
                           drafting_unit="NC")
    lines.set_lines(session=session, document=doc, actor=clerk,
                    to=[Choice.parse(u) for u in UNITS], cc=[Choice.parse("Lưu: VT, NC.")])
    approvals.submit(session=session, document_id=doc.id, actor=clerk, files_root=files_root)
    approvals.approve(session=session, document_id=doc.id, actor=chair)
    return doc.id


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
