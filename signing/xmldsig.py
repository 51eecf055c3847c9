"""XML-DSig (enveloped) of a whole XML message with the organisation's key.

The edXML standard carries a W3C XML Signature in edXMLHeader: Reference URI=""
(the whole message, attachments included), the enveloped-signature transform
then exclusive C14N, SHA-256, and KeyInfo/X509Data with the certificate, then the
rest of its chain. The signature value comes from a pyHanko signer
(``signing.keyring.KeySource.open``): a .p12 file or a key on a PKCS#11 token — the
private key never leaves it, since only the canonical SignedInfo is handed to the key
to sign.

The outbox builds the message and calls :meth:`XmlDsigSigner.sign` (it sees only
the ``EnvelopeSigner`` protocol); verification lives beside the parser.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

from lxml import etree

from signing.errors import KeyUnavailable

DSIG = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
METHODS = {
    "rsa": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "ec": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
}


def _ds(parent: etree._Element | None, name: str, text: str | None = None,
        **attrib: str) -> etree._Element:
    tag = f"{{{DSIG}}}{name}"
    element = (etree.SubElement(parent, tag, attrib) if parent is not None
               else etree.Element(tag, attrib, nsmap={None: DSIG}))
    if text is not None:
        element.text = text
    return element


def _c14n(element: etree._Element) -> bytes:
    return bytes(etree.tostring(element, method="c14n", exclusive=True, with_comments=False))


class XmlDsigSigner:
    """Signs messages with one key (a pyHanko signer backend: PKCS#12 or PKCS#11)."""

    def __init__(self, backend: Any, *, closer: Any = None) -> None:
        self._backend = backend
        self._closer = closer
        cert = backend.signing_cert
        self._cert_der: bytes = cert.dump()
        # The rest of the chain the key came with (.p12 or token), so a receiver can build the
        # path to its trust anchor without fetching anything.
        registry = getattr(backend, "cert_registry", None) or ()
        self._chain: list[bytes] = [c.dump() for c in registry if c.dump() != self._cert_der]
        self._subject: str = cert.subject.human_friendly
        algorithm = cert.public_key.algorithm
        if algorithm not in METHODS:
            raise KeyUnavailable(
                f"Khoá {algorithm} không dùng được cho chữ ký XML của gói edXML; cần khoá RSA "
                "hoặc ECDSA.")
        self._algorithm = algorithm

    @classmethod
    def from_key_source(cls, source: Any) -> XmlDsigSigner:
        """The organisation's key from :class:`signing.keyring.KeySource` (.p12 or token)."""
        pades = source.open()
        return cls(pades._backend, closer=pades.close)

    def close(self) -> None:
        """End the token session, if any."""
        if self._closer is not None:
            self._closer()

    def _sign_value(self, data: bytes) -> bytes:
        value: bytes = asyncio.run(self._backend.async_sign_raw(data, "sha256"))
        if self._algorithm == "ec":  # XML-DSig wants r‖s, pyHanko gives DER
            from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

            r, s = decode_dss_signature(value)
            size = (self._backend.signing_cert.public_key.bit_size + 7) // 8
            value = r.to_bytes(size, "big") + s.to_bytes(size, "big")
        return value

    def sign(self, root: etree._Element, parent: etree._Element) -> None:
        """Append to ``parent`` the enveloped signature of the document ``root``."""
        digest = hashlib.sha256(_c14n(root)).digest()  # the Signature is not there yet
        signature = _ds(None, "Signature")
        info = _ds(signature, "SignedInfo")
        _ds(info, "CanonicalizationMethod", Algorithm=EXC_C14N)
        _ds(info, "SignatureMethod", Algorithm=METHODS[self._algorithm])
        reference = _ds(info, "Reference", URI="")
        transforms = _ds(reference, "Transforms")
        _ds(transforms, "Transform", Algorithm=ENVELOPED)
        _ds(transforms, "Transform", Algorithm=EXC_C14N)
        _ds(reference, "DigestMethod", Algorithm=SHA256)
        _ds(reference, "DigestValue", base64.b64encode(digest).decode("ascii"))
        value = _ds(signature, "SignatureValue")
        x509 = _ds(_ds(signature, "KeyInfo"), "X509Data")
        _ds(x509, "X509SubjectName", self._subject)
        for der in (self._cert_der, *self._chain):
            _ds(x509, "X509Certificate", base64.b64encode(der).decode("ascii"))
        parent.append(signature)
        value.text = base64.b64encode(self._sign_value(_c14n(info))).decode("ascii")
