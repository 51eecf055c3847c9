"""Check the XML-DSig of an incoming edXML message: valid, untrusted, invalid or absent.

Three questions, each refused with its own Vietnamese reason:

1. **Is it the signature QCVN 102 expects, where it expects it?** One ``ds:Signature``, in
   ``edXML/edXMLEnvelope/edXMLHeader``, with one Reference that covers the whole message
   (``URI=""``, or ``#Id`` of the root) through the enveloped-signature transform and
   canonicalisation only, and no two elements with the same Id anywhere. Anything else is
   how signature-wrapping attacks work (the signed element moved where the reader does not
   look, an unsigned twin with the same Id where it does) and is refused.
2. **Does the math hold?** signxml (an implementation independent of ours) checks the digest
   and the signature value with the certificate the message carries in KeyInfo/X509Data.
3. **Is the signer's certificate trusted?** That is not signxml's business here: the caller
   passes a :class:`SignerTrust` (``signing.xmldsig_trust.CertificateTrust``: the trust
   anchors ``congvan verify`` uses for PAdES, the validity period at signing time, key
   usage). Without one the state is ``untrusted`` with the reason that no anchor is set.
   (Intake also refuses a certificate our directory records as revoked:
   :func:`outbox.edxml.receive.receive`.)

:attr:`Verification.refuse` says whether the package must be refused (a forged, tampered,
wrapped or untrusted signature); a signature that is absent, a placeholder outside the
XML-DSig namespace (as some deployed senders write it), or unchecked for want of trust
anchors is recorded on the register entry, not refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from lxml import etree

from outbox.edxml.build import DSIG, NS
from outbox.edxml.model import SignatureState
from outbox.errors import EdxmlError
from registry.clock import now_utc

ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
C14N = frozenset({
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
})
ID_ATTRIBUTES = ("Id", "ID", "id", "{http://www.w3.org/XML/1998/namespace}id")
MAX_CERTIFICATES = 10
_HEADER = f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader"


class SignerTrust(Protocol):
    """Decides whether a signer's certificate is trusted (``signing.xmldsig_trust``)."""

    def check(self, *, certificate: bytes, others: Sequence[bytes], signed_at: datetime,
              received_at: datetime) -> str | None:
        """None when ``certificate`` (DER; ``others`` are the rest of the message's chain)
        is trusted for signing at ``signed_at`` as checked at ``received_at``; else why not,
        in Vietnamese."""
        ...


@dataclass(frozen=True)
class Verification:
    """The signature's state, who signed (certificate subject), why it failed, and whether
    the package must be refused for it."""

    state: SignatureState
    signer: str = ""
    reason: str = ""
    refuse: bool = False
    fingerprint: str = ""  # SHA-256 of the signer's certificate, once the math held


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=True, remove_comments=False)


def _start(data: bytes) -> bytes:
    start = data.find(b"<")
    return data[start:] if start > 0 else data


def _forged(reason: str, signer: str = "") -> Verification:
    return Verification(SignatureState.INVALID, signer, reason, refuse=True)


def _structure(root: etree._Element) -> Verification | etree._Element:
    """The one Signature where QCVN 102 puts it, covering the whole message; or why not."""
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
        return _forged(f"gói có {len(signatures)} chữ ký XML-DSig; chỉ nhận một chữ ký đặt trong "
                       "edXMLHeader (nhiều chữ ký là dấu hiệu tấn công bọc chữ ký)")
    signature = signatures[0]
    header = root.find(_HEADER)
    if root.tag != f"{{{NS}}}edXML" or header is None or signature.getparent() is not header:
        where = "/".join(etree.QName(e).localname for e in reversed(list(
            signature.iterancestors())))
        return _forged(f"chữ ký XML-DSig nằm ở {where or 'gốc'}, không phải trong "
                       "edXML/edXMLEnvelope/edXMLHeader như QCVN 102:2016 quy định")
    seen: dict[str, int] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in ID_ATTRIBUTES:
            value = element.get(name)
            if value is not None:
                seen[value] = seen.get(value, 0) + 1
    twins = sorted(v for v, n in seen.items() if n > 1)
    if twins:
        return _forged(f"hai phần tử cùng mã Id «{twins[0]}»; không biết phần tử nào đã được "
                       "ký (tấn công bọc chữ ký)")
    references = signature.findall(f"{{{DSIG}}}SignedInfo/{{{DSIG}}}Reference")
    if len(references) != 1:
        return _forged(f"chữ ký có {len(references)} tham chiếu (Reference); phải đúng một, "
                       "phủ toàn bộ gói")
    uri = references[0].get("URI")
    root_ids = {root.get(n) for n in ID_ATTRIBUTES} - {None}
    if uri != "" and not (uri and uri.startswith("#") and uri[1:] in root_ids):
        return _forged(f"chữ ký chỉ phủ một phần gói (Reference URI=«{uri}»); phải phủ toàn bộ "
                       "gói edXML (URI=\"\")")
    transforms = [t.get("Algorithm") for t in references[0].iterfind(
        f"{{{DSIG}}}Transforms/{{{DSIG}}}Transform")]
    odd = [t for t in transforms if t != ENVELOPED and t not in C14N]
    if odd or ENVELOPED not in transforms:
        named = ", ".join(map(str, odd)) or "thiếu enveloped-signature"
        return _forged(f"phép biến đổi của chữ ký không được chấp nhận ({named}); chỉ nhận "
                       "enveloped-signature và chuẩn hoá C14N")
    return signature


