"""End to end: a real LibreOffice PDF, real PAdES signatures (person, then organisation), both
intact, and the register number in the PDF text. One conversion for the whole module."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from doc_templates.pdf import PdfConverter
from registry.models import DocumentStatus as S
from signing import issuing, keys, storage
from tests.signing.test_approvals_fixtures import build_world
from tests.signing.test_issuing import signed_draft

pytestmark = pytest.mark.libreoffice
PASSWORD = "thu-nghiem"


class Pkcs12Signer:
    """pyHanko PAdES signer over a PKCS#12 file, each signature in a field of its own."""

    def __init__(self, p12: Path, field: str) -> None:
        from pyhanko.sign import signers

        self.signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSWORD.encode())
        self.field = field

    def sign_pdf(self, pdf: bytes, /) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(field_name=self.field,
                                            subfilter=fields.SigSeedSubFilter.PADES)
        return signers.sign_pdf(writer, meta, signer=self.signer).getvalue()


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    with PdfConverter() as conv:
        yield conv


@pytest.fixture(scope="module")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> keys.DevCAFiles:
    return keys.create_dev_ca(tmp_path_factory.mktemp("keys"), password=PASSWORD)


def _verify(pdf: bytes, ca_pem: bytes) -> list[tuple[bool, bool]]:
    """(intact, valid) of every signature (pyHanko validation; signing.verify is not merged yet)."""
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    _, _, der = pem.unarmor(ca_pem)
    context = ValidationContext(trust_roots=[x509.Certificate.load(der)])
    reader = PdfFileReader(io.BytesIO(pdf))
    out = []
    for sig in reader.embedded_signatures:
        status = validate_pdf_signature(sig, context)
        out.append((status.intact, status.valid))
    return out


def test_issue_with_real_pdf_and_two_pades_signatures(
        session: Session, tmp_path: Path, converter: PdfConverter,
        dev_ca: keys.DevCAFiles, engine) -> None:
    """The issued PDF carries the number, the person's and the organisation's signatures,
    both intact and valid against the demo CA; the stored files match their SHA-256."""
    if engine.dialect.name != "sqlite":
        pytest.skip("one LibreOffice conversion per module: the SQLite run covers it")
    world = build_world(session)
    doc = signed_draft(session, world, tmp_path)
    result = issuing.issue(
        session=session, document_id=doc.id, actor=world.clerk, converter=converter,
        person_signer=Pkcs12Signer(dev_ca.signer_p12, "ChuKyNguoiKy"),
        organization_signer=Pkcs12Signer(dev_ca.organization_p12, "ChuKyCoQuan"),
        files_root=tmp_path, on=datetime(2026, 12, 16, 3, 0, tzinfo=UTC))
    assert doc.status is S.ISSUED
    pdf = storage.read(tmp_path, result.pdf.path, expected_sha256=result.pdf.sha256)
    assert _verify(pdf, dev_ca.ca_cert.read_bytes()) == [(True, True), (True, True)]
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "01/BCĐ-NC" in text
    assert "ngày 16 tháng 12 năm 2026" in text
    assert "KT. TRƯỞNG BAN" in text and "Nguyễn Văn A" in text
