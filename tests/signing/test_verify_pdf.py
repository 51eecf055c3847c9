"""verify_pdf: integrity, trust, expiry and later changes."""

from __future__ import annotations

import io
import logging

import pytest

from signing.errors import VerificationError
from signing.signer import PadesSigner
from signing.verify import verify_pdf
from tests.signing.conftest import PASSWORD


@pytest.fixture(scope="module")
def signed(dev_ca, plain_pdf) -> bytes:
    """The plain PDF signed once with the demo signer's key."""
    return PadesSigner.from_pkcs12(dev_ca.signer_p12, PASSWORD).sign_pdf(
        plain_pdf, appearance=None, reason="Ký ban hành")


def bare_pyhanko_sign(pdf: bytes, p12: bytes) -> bytes:
    """Sign with pyHanko directly (PadesSigner refuses expired certificates)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=(),
                                                   passphrase=PASSWORD.encode())
    meta = signers.PdfSignatureMetadata(field_name="Cu", subfilter=fields.SigSeedSubFilter.PADES)
    return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta,
                            signer=signer).getvalue()


class TestVerifyPdf:
    def test_signed_file_is_ok(self, signed, ca_pem):
        """A freshly signed file is intact, trusted and covers the entire file."""
        sig = verify_pdf(signed, trust_roots=[ca_pem]).signatures[0]
        assert sig.ok and sig.intact and sig.trusted and sig.coverage == "entire_file"
        assert "DEMO" in sig.signer and "DEMO" in sig.organization

    def test_one_byte_change_is_not_intact(self, signed, ca_pem):
        """Changing one byte of the signed content is reported as not intact."""
        at = signed.index(b"Cong van so 4267") + 5
        damaged = signed[:at] + b"X" + signed[at + 1:]
        report = verify_pdf(damaged, trust_roots=[ca_pem])
        assert not report.ok
        assert not report.signatures[0].intact
        assert "bị thay đổi" in report.signatures[0].problems[0]

    def test_appended_page_change_is_reported(self, signed, ca_pem):
        """An incremental update that draws on the page is reported as a later change."""
        from pyhanko.pdf_utils import generic
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        writer = IncrementalPdfFileWriter(io.BytesIO(signed))
        stream = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 0 0 200 200 re f"))
        writer.add_stream_to_page(0, stream)
        out = io.BytesIO()
        writer.write(out)
        sig = verify_pdf(out.getvalue(), trust_roots=[ca_pem]).signatures[0]
        assert sig.intact and sig.coverage == "entire_revision"
        assert sig.later_changes == "OTHER"
        assert not sig.ok and "sửa sau khi ký" in sig.problems[-1]

    def test_untrusted_root_is_reported(self, signed, expired_ca):
        """A signature whose chain does not reach the configured root is untrusted."""
        sig = verify_pdf(signed, trust_roots=[expired_ca.ca_cert.read_bytes()]).signatures[0]
        assert sig.intact and not sig.trusted
        assert any("không dẫn tới" in p for p in sig.problems)

    def test_expired_certificate_is_reported(self, expired_ca, plain_pdf):
        """A signature made with an expired certificate is reported with its dates."""
        pdf = bare_pyhanko_sign(plain_pdf, expired_ca.signer_p12.read_bytes())
        sig = verify_pdf(pdf, trust_roots=[expired_ca.ca_cert.read_bytes()]).signatures[0]
        assert sig.intact and not sig.ok
        assert any("hiệu lực" in p for p in sig.problems)

    def test_no_trust_root_is_reported_quietly(self, signed, caplog):
        """Without trust roots the result says so and pyHanko logs nothing."""
        with caplog.at_level(logging.DEBUG):
            sig = verify_pdf(signed).signatures[0]
        assert not sig.trusted and any("--trust-root" in p for p in sig.problems)
        assert not [r for r in caplog.records if r.name.startswith("pyhanko")]

    def test_unsigned_and_non_pdf_files_are_errors(self, plain_pdf):
        """A PDF without signatures, or not a PDF, raises VerificationError."""
        with pytest.raises(VerificationError, match="không có chữ ký"):
            verify_pdf(plain_pdf)
        with pytest.raises(VerificationError):
            verify_pdf(b"%PDF-1.7 garbage")
