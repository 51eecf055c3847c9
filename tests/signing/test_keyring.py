"""signing.keyring against a real SoftHSM2 token: opening keys, clear errors, and issuing a document
with the organisation's key on the token and the person's in a .p12 file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from registry.models import DocumentStatus
from signing import issuing, keyring, storage
from signing.errors import AppearanceError, BadPassword, KeyUnavailable
from signing.keyring import KeySource
from signing.keys import DevCAFiles
from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD
from signing.verify import verify_pdf
from tests.signing.conftest import PASSWORD, Token
from tests.signing.test_approvals_fixtures import build_world

ORG_KEY = "co-quan"


@pytest.fixture(scope="module")
def org_token(softhsm_token: Token, dev_ca: DevCAFiles) -> Token:
    """The session token with the organisation's key and certificate added (label co-quan)."""
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_certificate

    key, cert, _ = pkcs12.load_key_and_certificates(dev_ca.organization_p12.read_bytes(),
                                                   PASSWORD.encode())
    token = pkcs11.lib(softhsm_token.module).get_token(token_label=softhsm_token.label)
    with token.open(rw=True, user_pin=softhsm_token.pin) as session:
        if not list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                         Attribute.LABEL: ORG_KEY})):
            attrs = decode_rsa_private_key(key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption()))
            attrs.update({Attribute.LABEL: ORG_KEY, Attribute.ID: b"\x02", Attribute.TOKEN: True,
                          Attribute.SIGN: True, Attribute.PRIVATE: True,
                          Attribute.SENSITIVE: True})
            session.create_object(attrs)
            # A certificate label unlike the key's, as on vendor tokens: found by CKA_ID.
            cert_attrs = decode_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
            cert_attrs.update({Attribute.LABEL: "Chứng thư cơ quan", Attribute.ID: b"\x02",
                               Attribute.TOKEN: True})
            session.create_object(cert_attrs)
    return Token(module=softhsm_token.module, label=softhsm_token.label, pin=softhsm_token.pin,
                 key_label=ORG_KEY)


def token_source(t: Token, **changes: str | None) -> KeySource:
    fields = {"module": t.module, "token_label": t.label, "pin": t.pin, "key_label": t.key_label}
    fields.update(changes)
    return KeySource.pkcs11(**fields)  # type: ignore[arg-type]


class TestKeySource:
    def test_token_key_signs_and_verifies(self, org_token, plain_pdf, ca_pem):
        """The organisation's key on the token, its certificate found by CKA_ID, signs validly."""
        with token_source(org_token).open() as signer:
            signed = signer.sign_pdf(plain_pdf, appearance=None, reason="thử")
        sig = verify_pdf(signed, trust_roots=[ca_pem]).signatures[0]
        assert sig.ok, sig.problems

    def test_wrong_pin(self, org_token):
        """A wrong PIN raises BadPassword naming the token."""
        with pytest.raises(BadPassword, match="PIN của token “congvan-test” không đúng"):
            token_source(org_token, pin="000000").open()

    def test_missing_key_lists_the_labels(self, org_token):
        """A key label not on the token is refused up front, listing the labels there."""
        with pytest.raises(KeyUnavailable, match="Không có khoá “khác”.*“co-quan”, “nguoi-ky”"):
            token_source(org_token, key_label="khác").open()

    def test_two_keys_need_a_label(self, org_token):
        """Without a key label, a token holding two keys asks which one."""
        with pytest.raises(KeyUnavailable, match="có 2 khoá.*chỉ rõ nhãn khoá"):
            token_source(org_token, key_label=None).open()

    def test_missing_token_names_the_present_ones(self, org_token):
        """An unplugged token is named, with the labels of the tokens that are present."""
        with pytest.raises(KeyUnavailable, match="Không thấy token “USB-khác”.*congvan-test"):
            token_source(org_token, token_label="USB-khác").open()

    def test_missing_module(self, org_token, tmp_path):
        """A PKCS#11 library path that does not exist is named."""
        with pytest.raises(KeyUnavailable, match="Không có thư viện PKCS#11"):
            token_source(org_token, module=str(tmp_path / "none.so")).open()

    def test_missing_image_costs_no_pin_attempt(self, org_token, dev_ca, tmp_path):
        """Images are checked before any key is opened."""
        with pytest.raises(AppearanceError, match="con dấu"):
            keyring.issuing_keys(organization=token_source(org_token, pin="000000"),
                                 seal_png=tmp_path / "none.png")

    def test_fingerprint_matches_between_p12_and_token(self, org_token, dev_ca):
        """The same certificate gives the same fingerprint from the .p12 and from the token."""
        assert keyring.fingerprint(token_source(org_token)) == keyring.fingerprint(
            KeySource.pkcs12(dev_ca.organization_p12, PASSWORD))


