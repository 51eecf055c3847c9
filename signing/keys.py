"""Certificates and keys: the demo CA, issuing certificates, loading PKCS#12 files.

The demo CA is for trying congvan out and for tests only: every name it writes
carries :data:`DEMO_MARK` so that nobody mistakes its signatures for real ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.errors import BadPassword, KeyUnavailable

DEMO_MARK = "DEMO — KHÔNG DÙNG THẬT"


@dataclass(frozen=True)
class Issued:
    """A private key and the certificate issued for it."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def cert_pem(self) -> bytes:
        """The certificate in PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class DevCAFiles:
    """Where :func:`create_dev_ca` wrote each file."""

    ca_cert: Path
    signer_p12: Path
    organization_p12: Path
    signature_png: Path
    seal_png: Path


def _name(common_name: str, organization: str | None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def new_ca(*, common_name: str, not_before: dt.datetime, not_after: dt.datetime) -> Issued:
    """A self-signed root CA that may only sign certificates (path length 0)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name(common_name, None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key=key, cert=cert)


def issue(
    ca: Issued,
    *,
    common_name: str,
    organization: str | None,
    not_before: dt.datetime,
    not_after: dt.datetime,
    timestamping: bool = False,
) -> Issued:
    """Issue an end-entity certificate signed by ``ca``.

    Key usage is digitalSignature + nonRepudiation (what PAdES validators expect
    of a signer); ``timestamping=True`` makes a timestamp-authority certificate instead.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=not timestamping,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return Issued(key=key, cert=builder.sign(ca.key, hashes.SHA256()))


def pkcs12_bytes(issued: Issued, *, chain: Sequence[x509.Certificate], password: str,
                 friendly_name: str) -> bytes:
    """``issued`` with its chain as a password-protected PKCS#12 file."""
    if not password:
        raise KeyUnavailable("Mật khẩu tệp PKCS#12 không được để trống; hãy đặt một mật khẩu.")
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode("utf-8"), issued.key, issued.cert, list(chain),
        serialization.BestAvailableEncryption(password.encode("utf-8")),
    )


def read_pkcs12(data: bytes, password: str) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """Check that ``data`` opens with ``password``; return its certificate and chain.

    Raises :class:`BadPassword` when the password is refused and
    :class:`KeyUnavailable` when the file holds no key or certificate.
    """
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    except ValueError as exc:
        if "password" in str(exc).lower():
            raise BadPassword(
                "Mật khẩu tệp PKCS#12 không đúng; hãy nhập lại mật khẩu của tệp khoá."
            ) from exc
        raise KeyUnavailable(f"Tệp PKCS#12 không đọc được: {exc}") from exc
    if key is None or cert is None:
        raise KeyUnavailable("Tệp PKCS#12 không có khoá bí mật hoặc chứng thư số.")
    return cert, list(extra)


def create_dev_ca(
    out_dir: Path,
    *,
    password: str,
    organization: str = "BAN CHỈ ĐẠO THỬ NGHIỆM",
    signer_name: str = "Nguyễn Văn Thử",
    valid_days: int = 365,
    not_before: dt.datetime | None = None,
) -> DevCAFiles:
    """Write a demo CA, a signer's and an organisation's PKCS#12 file, and demo images.

    Every certificate name contains :data:`DEMO_MARK`. ``not_before`` and
    ``valid_days`` let tests make certificates that are already expired.
    """
    from signing.demo_images import draw_seal, draw_signature

    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=valid_days)
    ca = new_ca(common_name=f"CA thử nghiệm congvan ({DEMO_MARK})", not_before=start,
                not_after=start + dt.timedelta(days=max(valid_days, 1) * 2))
    org_label = f"{organization} ({DEMO_MARK})"
    person = issue(ca, common_name=f"{signer_name} ({DEMO_MARK})", organization=org_label,
                   not_before=start, not_after=end)
    body = issue(ca, common_name=org_label, organization=org_label,
                 not_before=start, not_after=end)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DevCAFiles(
        ca_cert=out_dir / "ca.pem",
        signer_p12=out_dir / "signer.p12",
        organization_p12=out_dir / "organization.p12",
        signature_png=out_dir / "signature.png",
        seal_png=out_dir / "seal.png",
    )
    files.ca_cert.write_bytes(ca.cert_pem)
    files.signer_p12.write_bytes(
        pkcs12_bytes(person, chain=[ca.cert], password=password, friendly_name=signer_name))
    files.organization_p12.write_bytes(
        pkcs12_bytes(body, chain=[ca.cert], password=password, friendly_name=organization))
    files.signature_png.write_bytes(draw_signature(signer_name))
    files.seal_png.write_bytes(draw_seal(organization))
    (out_dir / "README.txt").write_text(
        f"{DEMO_MARK}\n\nCác tệp trong thư mục này do `congvan keys dev-ca` tạo ra để thử "
        "nghiệm. Không dùng để ký văn bản thật.\n"
        "- ca.pem: chứng thư gốc thử nghiệm (dùng với `congvan verify --trust-root`)\n"
        "- signer.p12: khoá và chứng thư của người ký\n"
        "- organization.p12: khoá và chứng thư của cơ quan\n"
        "- signature.png (xanh), seal.png (đỏ): hình ảnh chữ ký và con dấu mẫu\n",
        encoding="utf-8",
    )
    return files