def _certificates(signature: etree._Element) -> list[bytes] | Verification:
    found = [e.text or "" for e in signature.iterfind(
        f"{{{DSIG}}}KeyInfo/{{{DSIG}}}X509Data/{{{DSIG}}}X509Certificate")]
    if not found:
        return _forged("chữ ký không kèm chứng thư số (X509Certificate)")
    if len(found) > MAX_CERTIFICATES:
        return _forged(f"chữ ký kèm {len(found)} chứng thư; tối đa {MAX_CERTIFICATES}")
    try:
        return [base64.b64decode("".join(text.split()), validate=True) for text in found]
    except (ValueError, binascii.Error):
        return _forged("chứng thư số trong chữ ký không phải base64 hợp lệ")


_MATH = {
    "InvalidDigest": "nội dung gói đã bị thay đổi sau khi ký (giá trị băm DigestValue không "
                     "khớp)",
    "InvalidSignature": "giá trị chữ ký (SignatureValue) không khớp với chứng thư số kèm theo",
}


def _math(data: bytes, certs: list[bytes]) -> tuple[Any, str] | Verification:
    """The certificate whose key verifies the signature (signxml), with its subject."""
    from cryptography import x509
    from signxml.exceptions import InvalidInput, InvalidSignature
    from signxml.verifier import SignatureConfiguration, XMLVerifier

    reasons: list[str] = []
    for der in certs:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            return _forged("chứng thư số trong chữ ký hỏng, không đọc được")
        subject = cert.subject.rfc4514_string()
        # Only the math here: validity and the chain are the SignerTrust's, so signxml is told
        # to look at a moment when the certificate is valid.
        config = SignatureConfiguration(
            require_x509=True, location=f"./{_HEADER}/", expect_references=1,
            verification_time=cert.not_valid_before_utc)
        try:
            XMLVerifier().verify(data, x509_cert=cert, parser=_parser(), expect_config=config)
        except (InvalidSignature, InvalidInput) as error:
            kind = type(error).__name__
            # The digest is checked only once the key verified SignedInfo: that key signed it.
            reasons.insert(0 if kind == "InvalidDigest" else len(reasons),
                           _MATH.get(kind) or f"chữ ký không kiểm tra được ({kind}: {error})")
            continue
        return der, subject
    return _forged(reasons[0])


def verify(data: bytes, *, trust: SignerTrust | None = None,
           signed_at: datetime | None = None, received_at: datetime | None = None
           ) -> Verification:
    """The state of the message's Signature. Call it after :func:`outbox.edxml.parse.read`
    accepted ``data`` (that refuses DOCTYPEs and bombs first). ``signed_at`` is when the
    message says it was signed (its sender's TraceHeader), ``received_at`` when it reached us
    (both default to now)."""
    data = _start(data)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise EdxmlError(f"Tệp edXML không đúng cú pháp XML: {error}") from error
    signature = _structure(root)
    if isinstance(signature, Verification):
        return signature
    certs = _certificates(signature)
    if isinstance(certs, Verification):
        return certs
    math = _math(data, certs)
    if isinstance(math, Verification):
        return math
    der, subject = math
    fingerprint = hashlib.sha256(der).hexdigest()
    if trust is None:
        return Verification(SignatureState.UNTRUSTED, subject, (
            "chưa cấu hình chứng thư gốc tin cậy (CONGVAN_TRUST_ROOTS) nên chưa kiểm tra chuỗi "
            "chứng thư của người ký"), fingerprint=fingerprint)
    received = received_at or now_utc()
    # A claimed signing time after the arrival is not believed: the arrival bounds it.
    when = signed_at if signed_at is not None and signed_at <= received else received
    reason = trust.check(certificate=der, others=[c for c in certs if c != der],
                         signed_at=when, received_at=received)
    if reason:
        return Verification(SignatureState.UNTRUSTED, subject, reason, refuse=True,
                            fingerprint=fingerprint)
    return Verification(SignatureState.VALID, subject, fingerprint=fingerprint)
