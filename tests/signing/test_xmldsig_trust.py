"""The signer of an incoming edXML envelope must be trusted, not only mathematically right:
a path to the trust anchors ``congvan verify`` uses, valid when signed and when received,
allowed to sign — and the signature must cover the message the reader reads (no wrapping).

Real certificates (cryptography), real signatures (pyHanko's signer backend through our
XmlDsigSigner, signxml for a reference by Id), real verification (signxml + pyhanko-
certvalidator); EC P-256 keys keep the whole module under a second of key generation."""

from __future__ import annotations

import base64
import copy
import datetime as dt
from dataclasses import dataclass

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from outbox.channels.edxml import to_edxml
from outbox.edxml.build import DSIG, NS, build_document
from outbox.edxml.model import SignatureState
from outbox.edxml.verify import Verification, verify
from signing.xmldsig import XmlDsigSigner
from signing.xmldsig_trust import CertificateTrust
from tests.outbox.conftest import make_message

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)
CA_NAME = "CA thử nghiệm trục liên thông"


@dataclass(frozen=True)
class Issued:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _usage(*, sign: bool = True, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign, content_commitment=sign, key_encipherment=not sign and not ca,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False)


def issue(name: str, *, by: Issued | None = None, ca: bool = False, start: dt.datetime = NOW - DAY,
          end: dt.datetime = NOW + 365 * DAY, sign: bool = True) -> Issued:
    """A certificate for ``name``, issued by ``by`` (self-signed when None)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "BỘ TÀI CHÍNH")])
    issuer = by.cert.subject if by else subject
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
            .add_extension(_usage(sign=sign, ca=ca), True)
            .sign(by.key if by else key, hashes.SHA256()))
    return Issued(key, cert)


def signer_of(leaf: Issued, *chain: Issued) -> XmlDsigSigner:
    """Our envelope signer over a pyHanko backend holding ``leaf``'s key (and the chain)."""
    der = leaf.key.private_bytes(serialization.Encoding.DER,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    backend = SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(leaf.cert.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([
            asn1_x509.Certificate.load(c.cert.public_bytes(serialization.Encoding.DER))
            for c in chain]))
    return XmlDsigSigner(backend)


def envelope(signer: XmlDsigSigner | None = None, *, at: dt.datetime = NOW) -> bytes:
    """The 4267/BCĐ-NC message, its trace stamped ``at`` (Viet Nam wall time)."""
    local = at.astimezone(dt.timezone(dt.timedelta(hours=7))).replace(tzinfo=None)
    return build_document(to_edxml(make_message(), now=local), signer=signer)


@pytest.fixture(scope="module")
def ca() -> Issued:
    return issue(CA_NAME, ca=True, start=NOW - 400 * DAY, end=NOW + 3650 * DAY)


@pytest.fixture(scope="module")
def trust(ca: Issued) -> CertificateTrust:
    return CertificateTrust([ca.cert.public_bytes(serialization.Encoding.PEM)])


@pytest.fixture(scope="module")
def good(ca: Issued) -> bytes:
    """A message signed by a certificate the trusted CA issued."""
    return envelope(signer_of(issue("Văn thư Bộ Tài chính", by=ca), ca))


def check(data: bytes, trust: CertificateTrust, *, signed_at: dt.datetime | None = NOW,
          received_at: dt.datetime = NOW) -> Verification:
    return verify(data, trust=trust, signed_at=signed_at, received_at=received_at)


def refused(result: Verification, state: SignatureState, *words: str) -> None:
    assert result.state is state and result.refuse, result
    for word in words:
        assert word in result.reason, result.reason


class TestChain:
    def test_certificate_of_the_trusted_ca_is_valid(self, good: bytes,
                                                    trust: CertificateTrust) -> None:
        """A signature by a certificate that chains to the anchor, valid and allowed to sign,
        is valid."""
        result = check(good, trust)
        assert result.state is SignatureState.VALID and not result.refuse
        assert "Văn thư Bộ Tài chính" in result.signer

    def test_self_signed_certificate_is_refused(self, trust: CertificateTrust) -> None:
        """A self-signed certificate (math right) is refused: no path to an anchor."""
        data = envelope(signer_of(issue("Văn thư Bộ Tài chính")))
        refused(check(data, trust), SignatureState.UNTRUSTED, "không dẫn tới chứng thư gốc",
                "Văn thư Bộ Tài chính")

    def test_certificate_of_an_unknown_ca_with_the_same_names_is_refused(
            self, trust: CertificateTrust) -> None:
        """Another CA with the very same name issues a certificate: refused, naming it."""
        impostor = issue(CA_NAME, ca=True)
        data = envelope(signer_of(issue("Văn thư Bộ Tài chính", by=impostor), impostor))
        refused(check(data, trust), SignatureState.UNTRUSTED, "không dẫn tới chứng thư gốc",
                CA_NAME)

    def test_expired_certificate_is_refused(self, ca: Issued, trust: CertificateTrust) -> None:
        """A certificate that expired before the message arrived is refused with its dates,
        even when the message claims it was signed while it was valid."""
        old = issue("Văn thư Bộ Tài chính", by=ca, start=NOW - 300 * DAY, end=NOW - 10 * DAY)
        data = envelope(signer_of(old, ca), at=NOW - 20 * DAY)
        refused(check(data, trust, signed_at=NOW - 20 * DAY), SignatureState.UNTRUSTED,
                "không còn hiệu lực lúc nhận")

    def test_signing_time_outside_the_validity_is_refused(self, ca: Issued,
                                                          trust: CertificateTrust) -> None:
        """A certificate not yet valid at the signing time the message claims is refused."""
        young = issue("Văn thư Bộ Tài chính", by=ca, start=NOW - DAY)
        data = envelope(signer_of(young, ca), at=NOW - 5 * DAY)
        refused(check(data, trust, signed_at=NOW - 5 * DAY), SignatureState.UNTRUSTED,
                "không có hiệu lực lúc ký")

    def test_certificate_not_allowed_to_sign_is_refused(self, ca: Issued,
                                                        trust: CertificateTrust) -> None:
        """A certificate whose KeyUsage is encipherment only is refused."""
        data = envelope(signer_of(issue("Văn thư Bộ Tài chính", by=ca, sign=False), ca))
        refused(check(data, trust), SignatureState.UNTRUSTED, "không được phép dùng để ký")

    def test_without_anchors_the_math_is_reported_not_trusted(self, good: bytes) -> None:
        """With no anchors configured a right signature is 'untrusted' (recorded, not
        refused), saying which setting is missing."""
        result = verify(good)
        assert result.state is SignatureState.UNTRUSTED and not result.refuse
        assert "CONGVAN_TRUST_ROOTS" in result.reason


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _header(root: etree._Element) -> etree._Element:
    found = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert found is not None
    return found


def _signed_by_id(ca: Issued) -> etree._Element:
    """A message whose one Reference points at MessageHeader by Id (signxml signs it)."""
    from signxml import XMLSigner
    from signxml.algorithms import SignatureMethod

    leaf = issue("Văn thư Bộ Tài chính", by=ca)
    root = _tree(envelope())
    header = _header(root)
    message = header.find(f"{{{NS}}}MessageHeader")
    assert message is not None
    message.set("Id", "hdr")
    pem = [c.public_bytes(serialization.Encoding.PEM) for c in (leaf.cert, ca.cert)]
    key = leaf.key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    signed = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256).sign(
        copy.deepcopy(message), key=key, cert=[p.decode() for p in pem], reference_uri="#hdr")
    signature = signed.find(f"{{{DSIG}}}Signature")
    assert signature is not None
    header.append(signature)
    return root


