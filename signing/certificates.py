"""Whose certificate is whose: a person's (or an organisation's) registered signing certificates.

A signature counts as the person's only when it is made with a certificate
registered to that person (``congvan keys register``): another leader's
certificate, an unregistered one, a revoked or expired one is refused with a
message naming both the certificate's holder and the person who tried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from registry import audit
from registry.errors import PermissionDenied
from registry.models import Organization, Person, SigningCertificate
from signing.errors import CertificateNotUsable, KeyUnavailable, SigningError


class CertificateMismatch(SigningError):
    """The certificate is not registered to the person or organisation that signs."""


@dataclass(frozen=True)
class CertificateInfo:
    """What a certificate says about itself."""

    der: bytes
    fingerprint: str
    subject: str
    common_name: str
    issuer: str
    serial: str
    valid_from: dt.datetime
    valid_until: dt.datetime


def read_certificate(data: bytes) -> CertificateInfo:
    """Parse a PEM or DER X.509 certificate; Vietnamese error when it is neither."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    try:
        cert = (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                else x509.load_der_x509_certificate(data))
    except ValueError as exc:
        raise KeyUnavailable(
            "Tệp chứng thư số không đọc được (cần tệp .pem hoặc .cer/.der chứa một chứng thư "
            f"X.509): {exc}") from exc
    der = cert.public_bytes(Encoding.DER)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return CertificateInfo(
        der=der, fingerprint=hashlib.sha256(der).hexdigest(),
        subject=cert.subject.rfc4514_string(),
        common_name=str(cns[0].value) if cns else cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(), serial=format(cert.serial_number, "x"),
        valid_from=cert.not_valid_before_utc, valid_until=cert.not_valid_after_utc)


def _owner_label(row: SigningCertificate) -> str:
    if row.person is not None:
        return f"{row.person.full_name} ({row.person.key})"
    assert row.organization is not None
    return f"cơ quan {row.organization.code or row.organization.key}"


def register(*, session: Session, certificate: bytes, actor: Person | None,
             person: Person | None = None,
             organization: Organization | None = None) -> SigningCertificate:
    """Register ``certificate`` as ``person``'s (or ``organization``'s) signing certificate.

    Only the person themself or an administrator registers a person's certificate (a clerk
    who could register their own key under a leader's name could sign for the leader);
    only an administrator registers an organisation's. ``actor=None`` is the directory
    import, an administrator's act. Idempotent for the same owner.
    """
    if (person is None) == (organization is None):
        raise SigningError("Chứng thư đăng ký cho một cán bộ hoặc một cơ quan (chọn một).")
    if actor is not None and not actor.has_role("admin") and (
            person is None or actor.id != person.id):
        raise PermissionDenied(
            f"{actor.full_name} không được đăng ký chứng thư cho người khác; chỉ chính người "
            "ký hoặc quản trị (admin) đăng ký chứng thư số")
    info = read_certificate(certificate)
    existing = session.scalar(select(SigningCertificate).where(
        SigningCertificate.fingerprint == info.fingerprint))
    if existing is not None:
        same = (person is not None and existing.person_id == person.id) or (
            organization is not None and existing.organization_id == organization.id)
        if same:
            return existing
        raise CertificateMismatch(
            f"Chứng thư “{info.common_name}” (SHA-256 {info.fingerprint[:16]}…) đã đăng ký cho "
            f"{_owner_label(existing)}; một chứng thư chỉ thuộc một người hoặc một cơ quan.")
    row, inserted = _insert_once(session, info, person=person, organization=organization)
    if not inserted:  # registered by a concurrent transaction just now
        return register(session=session, certificate=certificate, actor=actor, person=person,
                        organization=organization)
    audit.record(session=session, action="register_certificate",
                 object_type="person" if person else "organization",
                 object_id=person.id if person else organization.id,  # type: ignore[union-attr]
                 actor=actor, detail={"fingerprint": info.fingerprint, "subject": info.subject,
                                      "valid_until": info.valid_until.isoformat()})
    return row


def _insert_once(session: Session, info: CertificateInfo, *, person: Person | None,
                 organization: Organization | None) -> tuple[SigningCertificate, bool]:
    """The row of ``info``'s fingerprint, inserted unless a concurrent transaction did (it
    waits for that one's commit): (row, True when this call inserted it)."""
    values = {"person_id": person.id if person else None,
              "organization_id": organization.id if organization else None,
              "fingerprint": info.fingerprint, "subject": info.subject, "issuer": info.issuer,
              "serial": info.serial, "valid_from": info.valid_from,
              "valid_until": info.valid_until, "der": info.der}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        inserted = session.execute(make(SigningCertificate).values(values).on_conflict_do_nothing(
            index_elements=["fingerprint"]).returning(SigningCertificate.id)).scalar()
    else:  # pragma: no cover - other engines are not supported yet
        inserted = session.execute(insert(SigningCertificate).values(values).returning(
            SigningCertificate.id)).scalar()
    row = session.scalar(select(SigningCertificate).where(
        SigningCertificate.fingerprint == info.fingerprint).execution_options(
        populate_existing=True))
    assert row is not None
    return row, inserted is not None


