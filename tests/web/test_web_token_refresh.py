"""A leader's SoftHSM2 token initialised on the server after the web process started is used
without a restart: the first signature fails because no token carries the leader's
certificate; once an administrator makes the token (in another process, as softhsm2-util
would), the next signature finds it (signing.keyring re-initialises the PKCS#11 library on a
miss, at most once per REFRESH_AFTER seconds)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from congvan.web import create_app, document_view
from registry import db, schema
from registry.models import Document, DocumentStatus, Organization
from signing import keyring
from tests import factories
from tests.web import scenario, signing_world
from tests.web.conftest import Web, client_class, web_settings
from tests.web.test_web_signing import _draft

pytestmark = [pytest.mark.libreoffice]

CHAIR = "le-ngoc-tuan"
CHAIR_PIN = "135790"
DEPUTY = "pho-truong-ban"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """The scenario with the chair's and a deputy's certificates registered; the server holds
    only the deputy's token when the app starts (and has loaded the PKCS#11 library)."""
    home = tmp_path_factory.mktemp("token-refresh")
    url = f"sqlite:///{home / 'congvan.db'}"
    engine = db.make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    people = [(CHAIR, "Lê Ngọc Tuấn"), (DEPUTY, "Nguyễn Văn Phó")]
    ca = signing_world.make_keys(home / "keys", organization="BAN CHỈ ĐẠO 138 TỈNH KON TUM",
                                 people=people)
    previous = os.environ.get("SOFTHSM2_CONF")
    signing_world.tokens(home / "hsm", ca, {DEPUTY: "246802"})
    settings = web_settings(url, home, keys_dir=home / "keys",
                            key_password=signing_world.KEY_PASSWORD,
                            pkcs11_module=Path(signing_world.SOFTHSM_LIB),
                            trust_roots=[ca.ca_cert])
    app = create_app(settings)
    assert settings.files_dir is not None
    with db.transaction() as session:
        world = scenario.build(session, settings.files_dir)
        org = session.scalars(select(Organization).where(Organization.key == "bcd-138")).one()
        scenario.account(session, factories.person(
            session, org, key=DEPUTY, full_name="Nguyễn Văn Phó", title="PHÓ TRƯỞNG BAN",
            roles=["leader"]))
        signing_world.register(session, ca, organization_key="bcd-138",
                               people=[k for k, _ in people])
    client = client_class()(app)
    result = Web(app, client, settings, world)
    result.ca = ca  # type: ignore[attr-defined]
    try:
        yield result
    finally:
        client.close()
        db.get_engine().dispose()
        document_view.close_converter()
        signing_world.restore(previous)


def test_a_token_made_after_start_signs_without_restart(web: Web) -> None:
    """No token for the chair: the page says so. The token is made by another process; the
    chair's next press of "Ký số" (after REFRESH_AFTER) signs with it."""
    document_id = _draft(web, "V/v thử token cắm sau khi khởi động", ["Thường trực Huyện ủy"])
    missing = web.client.post(f"/documents/{document_id}/ky", data={"pin": CHAIR_PIN},
                              headers={"HX-Request": "true"})
    assert missing.status_code == 422
    assert "Máy chủ không giữ token nào mang chứng thư số của Lê Ngọc Tuấn" in missing.text
    signing_world.token_from_another_process(web.ca.people[CHAIR], CHAIR,  # type: ignore[attr-defined]
                                             CHAIR_PIN)
    time.sleep(keyring.REFRESH_AFTER)  # the failed press above used this period's refresh
    signed = web.client.post(f"/documents/{document_id}/ky", data={"pin": CHAIR_PIN},
                             follow_redirects=False)
    assert signed.status_code == 303, signed.text
    with db.transaction() as session:
        doc = session.get(Document, document_id)
        assert doc is not None and doc.status is DocumentStatus.SIGNED
