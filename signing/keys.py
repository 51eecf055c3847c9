"""Certificates and keys: the demo CA, issuing certificates, loading PKCS#12 files.

The demo CA is for trying congvan out and for tests only: every name it writes
carries :data:`DEMO_MARK` so that nobody mistakes its signatures for real ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    """Where :func:`create_dev_ca` wrote each file (``people``: person key → their .p12)."""

    ca_cert: Path
    signer_p12: Path
    organization_p12: Path
    signature_png: Path
    seal_png: Path
    people: dict[str, Path] = field(default_factory=dict)


# X.520 upper bound of commonName and organizationName.
NAME_LIMIT = 64
# Abbreviations the administrative style allows in names (longest first).
_ABBREVIATIONS = (
    ("ỦY BAN NHÂN DÂN", "UBND"), ("UỶ BAN NHÂN DÂN", "UBND"), ("HỘI ĐỒNG NHÂN DÂN", "HĐND"),
    ("BAN CHỈ ĐẠO", "BCĐ"), ("THÀNH PHỐ", "TP."), ("CÔNG AN", "CA"), ("THỊ TRẤN", "TT."),
    ("PHÒNG CHỐNG TỘI PHẠM", "PCTP"), ("TỆ NẠN XÃ HỘI", "TNXH"),
)


def _size(text: str) -> int:
    # cryptography (like many validators) counts the bound in UTF-8 bytes, not characters.
    return len(text.encode("utf-8"))


def short_name(text: str, *, suffix: str = "", limit: int = NAME_LIMIT) -> str:
    """``text`` + ``suffix`` within ``limit`` UTF-8 bytes: the usual abbreviations first
    (ỦY BAN NHÂN DÂN → UBND…), then the text cut at a word with "…"; ``suffix`` is kept."""
    text = " ".join(text.split())
    if _size(f"{text}{suffix}") <= limit:
        return f"{text}{suffix}"
    for long, short in _ABBREVIATIONS:
        text = text.replace(long, short)
        if _size(f"{text}{suffix}") <= limit:
            return f"{text}{suffix}"
    words = text.split(" ")
    while len(words) > 1 and _size(" ".join(words) + "…" + suffix) > limit:
        words.pop()
    cut = " ".join(words)
    while cut and _size(cut + "…" + suffix) > limit:
        cut = cut[:-1]
    return f"{cut}…{suffix}"


def _short(text: str) -> str:
    mark = f" ({DEMO_MARK})"
    if text.endswith(mark):
        return short_name(text.removesuffix(mark), suffix=mark)
    return short_name(text)


def _name(common_name: str, organization: str | None) -> x509.Name:
    """A subject: CN and O abbreviated to 64 characters; the full names, when cut, in
    ``description`` (2.5.4.13, which has no such bound)."""
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    full = []
    if organization:
        short = _short(organization)
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, short))
        if short != organization:
            full.append(organization)
    cn = _short(common_name)
    if cn != common_name:
        full.insert(0, common_name)
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if full:
        description = x509.ObjectIdentifier("2.5.4.13")
        parts.append(x509.NameAttribute(description, " — ".join(dict.fromkeys(full))))
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
    people: Sequence[tuple[str, str]] = (),
    valid_days: int = 365,
    not_before: dt.datetime | None = None,
    force: bool = False,
) -> DevCAFiles:
    """Write a demo CA, a signer's and an organisation's PKCS#12 file, and demo images.

    ``people`` (person key, full name) each get their own key and certificate in
    ``people/<key>/signer.p12`` (+ ``cert.pem``, ``signature.png``): one certificate per
    person who can sign. Every certificate name contains :data:`DEMO_MARK`; names over 64
    characters are abbreviated in CN/O and given in full in ``description``. An existing
    CA or key is not overwritten unless ``force``. ``not_before`` and ``valid_days`` let
    tests make certificates that are already expired.
    """
    from signing.demo_images import draw_seal, draw_signature

    out_dir = Path(out_dir)
    files = DevCAFiles(
        ca_cert=out_dir / "ca.pem",
        signer_p12=out_dir / "signer.p12",
        organization_p12=out_dir / "organization.p12",
        signature_png=out_dir / "signature.png",
        seal_png=out_dir / "seal.png",
        people={key: out_dir / "people" / key / "signer.p12" for key, _ in people},
    )
    existing = [p for p in (files.ca_cert, files.signer_p12, files.organization_p12,
                            *files.people.values()) if p.exists()]
    if existing and not force:
        raise KeyUnavailable(
            f"Đã có CA hoặc khoá trong {out_dir} ({', '.join(p.name for p in existing[:3])}); "
            "không ghi đè. Chọn thư mục khác hoặc thêm --force để tạo lại (khoá cũ sẽ mất).")
    if not password:
        raise KeyUnavailable("Mật khẩu tệp PKCS#12 không được để trống; hãy đặt một mật khẩu.")
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=valid_days)
    ca = new_ca(common_name=f"CA thử nghiệm congvan ({DEMO_MARK})", not_before=start,
                not_after=start + dt.timedelta(days=max(valid_days, 1) * 2))
    mark = f" ({DEMO_MARK})"
    org_label = f"{organization}{mark}"
    person = issue(ca, common_name=f"{signer_name}{mark}", organization=org_label,
                   not_before=start, not_after=end)
    body = issue(ca, common_name=org_label, organization=org_label,
                 not_before=start, not_after=end)
    out_dir.mkdir(parents=True, exist_ok=True)
    files.ca_cert.write_bytes(ca.cert_pem)
    # The demo CA's key (encrypted), so a demo run can give a person who signs for the first
    # time their own certificate (issue_person); a real CA never leaves its key here.
    (out_dir / "ca-key.pem").write_bytes(ca.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode("utf-8"))))
    files.signer_p12.write_bytes(
        pkcs12_bytes(person, chain=[ca.cert], password=password, friendly_name=signer_name))
    files.organization_p12.write_bytes(
        pkcs12_bytes(body, chain=[ca.cert], password=password, friendly_name=organization))
    (out_dir / "organization.pem").write_bytes(body.cert_pem)
    (out_dir / "signer.pem").write_bytes(person.cert_pem)
    files.signature_png.write_bytes(draw_signature(signer_name))
    files.seal_png.write_bytes(draw_seal(organization))
    for key, name in people:
        own = issue(ca, common_name=f"{name}{mark}", organization=org_label,
                    not_before=start, not_after=end)
        folder = files.people[key].parent
        folder.mkdir(parents=True, exist_ok=True)
        files.people[key].write_bytes(
            pkcs12_bytes(own, chain=[ca.cert], password=password, friendly_name=name))
        (folder / "cert.pem").write_bytes(own.cert_pem)
        (folder / "signature.png").write_bytes(draw_signature(name))
    (out_dir / "README.txt").write_text(
        f"{DEMO_MARK}\n\nCác tệp trong thư mục này do `congvan keys dev-ca` tạo ra để thử "
        "nghiệm. Không dùng để ký văn bản thật.\n"
        "- ca.pem: chứng thư gốc thử nghiệm (dùng với `congvan verify --trust-root`)\n"
        "- signer.p12, signer.pem: khoá và chứng thư của người ký mặc định\n"
        "- people/<khoá cán bộ>/signer.p12, cert.pem, signature.png: khoá, chứng thư và ảnh "
        "chữ ký riêng của từng người ký (đăng ký: congvan keys register)\n"
        "- organization.p12, organization.pem: khoá và chứng thư của cơ quan\n"
        "- signature.png (xanh), seal.png (đỏ): hình ảnh chữ ký và con dấu mẫu\n",
        encoding="utf-8",
    )
    return files


def issue_person(keys_dir: Path, *, password: str, person_key: str, full_name: str,
                 valid_days: int = 365) -> Path:
    """A demo certificate and key of their own for one person, from the demo CA in
    ``keys_dir`` (``people/<key>/signer.p12``, ``cert.pem``, ``signature.png``); returns the
    .p12. Demo only: needs the demo CA's key written by :func:`create_dev_ca`."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    from signing.demo_images import draw_signature

    keys_dir = Path(keys_dir)
    try:
        key = serialization.load_pem_private_key((keys_dir / "ca-key.pem").read_bytes(),
                                                 password.encode("utf-8"))
        ca_cert = x509.load_pem_x509_certificate((keys_dir / "ca.pem").read_bytes())
    except (OSError, ValueError) as exc:
        raise KeyUnavailable(
            f"Không dùng được CA thử nghiệm trong {keys_dir} để cấp khoá cho {full_name}: "
            f"{exc}; chạy lại `congvan keys dev-ca`.") from exc
    assert isinstance(key, RSAPrivateKey)
    ca = Issued(key=key, cert=ca_cert)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    own = issue(ca, common_name=f"{full_name} ({DEMO_MARK})", organization=None,
                not_before=start, not_after=start + dt.timedelta(days=valid_days))
    folder = keys_dir / "people" / person_key
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "signer.p12"
    # The .p12 last and whole (written aside, then renamed): a process that sees it sees the
    # certificate and the signature image too, never half a file.
    _write_whole(folder / "cert.pem", own.cert_pem)
    _write_whole(folder / "signature.png", draw_signature(full_name))
    _write_whole(target, pkcs12_bytes(own, chain=[ca.cert], password=password,
                                      friendly_name=full_name))
    return target


def _write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