class TestWrapping:
    def test_signature_moved_out_of_the_header_is_refused(self, good: bytes,
                                                          trust: CertificateTrust) -> None:
        """The Signature moved from edXMLHeader into an attachment element is refused."""
        root = _tree(good)
        signature = _header(root).find(f"{{{DSIG}}}Signature")
        attachment = root.find(f"{{{NS}}}AttachmentEncoded/{{{NS}}}Attachment")
        assert signature is not None and attachment is not None
        attachment.append(signature)
        refused(check(etree.tostring(root), trust), SignatureState.INVALID,
                "không phải trong edXML/edXMLEnvelope/edXMLHeader")

    def test_reference_to_one_element_is_refused(self, ca: Issued,
                                                 trust: CertificateTrust) -> None:
        """A signature whose Reference covers only MessageHeader (by Id) is refused even
        though its math holds: the rest of the message would be unsigned."""
        refused(check(etree.tostring(_signed_by_id(ca)), trust), SignatureState.INVALID,
                "chỉ phủ một phần gói", "#hdr")

    def test_signed_element_moved_and_an_unsigned_twin_is_refused(
            self, ca: Issued, trust: CertificateTrust) -> None:
        """The classic wrapping: the signed MessageHeader moved aside, a forged one with the
        same Id where the reader looks — refused for the duplicate Id."""
        root = _signed_by_id(ca)
        header = _header(root)
        original = header.find(f"{{{NS}}}MessageHeader")
        assert original is not None
        forged = copy.deepcopy(original)
        subject = forged.find(f"{{{NS}}}Subject")
        assert subject is not None
        subject.text = "V/v chuyển tiền tạm ứng vào tài khoản mới"
        header.replace(original, forged)
        signature = header.find(f"{{{DSIG}}}Signature")
        assert signature is not None
        hidden = etree.SubElement(signature, f"{{{DSIG}}}Object")
        hidden.append(original)
        refused(check(etree.tostring(root), trust), SignatureState.INVALID,
                "cùng mã Id «hdr»")

    def test_second_signature_is_refused(self, good: bytes, trust: CertificateTrust) -> None:
        """Two XML-DSig signatures in one message are refused."""
        root = _tree(good)
        header = _header(root)
        signature = header.find(f"{{{DSIG}}}Signature")
        assert signature is not None
        header.append(copy.deepcopy(signature))
        refused(check(etree.tostring(root), trust), SignatureState.INVALID, "2 chữ ký")

    def test_certificate_swapped_for_another_is_refused(self, good: bytes,
                                                        trust: CertificateTrust) -> None:
        """The X509Certificate replaced by another (trusted-looking) one: the value no longer
        matches the key."""
        root = _tree(good)
        certs = root.findall(f".//{{{DSIG}}}X509Certificate")
        other = issue("Văn thư Bộ Tài chính").cert.public_bytes(serialization.Encoding.DER)
        for element in certs:
            element.text = base64.b64encode(other).decode()
        refused(check(etree.tostring(root), trust), SignatureState.INVALID,
                "không khớp với chứng thư")
