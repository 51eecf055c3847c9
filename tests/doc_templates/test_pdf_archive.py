"""PDF metadata, language, fonts said plainly, PDF/A-2b that stays valid PAdES once signed."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from doc_templates.check import check_pdf
from doc_templates.fonts import family_of, times_substitute
from doc_templates.pdf import PdfConverter
from doc_templates.render import render_docx
from doc_templates.spec import load_spec
from tests.doc_templates.conftest import FIXTURES

pytestmark = pytest.mark.libreoffice
SPEC = FIXTURES / "documents" / "003_cong_van_4267_BCD-NC.yaml"


@pytest.fixture(scope="module")
def pdfa_pdf() -> bytes:
    """003 as PDF/A-2b through the batch path (a converter of its own)."""
    with PdfConverter(pdfa=True, warm_max=0) as converter:
        return converter.convert_bytes(render_docx(load_spec(SPEC)))


def _self_signed() -> signers.SimpleSigner:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ban Chỉ đạo (thử)")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, True, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    der_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    der_key = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return signers.SimpleSigner(
        signing_cert=der_cert,
        signing_key=der_key,
        cert_registry=SimpleCertificateStore.from_certs([der_cert]),
    )


class TestMetadata:
    def test_title_author_subject_keywords(self, converter):
        """The PDF carries the summary, the issuer, number and symbol, and language vi-VN."""
        pdf = converter.convert_bytes(render_docx(load_spec(SPEC)))
        info = subprocess.run(
            ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert "Title:           xây dựng, nhân rộng mô hình" in info
        assert "Author:          BAN CHỈ ĐẠO PCTP, TNXH VÀ XÂY DỰNG PHONG TRÀO" in info
        assert "Keywords:        4267/BCĐ-NC" in info
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        assert str(reader.root["/Lang"]) == "vi-VN"
        rules = {v.rule for v in check_pdf(pdf)}
        assert not rules & {"pdf.metadata", "pdf.lang", "pdf.font.embedded", "pdf.font.family"}

    def test_font_fallback_is_said(self, converter):
        """Without Times New Roman the PDF embeds Liberation Serif and the checker says so."""
        pdf = converter.convert_bytes(render_docx(load_spec(SPEC)))
        rules = {v.rule for v in check_pdf(pdf)}
        if times_substitute() is None:
            assert "pdf.font.fallback" not in rules
        else:
            assert "pdf.font.fallback" in rules
            assert converter.font_note and "Liberation Serif" in converter.font_note

    def test_font_family_names(self):
        """Subset prefixes and style suffixes are stripped from PDF font names."""
        assert family_of("/BAAAAA+LiberationSerif-Bold") == "Liberation Serif"
        assert family_of("TimesNewRomanPS-BoldMT") == "Times New Roman"

    def test_not_a_pdf(self):
        """Garbage is reported, not raised."""
        assert check_pdf(b"%PDF-1.4 garbage")[0].rule == "file.invalid"


class TestPdfA:
    def test_pdfa_2b_claimed(self, pdfa_pdf):
        """--pdfa writes the PDF/A-2b identification into the XMP metadata."""
        assert b"<pdfaid:part>2</pdfaid:part>" in pdfa_pdf
        assert b"<pdfaid:conformance>B</pdfaid:conformance>" in pdfa_pdf

    def test_signed_pdfa_is_valid_pades(self, pdfa_pdf):
        """Signed with pyHanko (PAdES, incremental), the PDF/A validates intact and trusted,
        and its PDF/A identification is still there."""
        signer = _self_signed()
        out = io.BytesIO()
        writer = IncrementalPdfFileWriter(io.BytesIO(pdfa_pdf))
        signers.sign_pdf(
            writer,
            signers.PdfSignatureMetadata(field_name="ToChuc", subfilter=SigSeedSubFilter.PADES),
            signer=signer,
            output=out,
        )
        signed = out.getvalue()
        assert signed.startswith(pdfa_pdf)  # an incremental update: the PDF/A bytes untouched
        reader = PdfFileReader(io.BytesIO(signed))
        status = validate_pdf_signature(
            reader.embedded_signatures[0],
            ValidationContext(trust_roots=[signer.signing_cert]),
        )
        assert status.intact and status.valid and status.trusted
        assert b"<pdfaid:part>2</pdfaid:part>" in signed
