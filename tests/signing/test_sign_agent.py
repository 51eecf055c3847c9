"""The leader's sign agent and the server side together against SoftHSM2: the agent on 127.0.0.1
holds the token, is shown the document, subject and digest, and signs only when the leader
confirms; the server embeds the CMS after checking it is the leader's registered certificate.
The leader's answer is scripted here (the CLI asks in the terminal)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from doc_templates.pdf import PdfConverter
from registry import documents
from registry.models import DocumentFile
from registry.models import DocumentStatus as S
from signing import agent, approvals, certificates, person, storage
from signing.appearance import PngImage
from signing.keyring import KeySource
from signing.keys import DevCAFiles
from signing.verify import verify_pdf
from tests.signing.conftest import Token
from tests.signing.test_approvals_fixtures import World, build_world, new_draft

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    with PdfConverter() as conv:
        yield conv


@pytest.fixture
def running(softhsm_token: Token) -> Iterator[tuple[agent.SignAgent, list[agent.SignRequest],
                                                    list[bool]]]:
    """An agent around the SoftHSM2 key; ``answers`` scripts the leader's confirmations."""
    source = KeySource.pkcs11(module=softhsm_token.module, token_label=softhsm_token.label,
                              pin=softhsm_token.pin, key_label=softhsm_token.key_label)
    seen: list[agent.SignRequest] = []
    answers: list[bool] = []

    def confirm(request: agent.SignRequest) -> bool:
        seen.append(request)
        return answers.pop(0) if answers else False

    with source.open() as signer:
        a = agent.SignAgent(signer.backend, confirm=confirm)
        a.start()
        try:
            yield a, seen, answers
        finally:
            a.shutdown()


def _approved(session: Session, world: World, tmp_path: Path) -> int:
    doc = new_draft(session, world)
    approvals.submit(session=session, document_id=doc.id, actor=world.drafter,
                     files_root=tmp_path, reviewers=[world.head_of_dept])
    approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
    return doc.id


class TestSignAgent:
    def test_listens_on_loopback_only(self) -> None:
        """Any other address is refused before a socket is opened."""
        with pytest.raises(agent.AgentError, match="127.0.0.1"):
            agent.SignAgent(object(), confirm=lambda r: True, host="0.0.0.0")  # noqa: S104
        with pytest.raises(agent.AgentError, match="127.0.0.1"):
            agent.agent_certificate("http://10.0.0.5:8765")

    def test_server_and_agent_sign_after_confirmation(
            self, session: Session, engine, tmp_path: Path, converter: PdfConverter,  # type: ignore[no-untyped-def]
            running, dev_ca: DevCAFiles, ca_pem: bytes) -> None:
        """The agent shows the document, subject and the digest prepared by the server; after
        the leader confirms, the signed PDF verifies intact and trusted with the token's key."""
        if engine.dialect.name != "sqlite":
            pytest.skip("LibreOffice once per test: the SQLite run covers it")
        server, seen, answers = running
        world = build_world(session)
        doc_id = _approved(session, world, tmp_path)
        cert = agent.agent_certificate(server.url)
        certificates.register(session=session, actor=world.deputy, person=world.deputy,
                              certificate=cert)
        pending = person.begin_external(
            session=session, document_id=doc_id, actor=world.deputy, certificate=cert,
            signature=PngImage.from_file(dev_ca.signature_png), converter=converter)
        answers.append(True)
        cms = agent.agent_sign(server.url, document=pending.document_label,
                               subject=pending.subject, digest_hex=pending.digest_hex)
        assert [(r.document, r.subject, r.digest) for r in seen] == [
            (pending.document_label, pending.subject, pending.digest_hex)]
        doc = person.complete_external(session=session, pending_id=pending.id,
                                       actor=world.deputy, cms=cms, files_root=tmp_path)
        assert doc.status is S.SIGNED
        record = person.person_signature(session=session, document_id=doc_id)
        assert record is not None
        report = verify_pdf(storage.read(tmp_path, record.file.path), trust_roots=[ca_pem])
        assert [(s.intact, s.trusted) for s in report.signatures] == [(True, True)]

    def test_declined_request_signs_nothing(
            self, session: Session, engine, tmp_path: Path, converter: PdfConverter,  # type: ignore[no-untyped-def]
            running, dev_ca: DevCAFiles) -> None:
        """The leader declines: the agent answers 403, the server stores nothing and the
        document stays approved."""
        if engine.dialect.name != "sqlite":
            pytest.skip("LibreOffice once per test: the SQLite run covers it")
        server, seen, answers = running
        world = build_world(session)
        doc_id = _approved(session, world, tmp_path)
        cert = agent.agent_certificate(server.url)
        certificates.register(session=session, actor=world.deputy, person=world.deputy,
                              certificate=cert)
        pending = person.begin_external(
            session=session, document_id=doc_id, actor=world.deputy, certificate=cert,
            signature=PngImage.from_file(dev_ca.signature_png), converter=converter)
        answers.append(False)
        with pytest.raises(agent.AgentError, match="không đồng ý"):
            agent.agent_sign(server.url, document=pending.document_label,
                             subject=pending.subject, digest_hex=pending.digest_hex)
        assert len(seen) == 1
        assert documents.get(session=session, document_id=doc_id).status is S.APPROVED
        assert session.scalar(select(func.count()).select_from(DocumentFile).where(
            DocumentFile.kind == person.PERSON_SIGNED_KIND)) == 0

    def test_requests_from_a_web_page_are_refused(self, running) -> None:  # type: ignore[no-untyped-def]
        """A request carrying an Origin header (a browser page) never reaches the leader."""
        import json
        import urllib.error
        import urllib.request

        server, seen, _ = running
        req = urllib.request.Request(
            server.url + "/sign", method="POST", headers={"Origin": "https://evil.example",
                                                          "Content-Type": "application/json"},
            data=json.dumps({"document": "x", "subject": "y", "digest": "00" * 32}).encode())
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)  # noqa: S310
        assert err.value.code == 403 and seen == []