@pytest.mark.libreoffice
class TestIssueWithToken:
    @pytest.fixture(scope="class")
    def converter(self) -> Iterator[object]:
        if shutil.which("soffice") is None:
            pytest.skip("LibreOffice is not installed")
        from doc_templates.pdf import PdfConverter

        with PdfConverter() as conv:
            yield conv

    def test_org_on_token_person_in_p12(self, session: Session, engine, tmp_path: Path,
                                        converter, org_token, dev_ca, ca_pem):
        """The person's .p12 at draft sign and the organisation's token key at issue give two
        intact, trusted signatures on the issued PDF."""
        if engine.dialect.name != "sqlite":
            pytest.skip("one LibreOffice conversion: the SQLite run covers it")
        from signing import approvals, certificates, person
        from signing.appearance import PngImage
        from tests.signing.test_approvals_fixtures import new_draft

        world = build_world(session)
        doc = new_draft(session, world)
        approvals.submit(session=session, document_id=doc.id, actor=world.drafter,
                         files_root=tmp_path, reviewers=[world.head_of_dept])
        approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
        own = KeySource.pkcs12(dev_ca.signer_p12, PASSWORD)
        with own.open() as signer:
            certificates.register(session=session, actor=world.deputy, person=world.deputy,
                                  certificate=signer.certificate_der)
            person.sign_with_key(session=session, document_id=doc.id, actor=world.deputy,
                                 signer=signer, signature=PngImage.from_file(dev_ca.signature_png),
                                 converter=converter, files_root=tmp_path,
                                 today=datetime(2026, 12, 16).date())
        with keyring.opened_keys(organization=token_source(org_token),
                                 seal_png=dev_ca.seal_png) as keys:
            result = issuing.issue(session=session, document_id=doc.id, actor=world.clerk,
                                   keys=keys, files_root=tmp_path,
                                   on=datetime(2026, 12, 16, 3, 0, tzinfo=UTC))
        assert doc.status is DocumentStatus.ISSUED
        pdf = storage.read(tmp_path, result.pdf.path, expected_sha256=result.pdf.sha256)
        report = verify_pdf(pdf, trust_roots=[ca_pem])
        assert [(s.field_name, s.intact, s.trusted) for s in report.signatures] == [
            (PERSON_FIELD, True, True), (ORGANIZATION_FIELD, True, True)]
        assert "BAN CHỈ ĐẠO" in report.signatures[1].signer + str(
            report.signatures[1].organization)


class TestRefresh:
    def test_refresh_is_rate_limited_and_counted(self, org_token, monkeypatch):
        """refresh_tokens re-initialises the library once per REFRESH_AFTER seconds and counts
        it; a library that cannot be loaded is not refreshed."""
        monkeypatch.setattr(keyring, "_refreshed_at", {})
        before = keyring.token_generation(org_token.module)
        assert keyring.refresh_tokens(org_token.module)
        assert not keyring.refresh_tokens(org_token.module)
        assert keyring.token_generation(org_token.module) == before + 1
        assert keyring.token_generation(None) == 0

    def test_cached_org_key_reopens_after_a_refresh(self, org_token, dev_ca, plain_pdf, ca_pem,
                                                    monkeypatch, tmp_path):
        """The web's organisation key on a token, opened once per process, is opened again
        after a refresh ended its session (a leader's token plugged in meanwhile), and still
        signs; closing the ended one raises nothing."""
        from registry.settings import Settings
        from workflows import issuance

        monkeypatch.setattr(keyring, "_refreshed_at", {})
        monkeypatch.setattr(issuance, "_org_keys", {})
        cfg = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", home=tmp_path,
                       keys_dir=dev_ca.seal_png.parent, org_token=org_token.label,
                       org_pin=org_token.pin, org_key_label=ORG_KEY,
                       pkcs11_module=Path(org_token.module))
        first = issuance.organization_keys(cfg)
        assert issuance.organization_keys(cfg) is first
        assert keyring.refresh_tokens(org_token.module)
        again = issuance.organization_keys(cfg)
        assert again is not first
        signed = again.organization.sign_pdf(plain_pdf, appearance=None, reason="thử")
        assert verify_pdf(signed, trust_roots=[ca_pem]).signatures[0].ok
        keyring.close(first)
        keyring.close(again)
