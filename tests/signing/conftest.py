"""Session-scoped keys, PDFs, a SoftHSM2 token and a loopback timestamp authority."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from signing.keys import DevCAFiles, Issued, create_dev_ca, issue, new_ca
from tests.signing import sample_docs

PASSWORD = "mật-khẩu-thử"
TITLE = "\n".join(sample_docs.TITLE_LINES)
NAME = sample_docs.SIGNER_NAME
SOFTHSM_LIB = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture(scope="session")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCAFiles:
    """The demo CA's files, made once."""
    return create_dev_ca(tmp_path_factory.mktemp("devca"), password=PASSWORD)


@pytest.fixture(scope="session")
def expired_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCAFiles:
    """A demo CA whose signer certificate expired a year ago."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    return create_dev_ca(tmp_path_factory.mktemp("expired"), password=PASSWORD,
                         valid_days=30, not_before=start)


@pytest.fixture(scope="session")
def ca_pem(dev_ca: DevCAFiles) -> bytes:
    """The demo CA certificate in PEM."""
    return dev_ca.ca_cert.read_bytes()


@pytest.fixture(scope="session")
def plain_pdf() -> bytes:
    """A one-page PDF written by pyHanko (no LibreOffice), for verification tests."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

    writer = PdfFileWriter()
    font = writer.add_object(generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Font"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
        generic.pdf_name("/BaseFont"): generic.pdf_name("/Times-Roman"),
    }))
    content = writer.add_object(generic.StreamObject(
        stream_data=b"BT /F1 14 Tf 72 700 Td (Cong van so 4267) Tj ET"))
    resources = generic.DictionaryObject({generic.pdf_name("/Font"): generic.DictionaryObject(
        {generic.pdf_name("/F1"): font})})
    writer.insert_page(PageObject(contents=content, media_box=(0, 0, 595, 842),
                                  resources=resources))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def dispatch_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A one-page and a two-page công văn, converted by LibreOffice in one run."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    work = tmp_path_factory.mktemp("docs")
    docx = [sample_docs.write_dispatch(work / "short.docx", body_paragraphs=3),
            sample_docs.write_dispatch(work / "long.docx", body_paragraphs=14)]
    pdfs = sample_docs.convert(docx, work, work / "profile")
    return {p.stem: p.read_bytes() for p in pdfs}


@dataclass(frozen=True)
class Token:
    """A SoftHSM2 token holding the demo signer's key and certificate."""

    module: str
    label: str
    pin: str
    key_label: str


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory, dev_ca: DevCAFiles
                  ) -> Iterator[Token]:
    """A token initialised in a temp dir, the signer's key and certificate imported."""
    if shutil.which("softhsm2-util") is None or not Path(SOFTHSM_LIB).exists():
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pkcs11 import Attribute
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_certificate

    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    token = Token(module=SOFTHSM_LIB, label="congvan-test", pin="123456", key_label="nguoi-ky")
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", token.label,
                    "--pin", token.pin, "--so-pin", "654321"], check=True, capture_output=True)
    key, cert, _ = pkcs12.load_key_and_certificates(dev_ca.signer_p12.read_bytes(),
                                                   PASSWORD.encode())
    key_der = key.private_bytes(serialization.Encoding.DER,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    lib = pkcs11.lib(SOFTHSM_LIB)
    with lib.get_token(token_label=token.label).open(rw=True, user_pin=token.pin) as session:
        key_attrs = decode_rsa_private_key(key_der)
        key_attrs.update({Attribute.LABEL: token.key_label, Attribute.ID: b"\x01",
                          Attribute.TOKEN: True, Attribute.SIGN: True,
                          Attribute.PRIVATE: True, Attribute.SENSITIVE: True})
        session.create_object(key_attrs)
        cert_attrs = decode_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
        cert_attrs.update({Attribute.LABEL: token.key_label, Attribute.ID: b"\x01",
                           Attribute.TOKEN: True})
        session.create_object(cert_attrs)
    yield token
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old


@dataclass(frozen=True)
class Tsa:
    """A loopback RFC 3161 timestamp authority and its root certificate (PEM)."""

    url: str
    root_pem: bytes


@pytest.fixture(scope="session")
def tsa() -> Iterator[Tsa]:
    """An HTTP timestamp authority on 127.0.0.1 answering with pyHanko's DummyTimeStamper."""
    from asn1crypto import keys, tsp, x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    now = dt.datetime.now(dt.UTC)
    root: Issued = new_ca(common_name="TSA root (DEMO)", not_before=now - dt.timedelta(days=1),
                          not_after=now + dt.timedelta(days=30))
    unit = issue(root, common_name="TSA (DEMO)", organization=None, timestamping=True,
                 not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=30))
    stamper = DummyTimeStamper(
        tsa_cert=x509.Certificate.load(unit.cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(unit.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())),
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Tsa(url=f"http://127.0.0.1:{server.server_address[1]}/", root_pem=root.cert_pem)
    server.shutdown()
    server.server_close()
