"""Fixtures of the outbox tests: a real SMTP server on loopback, TLS material, messages."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session, sessionmaker

from outbox.channels.gateway import GatewayClient, GatewayConfig
from outbox.message import Attachment, OutgoingMessage, Party, Signer
from registry import documents
from registry.models import Document, DocumentFile, DocumentStatus
from tests import factories
from tests.outbox.gateway_server import GatewayTestServer
from tests.outbox.smtp_server import SmtpTestServer

PDF = b"%PDF-1.7\n% fake signed pdf\n%%EOF\n"
DOCX = b"PK\x03\x04 fake docx"


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        ), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return cert_file, key_file


@pytest.fixture
def server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    """The server side of TLS."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context


@pytest.fixture
def client_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    """A client context that trusts the test certificate only."""
    return ssl.create_default_context(cafile=str(tls_files[0]))


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """A plain SMTP server on loopback, started."""
    with SmtpTestServer() as server:
        yield server


def make_message(key: str = "delivery-1", **changes: object) -> OutgoingMessage:
    """The 4267/BCĐ-NC dispatch to one district police, as the relay would build it."""
    fields: dict[str, object] = {
        "idempotency_key": key,
        "number": "4267",
        "symbol": "BCĐ-NC",
        "subject": "V/v triển khai thực hiện Hướng dẫn số 22/HD-BCA-V05",
        "sender": Party(
            "Ban Chỉ đạo 138 tỉnh Kon Tum", "bcd138@kontum.gov.vn", "000.00.00.H34",
        ),
        "recipient": Party("Công an huyện Đăk Hà", "cahuyen.dakha@example.vn", "000.01.34.H34"),
        "issued_date": dt.date(2022, 11, 7),
        "place": "Kon Tum",
        "due_date": dt.date(2022, 12, 10),
        "signer": Signer("Nguyễn Văn A", "PHÓ TRƯỞNG BAN", "KT. TRƯỞNG BAN"),
        "to_places": ("Như trên;", "Lưu: VT, NC."),
        "attachments": (
            Attachment("4267-BCĐ-NC.pdf", "application/pdf", PDF),
            Attachment(
                "4267-BCĐ-NC.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                DOCX,
            ),
        ),
        "ack_url": "https://congvan.example.vn/xac-nhan/17.abc",
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def issued_document(
    session: Session, files_root: Path, *, recipients: int = 3, due: dt.date | None = None,
    emails: bool = True,
) -> Document:
    """A numbered, issued công văn of BCĐ with a signed PDF and a .docx, to ``recipients`` units."""
    issuer = factories.org(session, code="BCĐ", kind="advisory", edxml_id="000.00.00.H34",
                           name="BAN CHỈ ĐẠO 138\nTỈNH KON TUM", place="Kon Tum")
    factories.register(session, issuer)
    units = [
        factories.org(session, name=f"CÔNG AN HUYỆN {i}", edxml_id=f"000.01.{i:02d}.H34",
                      email=f"ca{i}@example.test" if emails else None)
        for i in range(1, recipients + 1)
    ]
    doc = documents.create(
        session=session, doc_type="cong_van", issuer=issuer, drafting_unit="NC",
        subject="V/v triển khai thực hiện Hướng dẫn số 22/HD-BCA-V05", due_date=due,
        recipients=[(f"Công an huyện {i}", unit) for i, unit in enumerate(units, start=1)]
        + [("Lưu: VT, NC.", None)],
    )
    files_root.mkdir(parents=True, exist_ok=True)
    for kind, content in (("signed_pdf", PDF), ("docx", DOCX)):
        name = f"{doc.id}.{kind}"
        (files_root / name).write_bytes(content)
        doc.files.append(DocumentFile(kind=kind, path=name, size=len(content),
                                      sha256=hashlib.sha256(content).hexdigest()))
    documents.issue_number(session=session, document=doc, on=dt.date(2022, 12, 16))
    doc.status = DocumentStatus.ISSUED
    session.flush()
    return doc


def savepoint_factory(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's connection: each relay transaction is a SAVEPOINT of the test's."""
    return sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def gateway() -> Iterator[GatewayTestServer]:
    """The stand-in gateway, running."""
    with GatewayTestServer() as server:
        yield server


@pytest.fixture
def client(gateway: GatewayTestServer) -> Iterator[GatewayClient]:
    """A client with the stand-in's credentials."""
    config = GatewayConfig(gateway.url, gateway.state.system_id, gateway.state.secret, 10)
    with GatewayClient(config) as c:
        yield c