def revoke(*, session: Session, fingerprint: str, actor: Person | None,
           at: dt.datetime | None = None) -> SigningCertificate:
    """Mark a registered certificate revoked: no signature with it is accepted from ``at`` on."""
    row = session.scalar(select(SigningCertificate).where(
        SigningCertificate.fingerprint == fingerprint.lower()))
    if row is None:
        raise KeyUnavailable(f"Không có chứng thư SHA-256 {fingerprint} trong danh bạ.")
    if actor is not None and not actor.has_role("admin") and actor.id != row.person_id:
        raise PermissionDenied(f"{actor.full_name} không được thu hồi chứng thư của người khác")
    row.revoked_at = at or dt.datetime.now(dt.UTC)
    session.flush()
    return row


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _usable(row: SigningCertificate, info: CertificateInfo, now: dt.datetime) -> None:
    if row.revoked_at is not None and _aware(row.revoked_at) <= now:
        raise CertificateNotUsable(
            f"Chứng thư “{info.common_name}” đã bị thu hồi ngày "
            f"{_aware(row.revoked_at):%d/%m/%Y}; hãy dùng chứng thư còn hiệu lực.")
    if not info.valid_from <= now <= info.valid_until:
        raise CertificateNotUsable(
            f"Chứng thư “{info.common_name}” chỉ có hiệu lực từ {info.valid_from:%d/%m/%Y} đến "
            f"{info.valid_until:%d/%m/%Y}; hãy dùng chứng thư còn hiệu lực.")


def require_person_certificate(*, session: Session, person: Person, certificate: bytes,
                               now: dt.datetime | None = None) -> SigningCertificate:
    """The registered row of ``certificate`` if it is ``person``'s and usable ``now``.

    Raises :class:`CertificateMismatch` naming the certificate's holder and ``person``, or
    :class:`CertificateNotUsable` when it is revoked, expired or not yet valid.
    """
    info = read_certificate(certificate)
    row = session.scalar(select(SigningCertificate).where(
        SigningCertificate.fingerprint == info.fingerprint))
    if row is None or row.person_id != person.id:
        holder = (_owner_label(row) if row is not None
                  else f"“{info.common_name}” (chưa đăng ký trong danh bạ)")
        raise CertificateMismatch(
            f"Chứng thư số dùng để ký là của {holder}, không phải của {person.full_name} "
            f"({person.key}); {person.full_name} phải ký bằng chứng thư của chính mình "
            "(đăng ký: congvan keys register).")
    _usable(row, info, now or dt.datetime.now(dt.UTC))
    return row


def usable_of(*, session: Session, person: Person,
              now: dt.datetime | None = None) -> list[SigningCertificate]:
    """``person``'s registered certificates that are not revoked and valid ``now``."""
    moment = now or dt.datetime.now(dt.UTC)
    rows = session.scalars(select(SigningCertificate).where(
        SigningCertificate.person_id == person.id, SigningCertificate.revoked_at.is_(None))
        .order_by(SigningCertificate.id)).all()
    return [r for r in rows if _aware(r.valid_from) <= moment <= _aware(r.valid_until)]


def require_organization_certificate(*, session: Session, organization: Organization,
                                     certificate: bytes,
                                     now: dt.datetime | None = None) -> SigningCertificate:
    """Like :func:`require_person_certificate`, for the organisation's key at issuing.

    An organisation with no certificate registered at all accepts any (registration of the
    organisation's certificate is optional); once one is registered, only those.
    """
    info = read_certificate(certificate)
    row = session.scalar(select(SigningCertificate).where(
        SigningCertificate.fingerprint == info.fingerprint))
    if row is None:
        registered = session.scalar(select(SigningCertificate.id).where(
            SigningCertificate.organization_id == organization.id).limit(1))
        if registered is not None:
            raise CertificateMismatch(
                f"Chứng thư “{info.common_name}” không phải chứng thư đã đăng ký của cơ quan "
                f"{organization.code or organization.key}; hãy dùng khoá của cơ quan.")
        # Two issuing processes may use the key for the first time at once: one row wins,
        # the other transaction waits for it and reads it (no unique-constraint failure).
        row, _ = _insert_once(session, info, person=None, organization=organization)
    if row.organization_id != organization.id:
        raise CertificateMismatch(
            f"Chứng thư dùng để ký phát hành là của {_owner_label(row)}, không phải của cơ quan "
            f"{organization.code or organization.key}; hãy dùng khoá của cơ quan ban hành.")
    _usable(row, info, now or dt.datetime.now(dt.UTC))
    return row


def owners(*, session: Session, fingerprints: list[str]) -> dict[str, SigningCertificate]:
    """Registered rows by fingerprint (for verify's "who is this signer" report)."""
    if not fingerprints:
        return {}
    rows = session.scalars(select(SigningCertificate).where(
        SigningCertificate.fingerprint.in_(fingerprints))).all()
    return {r.fingerprint: r for r in rows}
