"""PadesSigner over PKCS#11, against a SoftHSM2 token made by the test."""

from __future__ import annotations

import pytest

from signing.errors import BadPassword, KeyUnavailable
from signing.signer import PadesSigner
from signing.verify import verify_pdf


class TestFromPkcs11:
    def test_token_signature_is_valid_and_trusted(self, softhsm_token, plain_pdf, ca_pem):
        """A key held on the token signs a PDF that verifies against the demo root."""
        t = softhsm_token
        with PadesSigner.from_pkcs11(module=t.module, token_label=t.label, pin=t.pin,
                                     key_label=t.key_label) as signer:
            signed = signer.sign_pdf(plain_pdf, appearance=None, reason="Ký bằng token")
        sig = verify_pdf(signed, trust_roots=[ca_pem]).signatures[0]
        assert sig.ok, sig.problems
        assert "DEMO" in sig.signer

    def test_wrong_pin(self, softhsm_token):
        """A wrong PIN raises BadPassword."""
        t = softhsm_token
        with pytest.raises(BadPassword, match="PIN"):
            PadesSigner.from_pkcs11(module=t.module, token_label=t.label, pin="000000",
                                    key_label=t.key_label)

    def test_unknown_token(self, softhsm_token):
        """A token label that is not plugged in raises KeyUnavailable."""
        t = softhsm_token
        with pytest.raises(KeyUnavailable, match="không-có"):
            PadesSigner.from_pkcs11(module=t.module, token_label="không-có", pin=t.pin,
                                    key_label=t.key_label)

    def test_unknown_key_label(self, softhsm_token, plain_pdf):
        """A key label that is not on the token raises KeyUnavailable."""
        t = softhsm_token
        with pytest.raises(KeyUnavailable), PadesSigner.from_pkcs11(
                module=t.module, token_label=t.label, pin=t.pin, key_label="khac") as signer:
            signer.sign_pdf(plain_pdf, appearance=None, reason="thử")
