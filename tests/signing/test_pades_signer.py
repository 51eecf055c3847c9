"""PadesSigner: PAdES signatures with the Decree 30 appearance."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from signing.appearance import MM, InfoLine, PngImage, SealImage, SignatureImage
from signing.errors import BadPassword, CertificateNotUsable, KeyUnavailable, SigningError
from signing.locate import find_signature_block
from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD, PadesSigner, Signer
from signing.verify import verify_pdf
from tests.signing.conftest import NAME, PASSWORD, TITLE


def widget_rects(pdf: bytes) -> dict[str, tuple[float, ...]]:
    """Each signature field's name and widget box."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf))
    return {name: tuple(float(v) for v in ref.get_object()["/Rect"])
            for name, _, ref in enumerate_sig_fields(reader)}


@pytest.fixture(scope="module")
def person(dev_ca):
    return PadesSigner.from_pkcs12(dev_ca.signer_p12, PASSWORD)


@pytest.fixture(scope="module")
def organization(dev_ca):
    return PadesSigner.from_pkcs12(dev_ca.organization_p12, PASSWORD)


@pytest.fixture(scope="module")
def issued(dispatch_pdfs, dev_ca, person, organization):
    """The long dispatch signed by the person, then by the organisation."""
    first = person.sign_pdf(
        dispatch_pdfs["long"], reason="Ký ban hành",
        appearance=SignatureImage(PngImage.from_file(dev_ca.signature_png), TITLE, NAME))
    second = organization.sign_pdf(
        first, reason="Ký số của cơ quan",
        appearance=SealImage(PngImage.from_file(dev_ca.seal_png), TITLE, NAME))
    return first, second


class TestFromPkcs12:
    def test_is_a_signer(self, person):
        """PadesSigner satisfies the Signer protocol and makes B-B without a TSA."""
        signer: Signer = person
        assert signer is person and person.level == "B-B"

    def test_wrong_password(self, dev_ca):
        """A wrong password raises BadPassword in Vietnamese."""
        with pytest.raises(BadPassword, match="Mật khẩu"):
            PadesSigner.from_pkcs12(dev_ca.signer_p12, "sai")

    def test_missing_file(self, tmp_path):
        """A missing key file raises KeyUnavailable naming the file."""
        with pytest.raises(KeyUnavailable, match="khong-co.p12"):
            PadesSigner.from_pkcs12(tmp_path / "khong-co.p12", PASSWORD)

    def test_expired_certificate_is_refused(self, expired_ca, plain_pdf):
        """Signing with an expired certificate raises CertificateNotUsable."""
        signer = PadesSigner.from_pkcs12(expired_ca.signer_p12, PASSWORD)
        with pytest.raises(CertificateNotUsable, match="hiệu lực"):
            signer.sign_pdf(plain_pdf, appearance=None, reason="thử")

    def test_not_a_pdf(self, person):
        """Bytes that are not a PDF raise SigningError."""
        with pytest.raises(SigningError):
            person.sign_pdf(b"not a pdf", appearance=None, reason="thử")


class TestInvisible:
    def test_plain_signature_is_valid_and_trusted(self, person, plain_pdf, ca_pem):
        """Without an appearance the signature is invisible, valid and covers the whole file."""
        report = verify_pdf(person.sign_pdf(plain_pdf, appearance=None, reason="thử"),
                            trust_roots=[ca_pem])
        assert report.ok
        assert report.signatures[0].coverage == "entire_file"


    def test_too_small_reservation_falls_back_to_measuring(self, person, plain_pdf, ca_pem,
                                                           monkeypatch):
        """When the reserved room is too small for the signature, it is measured and retried."""
        import signing.signer

        monkeypatch.setattr(signing.signer, "_RESERVED_HEX", 64)
        signed = person.sign_pdf(plain_pdf, appearance=None, reason="thử")
        assert verify_pdf(signed, trust_roots=[ca_pem]).ok


