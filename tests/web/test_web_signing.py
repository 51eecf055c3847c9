"""Signing and issuing from the browser's forms (TestClient on one app per module, SQLite):
the chair signs with the PIN of their own SoftHSM2 token held by the server, or through their
sign agent; the văn thư issues with the organisation's key from the settings and follows the
deliveries to a real aiosmtpd, re-queueing a refused one. Wrong PIN, clerk, deputy without a
signing right and another leader's key are refused with nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from congvan import cli
from congvan.web import create_app, document_view
from outbox.channels.email import SmtpChannel
from outbox.relay import RetryPolicy, relay_once
from registry import db, schema
from registry.models import (
    AuditEvent,
    Delivery,
    Document,
    DocumentFile,
    DocumentStatus,
    Organization,
    PendingSignature,
)
from signing import agent
from signing.keyring import KeySource
from signing.verify import verify_pdf
from tests import factories
from tests.outbox.smtp_server import SmtpTestServer
from tests.web import scenario, signing_world
from tests.web.conftest import Web, client_class, web_settings

pytestmark = [pytest.mark.libreoffice]

CHAIR_PIN = "135790"
DEPUTY_PIN = "246802"
DEPUTY = "pho-truong-ban"
UNITS = ["ca-dak-ha:email", "ca-sa-thay:email", "ca-ngoc-hoi:email"]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """The scenario on a fresh SQLite file; the chair and a deputy (a leader without a signing
    right) each have a token on the server; the organisation's key is a .p12 in the settings."""
    import os

    home = tmp_path_factory.mktemp("web-signing")
    url = f"sqlite:///{home / 'congvan.db'}"
    engine = db.make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    people = [("le-ngoc-tuan", "Lê Ngọc Tuấn"), (DEPUTY, "Nguyễn Văn Phó")]
    ca = signing_world.make_keys(home / "keys", organization="BAN CHỈ ĐẠO 138 TỈNH KON TUM",
                                 people=people)
    previous = os.environ.get("SOFTHSM2_CONF")
    tokens = signing_world.tokens(home / "hsm", ca, {"le-ngoc-tuan": CHAIR_PIN,
                                                      DEPUTY: DEPUTY_PIN})
    settings = web_settings(url, home, keys_dir=home / "keys",
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
        signing_world.register(session, ca, organization_key="bcd-138",
                               people=[k for k, _ in people])
    client = client_class()(app)
    result = Web(app, client, settings, world)
    result.tokens = tokens  # type: ignore[attr-defined]
    try:
        yield result
    finally:
        client.close()
        db.get_engine().dispose()
        document_view.close_converter()
        signing_world.restore(previous)


def _draft(web: Web, subject: str, to: list[str]) -> int:
    """A draft to ``to`` submitted by the clerk and approved by the chair."""
    web.sign_in(web.world.clerk_key)
    made = web.client.post("/van-ban/moi", data={
        "doc_type": "cong_van", "drafting_unit": "NC", "subject": subject,
        "body": "Đề nghị các đơn vị báo cáo kết quả trước ngày 10 tháng 01.",
        "to": to, "cc": ["Lưu: VT, NC."]}, follow_redirects=False)
    assert made.status_code == 303, made.text
    document_id = int(made.headers["location"].split("/")[2])
    submitted = web.client.post(f"/van-ban/{document_id}/trinh", data={"reviewer": [""]},
                                follow_redirects=False)
    assert submitted.status_code == 303, submitted.text
    web.sign_in(web.world.chair_key)
    assert web.client.post(f"/documents/{document_id}/approve",
                           follow_redirects=False).status_code == 303
    return document_id


def _todo(web: Web) -> str:
    """The signed-in person's 'Việc cần làm' block of the home page."""
    page = web.client.get("/").text
    start = page.find('id="viec-can-lam"')
    return page[start:page.find("</section>", start)] if start >= 0 else ""


def _doc(document_id: int) -> tuple[DocumentStatus, list[str]]:
    with db.transaction() as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        kinds = [f.kind for f in session.scalars(select(DocumentFile).where(
            DocumentFile.document_id == document_id))]
        return doc.status, kinds


class TestSignWithPin:
    def test_clerk_and_deputy_cannot_sign(self, web: Web) -> None:
        """The chair finds the approved draft on their dashboard; a clerk gets 403 on sign; a
        leader without a signing right for the body gets 403, no sign form and no dashboard
        entry; nothing changes."""
        document_id = _draft(web, "V/v thử quyền ký", UNITS[:1])
        assert f"/documents/{document_id}" in _todo(web)
        web.sign_in(web.world.clerk_key)
        assert web.client.post(f"/documents/{document_id}/ky",
                               data={"pin": CHAIR_PIN}).status_code == 403
        web.sign_in(DEPUTY)
        assert 'id="ky-so"' not in web.client.get(f"/documents/{document_id}").text
        assert f"/documents/{document_id}" not in _todo(web)
        refused = web.client.post(f"/documents/{document_id}/ky", data={"pin": DEPUTY_PIN})
        assert refused.status_code == 403 and "Nguyễn Văn Phó" in refused.text
        assert _doc(document_id) == (DocumentStatus.APPROVED, [])

    def test_wrong_pin_then_right_pin(self, web: Web) -> None:
        """A wrong PIN is a Vietnamese message next to the form, the PIN is not echoed and
        nothing is written; the right PIN signs the final PDF with the chair's certificate.
        The văn thư then sees the issue form, but a document whose only line is free text is
        not issued: the message says why and no number is taken."""
        document_id = _draft(web, "V/v thử ký bằng mã PIN", ["Thường trực Huyện ủy"])
        page = web.client.get(f"/documents/{document_id}").text
        assert 'id="ky-so"' in page and 'name="pin"' in page
        wrong = web.client.post(f"/documents/{document_id}/ky", data={"pin": "000000"},
                                headers={"HX-Request": "true"})
        assert wrong.status_code == 422
        assert "Mã PIN của token “token-le-ngoc-tuan” không đúng" in wrong.text
        assert "000000" not in wrong.text
        assert _doc(document_id) == (DocumentStatus.APPROVED, [])
        with db.transaction() as session:
            assert session.scalar(select(AuditEvent).where(
                AuditEvent.object_id == document_id, AuditEvent.action == "sign")) is None
        signed = web.client.post(f"/documents/{document_id}/ky", data={"pin": CHAIR_PIN},
                                 follow_redirects=False)
        assert signed.status_code == 303, signed.text
        status, kinds = _doc(document_id)
        assert status is DocumentStatus.SIGNED and kinds == ["person_signed_pdf"]
        with db.transaction() as session:
            row = session.scalars(select(DocumentFile).where(
                DocumentFile.document_id == document_id)).one()
            path = web.settings.files_dir / row.path  # type: ignore[operator]
        report = verify_pdf(path.read_bytes())
        assert [s.signer for s in report.signatures] == ["Lê Ngọc Tuấn (DEMO — KHÔNG DÙNG THẬT)"]
        web.sign_in(web.world.clerk_key)
        assert 'id="ban-hanh"' in web.client.get(f"/documents/{document_id}").text
        refused = web.client.post(f"/documents/{document_id}/ban-hanh")
        assert refused.status_code == 422 and "không gửi đến nơi nào" in refused.text
        with db.transaction() as session:
            doc = session.get(Document, document_id)
            assert doc is not None and doc.status is DocumentStatus.SIGNED and doc.number is None


class TestIssueAndDeliveries:
    def test_issue_send_fail_retry(self, web: Web) -> None:
        """The văn thư issues to three units by e-mail: three queued deliveries; the mail
        server refuses them (554), the panel shows the reason in Vietnamese and a retry; a
        retried one is sent; a clerk of another body cannot retry it."""
        document_id = _draft(web, "V/v thử ban hành và gửi", UNITS)
        assert web.client.post(f"/documents/{document_id}/ky", data={"pin": CHAIR_PIN},
                               follow_redirects=False).status_code == 303
        web.sign_in(web.world.clerk_key)
        issued = web.client.post(f"/documents/{document_id}/ban-hanh", follow_redirects=False)
        assert issued.status_code == 303, issued.text
        panel = web.client.get(f"/documents/{document_id}/luot-gui",
                               headers={"HX-Request": "true"}).text
        assert panel.count('data-state="queued"') == 3 and 'hx-trigger="every 2s"' in panel
        with SmtpTestServer() as smtp:
            channel = SmtpChannel(host=smtp.host, port=smtp.port, from_addr="vt@bcd138.test")
            smtp.faults.permanent = True
            relay_once(channels={"email": channel}, engine=db.get_engine(),  # type: ignore[arg-type]
                       files_root=web.settings.files_dir,
                       policy=RetryPolicy(max_attempts=1, base=1, jitter=0.0, lease=60))
            panel = web.client.get(f"/documents/{document_id}/luot-gui").text
            assert panel.count('data-state="dead"') == 3
            assert "Máy chủ thư nơi nhận từ chối (mã 554)" in panel
            assert 'hx-trigger="every 2s"' not in panel
            with db.transaction() as session:
                first = session.scalars(select(Delivery.id).where(
                    Delivery.document_id == document_id).order_by(Delivery.id)).first()
            web.sign_in(web.world.other_clerk_key)
            assert web.client.post(
                f"/documents/{document_id}/luot-gui/{first}/gui-lai").status_code == 404
            web.sign_in(web.world.clerk_key)
            again = web.client.post(f"/documents/{document_id}/luot-gui/{first}/gui-lai",
                                    headers={"HX-Request": "true"})
            assert again.status_code == 200 and again.text.count('data-state="queued"') == 1
            smtp.faults.permanent = False
            relay_once(channels={"email": channel}, engine=db.get_engine(),  # type: ignore[arg-type]
                       files_root=web.settings.files_dir)
            assert len(smtp.mailbox.messages) == 1
        panel = web.client.get(f"/documents/{document_id}/luot-gui").text
        assert panel.count('data-state="sent"') == 1 and panel.count('data-state="dead"') == 2
        status, kinds = _doc(document_id)
        assert status is DocumentStatus.ISSUED and {"docx", "signed_pdf"} <= set(kinds)


class TestSignThroughAgent:
    def test_agent_signs_after_the_page_prepares(self, web: Web, tmp_path: Path) -> None:
        """The page prepares the signature and offers the request file; `congvan
        sign-request` has the leader's agent (around their token) sign it; a signature made
        with the deputy's key, pasted, is refused naming the deputy; the chair's, uploaded as
        the file the command wrote, completes the signature."""
        document_id = _draft(web, "V/v thử ký qua tác tử ký", UNITS[:1])
        begun = web.client.post(f"/documents/{document_id}/ky-ngoai", follow_redirects=False)
        assert begun.status_code == 303, begun.text
        page_url = begun.headers["location"]
        page = web.client.get(page_url).text
        request = json.loads(web.client.get(page_url + "/yeu-cau.json").text)
        assert request["digest"] in page and request["subject"] == "V/v thử ký qua tác tử ký"
        tokens = web.tokens  # type: ignore[attr-defined]

        request_file = tmp_path / f"yeu-cau-ky-{document_id}.json"
        request_file.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")

        def cms_from(person_key: str) -> Path:
            """What `congvan sign-request` writes after the person's agent signed."""
            token = tokens[person_key]
            source = KeySource.pkcs11(module=signing_world.SOFTHSM_LIB, token_label=token.label,
                                      pin=token.pin, key_label=person_key)
            out = tmp_path / f"chu-ky-{person_key}.p7s"
            with source.open() as signer:
                running = agent.SignAgent(signer.backend, confirm=lambda r: True)
                running.start()
                try:
                    result = CliRunner().invoke(cli.app, [
                        "sign-request", str(request_file), "--agent", running.url,
                        "-o", str(out)])
                finally:
                    running.shutdown()
            assert result.exit_code == 0, result.output
            return out

        other = web.client.post(page_url, data={"cms": cms_from(DEPUTY).read_text()})
        assert other.status_code == 422 and "Nguyễn Văn Phó" in other.text
        assert _doc(document_id) == (DocumentStatus.APPROVED, [])
        with cms_from("le-ngoc-tuan").open("rb") as upload:
            done = web.client.post(page_url, files={"cms_file": ("chu-ky.p7s", upload)},
                                   follow_redirects=False)
        assert done.status_code == 303, done.text
        assert _doc(document_id) == (DocumentStatus.SIGNED, ["person_signed_pdf"])
        with db.transaction() as session:
            assert session.scalar(select(PendingSignature).where(
                PendingSignature.document_id == document_id)) is None


class TestPinAttempts:
    def test_wrong_pins_stop_the_pin_door_for_a_while(self, web: Web) -> None:
        """SoftHSM2 never locks a token: after five wrong PINs in 15 minutes the page stops
        asking it — even the right PIN is refused, nothing is signed, the sign agent is
        offered instead; each wrong PIN is on the document's audit trail, the PIN is not."""
        document_id = _draft(web, "V/v thử nhập sai mã PIN nhiều lần", UNITS[:1])
        answers = [web.client.post(f"/documents/{document_id}/ky", data={"pin": f"99{i}"})
                   for i in range(5)]
        assert all(a.status_code == 422 for a in answers)
        stopped = web.client.post(f"/documents/{document_id}/ky", data={"pin": CHAIR_PIN})
        assert stopped.status_code == 422 and "tạm ngừng ký bằng mã PIN" in stopped.text
        assert "tác tử ký" in stopped.text
        assert _doc(document_id) == (DocumentStatus.APPROVED, [])
        with db.transaction() as session:
            refused = session.scalars(select(AuditEvent).where(
                AuditEvent.object_id == document_id,
                AuditEvent.action == "pin_refused")).all()
            assert refused and all("99" not in str(e.detail) for e in refused)
        assert "Nhập sai mã PIN khi ký" in web.client.get(f"/documents/{document_id}").text
