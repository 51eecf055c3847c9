"""Whose certificate is whose: registration rights, another person's certificate, expired and
revoked certificates, the organisation's optional registration. Real certificates from the demo
CA, both database engines."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from registry.errors import PermissionDenied
from signing import certificates
from signing.errors import CertificateNotUsable, KeyUnavailable
from signing.keys import DevCAFiles, create_dev_ca
from tests.signing.test_approvals_fixtures import World, build_world


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> DevCAFiles:
    return create_dev_ca(tmp_path_factory.mktemp("ca"), password="x",
                         people=[("deputy", "Nguyễn Văn A"), ("chair", "Lê Ngọc Tuấn")])


def _pem(ca: DevCAFiles, who: str) -> bytes:
    return (ca.people[who].parent / "cert.pem").read_bytes()


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


class TestRegister:
    def test_only_the_person_or_an_admin_registers(self, session: Session, world: World,
                                                   ca: DevCAFiles) -> None:
        """A clerk cannot register a certificate under a leader's name; the leader can, and
        registering twice is idempotent."""
        with pytest.raises(PermissionDenied, match="không được đăng ký"):
            certificates.register(session=session, certificate=_pem(ca, "deputy"),
                                  actor=world.clerk, person=world.deputy)
        first = certificates.register(session=session, certificate=_pem(ca, "deputy"),
                                      actor=world.deputy, person=world.deputy)
        again = certificates.register(session=session, certificate=_pem(ca, "deputy"),
                                      actor=world.deputy, person=world.deputy)
        assert first.id == again.id and "Nguyễn Văn A" in first.subject

    def test_one_certificate_one_owner(self, session: Session, world: World,
                                       ca: DevCAFiles) -> None:
        """The chair's certificate cannot also be the deputy's."""
        certificates.register(session=session, certificate=_pem(ca, "chair"),
                              actor=world.chair, person=world.chair)
        with pytest.raises(certificates.CertificateMismatch, match="Lê Ngọc Tuấn"):
            certificates.register(session=session, certificate=_pem(ca, "chair"),
                                  actor=world.deputy, person=world.deputy)

    def test_not_a_certificate(self, session: Session, world: World) -> None:
        """Garbage is a Vietnamese error naming the expected formats."""
        with pytest.raises(KeyUnavailable, match=".pem"):
            certificates.register(session=session, certificate=b"xin chao",
                                  actor=world.deputy, person=world.deputy)


class TestRequire:
    def test_another_persons_certificate_names_both(self, session: Session, world: World,
                                                    ca: DevCAFiles) -> None:
        """The deputy signing with the chair's registered certificate: both names."""
        certificates.register(session=session, certificate=_pem(ca, "chair"),
                              actor=world.chair, person=world.chair)
        with pytest.raises(certificates.CertificateMismatch) as err:
            certificates.require_person_certificate(session=session, person=world.deputy,
                                                    certificate=_pem(ca, "chair"))
        assert "Lê Ngọc Tuấn" in str(err.value) and "Nguyễn Văn A" in str(err.value)

    def test_expired_certificate(self, session: Session, world: World,
                                 expired_ca: DevCAFiles) -> None:
        """A certificate that expired is refused with its validity dates."""
        pem = (expired_ca.signer_p12.parent / "signer.pem").read_bytes()
        certificates.register(session=session, certificate=pem, actor=world.deputy,
                              person=world.deputy)
        with pytest.raises(CertificateNotUsable, match="chỉ có hiệu lực"):
            certificates.require_person_certificate(session=session, person=world.deputy,
                                                    certificate=pem)

    def test_revoked_certificate(self, session: Session, world: World, ca: DevCAFiles) -> None:
        """After revocation the certificate is refused, saying so."""
        row = certificates.register(session=session, certificate=_pem(ca, "deputy"),
                                    actor=world.deputy, person=world.deputy)
        certificates.revoke(session=session, fingerprint=row.fingerprint, actor=world.deputy)
        with pytest.raises(CertificateNotUsable, match="thu hồi"):
            certificates.require_person_certificate(session=session, person=world.deputy,
                                                    certificate=_pem(ca, "deputy"))

    def test_organisation_registration_is_optional_then_binding(
            self, session: Session, world: World, ca: DevCAFiles) -> None:
        """With none registered the organisation's first key is recorded; afterwards another
        key (here a person's) is refused."""
        org_pem = (ca.organization_p12.parent / "organization.pem").read_bytes()
        row = certificates.require_organization_certificate(
            session=session, organization=world.issuer, certificate=org_pem)
        assert row.organization_id == world.issuer.id
        with pytest.raises(certificates.CertificateMismatch):
            certificates.require_organization_certificate(
                session=session, organization=world.issuer, certificate=_pem(ca, "deputy"))