@pytest.mark.libreoffice
class TestAppearance:
    def test_signature_image_is_centred_between_title_and_name(self, issued, dispatch_pdfs):
        """The person's image sits in the gap between 7a and 7b, centred on the column."""
        block = find_signature_block(dispatch_pdfs["long"], title=TITLE, name=NAME, page_count=2)
        x0, y0, x1, y1 = widget_rects(issued[0])[PERSON_FIELD]
        assert block.name.y1 <= y0 < y1 <= block.title.y0
        assert (x0 + x1) / 2 == pytest.approx(
            (block.title.centre_x + block.name.centre_x) / 2, abs=1)
        assert abs((y0 + y1) / 2 - (block.title.y0 + block.name.y1) / 2) < 1

    def test_seal_overlaps_left_third_at_real_size(self, issued, dev_ca):
        """The seal is 36 mm wide and its right edge is a third into the signature image."""
        rects = widget_rects(issued[1])
        sx0, _, sx1, _ = rects[PERSON_FIELD]
        cx0, _, cx1, _ = rects[ORGANIZATION_FIELD]
        assert cx1 - cx0 == pytest.approx(36 * MM, abs=0.5)
        assert cx1 == pytest.approx(sx0 + (sx1 - sx0) / 3, abs=0.5)

    def test_two_signatures_both_hold(self, issued, ca_pem):
        """The organisation's signature does not invalidate the person's."""
        report = verify_pdf(issued[1], trust_roots=[ca_pem])
        first, second = report.signatures
        assert report.ok, [s.problems for s in report.signatures]
        assert (first.field_name, second.field_name) == (PERSON_FIELD, ORGANIZATION_FIELD)
        assert first.coverage == "entire_revision" and first.later_changes == "FORM_FILLING"
        assert second.coverage == "entire_file"

    def test_signing_time_is_vietnam_time(self, issued, ca_pem):
        """Signing times come back in +07:00."""
        report = verify_pdf(issued[1], trust_roots=[ca_pem])
        assert report.signatures[0].signing_time.utcoffset() == dt.timedelta(hours=7)

    def test_block_not_found_is_refused(self, person, dispatch_pdfs, dev_ca):
        """A signer whose name is not in the document gets SignatureBlockNotFound, no PDF."""
        from signing.errors import SignatureBlockNotFound

        with pytest.raises(SignatureBlockNotFound):
            person.sign_pdf(dispatch_pdfs["short"], reason="thử", appearance=SignatureImage(
                PngImage.from_file(dev_ca.signature_png), TITLE, "Người Khác"))


class TestInfoLine:
    def test_text_has_reference_and_iso_time(self):
        """The info line keeps the Đ of the symbol and prints ISO 8601 with +07:00."""
        when = dt.datetime(2021, 2, 5, 14, 3, 27, tzinfo=dt.timezone(dt.timedelta(hours=7)))
        assert InfoLine("4267/BCĐ-NC").text(when) == "4267/BCĐ-NC, 2021-02-05T14:03:27+07:00"

    def test_attachment_line_is_top_right_of_page_one(self, organization, plain_pdf, ca_pem):
        """On an attachment the organisation's box is 10 pt high at the top right of page 1."""
        signed = organization.sign_pdf(plain_pdf, appearance=InfoLine("4267/BCĐ-NC"),
                                       reason="Ký số phụ lục")
        x0, y0, x1, y1 = widget_rects(signed)[ORGANIZATION_FIELD]
        assert x1 == pytest.approx(595 - 15 * MM, abs=0.5)
        assert y1 == pytest.approx(842 - 8 * MM, abs=0.5)
        assert 10 <= y1 - y0 <= 13  # one 10 pt line (ascent + descent)
        assert verify_pdf(signed, trust_roots=[ca_pem]).ok


class TestTimestamp:
    def test_tsa_url_gives_b_t(self, dev_ca, plain_pdf, ca_pem, tsa):
        """With a timestamp authority configured the signature carries a timestamp (B-T)."""
        signer = PadesSigner.from_pkcs12(dev_ca.signer_p12, PASSWORD, tsa_url=tsa.url)
        assert signer.level == "B-T"
        signed = signer.sign_pdf(plain_pdf, appearance=None, reason="thử")
        sig = verify_pdf(signed, trust_roots=[ca_pem, tsa.root_pem]).signatures[0]
        assert sig.timestamp_time is not None
        assert abs(sig.timestamp_time - sig.signing_time) < dt.timedelta(minutes=1)

    def test_unreachable_tsa(self, dev_ca, plain_pdf):
        """A TSA that does not answer raises TimestampUnavailable."""
        from signing.errors import TimestampUnavailable

        signer = PadesSigner.from_pkcs12(dev_ca.signer_p12, PASSWORD,
                                         tsa_url="http://127.0.0.1:9/")
        with pytest.raises(TimestampUnavailable):
            signer.sign_pdf(plain_pdf, appearance=None, reason="thử")
