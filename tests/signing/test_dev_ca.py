"""The demo CA: certificates, PKCS#12 files and images."""

from __future__ import annotations

import io

import pytest
from cryptography import x509
from PIL import Image

from signing.errors import BadPassword, KeyUnavailable
from signing.keys import DEMO_MARK, read_pkcs12
from tests.signing.conftest import PASSWORD


class TestCreateDevCA:
    def test_every_certificate_is_marked_demo(self, dev_ca):
        """The CA, signer and organisation certificates all say DEMO — KHÔNG DÙNG THẬT."""
        ca = x509.load_pem_x509_certificate(dev_ca.ca_cert.read_bytes())
        assert DEMO_MARK in ca.subject.rfc4514_string()
        for p12 in (dev_ca.signer_p12, dev_ca.organization_p12):
            cert, chain = read_pkcs12(p12.read_bytes(), PASSWORD)
            assert DEMO_MARK in cert.subject.rfc4514_string()
            assert [c.subject for c in chain] == [ca.subject]

    def test_signer_key_usage_is_digital_signature_and_non_repudiation(self, dev_ca):
        """Signer certificates carry the key usages PAdES validators expect, marked critical."""
        cert, _ = read_pkcs12(dev_ca.signer_p12.read_bytes(), PASSWORD)
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical
        assert usage.value.digital_signature and usage.value.content_commitment
        assert not usage.value.key_cert_sign

    def test_validity_is_configurable(self, expired_ca):
        """valid_days and not_before make a certificate that has already expired."""
        cert, _ = read_pkcs12(expired_ca.signer_p12.read_bytes(), PASSWORD)
        assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 30

    def test_wrong_password_is_bad_password(self, dev_ca):
        """A wrong password raises BadPassword, which is a KeyUnavailable."""
        with pytest.raises(BadPassword):
            read_pkcs12(dev_ca.signer_p12.read_bytes(), "sai")
        assert issubclass(BadPassword, KeyUnavailable)

    def test_signature_image_is_blue_on_transparent(self, dev_ca):
        """The demo signature is a transparent PNG whose ink is blue."""
        img = Image.open(io.BytesIO(dev_ca.signature_png.read_bytes())).convert("RGBA")
        inked = [px for px in img.getdata() if px[3] > 200]
        assert img.getpixel((0, 0))[3] == 0 and inked
        assert all(b > r and b > g for r, g, b, _ in inked)

    def test_seal_image_is_red_round_and_real_size(self, dev_ca):
        """The demo seal is a transparent red round PNG whose DPI gives 36 mm."""
        img = Image.open(io.BytesIO(dev_ca.seal_png.read_bytes()))
        dpi = img.info["dpi"][0]
        assert img.width / dpi * 25.4 == pytest.approx(36, abs=0.2)
        rgba = img.convert("RGBA")
        assert rgba.getpixel((0, 0))[3] == 0
        inked = [px for px in rgba.getdata() if px[3] > 200]
        assert all(r > g and r > b for r, g, b, _ in inked)
