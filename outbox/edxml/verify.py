"""Check the XML-DSig of an incoming edXML message: valid, invalid or absent.

Verified with signxml (an implementation independent of ours) against the
certificate the message carries in KeyInfo/X509Data: "valid" means the message
is byte-for-byte what that key signed (attachments included, since the Reference
is the whole message). Whether the certificate chains to a trusted CA (VGCA) is
a separate question this module does not answer.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from lxml import etree

from outbox.edxml.build import DSIG
from outbox.edxml.model import SignatureState
from outbox.errors import EdxmlError


@dataclass(frozen=True)
class Verification:
    """The signature's state, who signed (certificate subject), and why it failed."""

    state: SignatureState
    signer: str = ""
    reason: str = ""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=True, remove_comments=False)


def _start(data: bytes) -> bytes:
    start = data.find(b"<")
    return data[start:] if start > 0 else data


def verify(data: bytes) -> Verification:
    """The state of the message's Signature. Call it after :func:`outbox.edxml.parse.read`
    accepted ``data`` (that refuses DOCTYPEs and bombs first)."""
    from cryptography import x509
    from signxml.exceptions import InvalidInput, InvalidSignature
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    data = _start(data)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise EdxmlError(f"Tệp edXML không đúng cú pháp XML: {error}") from error
    signatures = root.findall(f".//{{{DSIG}}}Signature")
    if not signatures:
        other = [e for e in root.iter() if isinstance(e.tag, str)
                 and etree.QName(e).localname == "Signature"]
        if other:
            return Verification(SignatureState.INVALID, reason=(
                "phần tử Signature không thuộc namespace XML-DSig "
                f"({DSIG}); không kiểm tra được"))
        return Verification(SignatureState.ABSENT)
    if len(signatures) > 1:
        return Verification(SignatureState.INVALID, reason="gói có nhiều hơn một chữ ký")
    found = signatures[0].findtext(f".//{{{DSIG}}}X509Certificate")
    if not found:
        return Verification(SignatureState.INVALID, reason="chữ ký không kèm chứng thư số")
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode("".join(found.split())))
    except (ValueError, binascii.Error):
        return Verification(SignatureState.INVALID, reason="chứng thư số trong chữ ký hỏng")
    subject = cert.subject.rfc4514_string()
    try:
        XMLVerifier().verify(
            data, x509_cert=cert, parser=_parser(),
            expect_config=SignatureConfiguration(require_x509=True),
        )
    except (InvalidSignature, InvalidInput) as error:
        return Verification(SignatureState.INVALID, subject, f"{error}")
    return Verification(SignatureState.VALID, subject)

