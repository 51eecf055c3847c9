"""XML-DSig of edXML messages with the organisation's key (.p12 or a PKCS#11 token),
verified by signxml — an implementation independent of ours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from outbox.channels.edxml import EdxmlChannel, to_edxml
from outbox.edxml.build import DSIG, NS, build_document
from outbox.edxml.model import SignatureState
from outbox.edxml.parse import read
from outbox.edxml.verify import verify
from signing.keyring import KeySource
from signing.keys import DevCAFiles
from signing.xmldsig import XmlDsigSigner
from signing.xmldsig_trust import CertificateTrust
from tests.outbox.conftest import make_message
from tests.signing.conftest import PASSWORD, Token

NOW = datetime(2022, 11, 7, 9, 30)


@pytest.fixture
def trust(dev_ca: DevCAFiles) -> CertificateTrust:
    """The demo CA as the one trust anchor (CONGVAN_TRUST_ROOTS)."""
    found = CertificateTrust.from_paths([dev_ca.ca_cert])
    assert found is not None
    return found


@pytest.fixture
def org_signer(dev_ca: DevCAFiles) -> Iterator[XmlDsigSigner]:
    """The organisation's key from its .p12."""
    signer = XmlDsigSigner.from_key_source(KeySource.pkcs12(dev_ca.organization_p12, PASSWORD))
    yield signer
    signer.close()


class TestSignedEnvelope:
    def test_signature_sits_in_the_header_and_verifies(self, org_signer: XmlDsigSigner,
                                                        trust: CertificateTrust) -> None:
        """ds:Signature follows TraceHeaderList in edXMLHeader, carries the chain, and is valid
        (math and trust); without trust anchors it is only 'untrusted', not refused."""
        data = build_document(to_edxml(make_message(), now=NOW), signer=org_signer)
        header = etree.fromstring(data).find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
        assert header is not None
        assert [etree.QName(c).localname for c in header] == [
            "MessageHeader", "TraceHeaderList", "Signature"]
        assert etree.QName(header[-1]).namespace == DSIG
        assert len(header[-1].findall(f".//{{{DSIG}}}X509Certificate")) == 2
        result = verify(data, trust=trust)
        assert result.state is SignatureState.VALID and "CN=" in result.signer
        unchecked = verify(data)
        assert unchecked.state is SignatureState.UNTRUSTED and not unchecked.refuse
        assert "CONGVAN_TRUST_ROOTS" in unchecked.reason
        assert read(data).signed

    def test_tampered_subject_or_attachment_is_invalid(self, org_signer: XmlDsigSigner) -> None:
        """Changing the subject, or one byte of an attachment, breaks the signature."""
        data = build_document(to_edxml(make_message(), now=NOW), signer=org_signer)
        subject = "triển khai".encode()
        tampered = verify(data.replace(subject, b"trien khai"))
        assert tampered.state is SignatureState.INVALID and tampered.refuse
        assert "đã bị thay đổi sau khi ký" in tampered.reason
        root = etree.fromstring(data)
        encoded = root.find(f".//{{{NS}}}ContentTransferEncoded")
        assert encoded is not None and encoded.text is not None
        encoded.text = "A" + encoded.text[1:]
        assert verify(etree.tostring(root)).state is SignatureState.INVALID

    def test_unsigned_is_absent(self) -> None:
        """A message without Signature is reported absent."""
        assert verify(build_document(to_edxml(make_message(), now=NOW))).state is \
            SignatureState.ABSENT

    def test_channel_signs_what_it_drops(self, org_signer: XmlDsigSigner, tmp_path: Path,
                                         trust: CertificateTrust) -> None:
        """The edXML channel given a signer drops signed packages."""
        root = tmp_path
        result = EdxmlChannel(root, signer=org_signer, clock=lambda: NOW).send(make_message())
        assert verify((root / result.message_id).read_bytes(), trust=trust).state is \
            SignatureState.VALID


class TestTokenKey:
    def test_key_on_a_pkcs11_token_signs(self, softhsm_token: Token,
                                         trust: CertificateTrust) -> None:
        """The organisation's key on a SoftHSM2 token signs (the key never leaves the token)."""
        source = KeySource.pkcs11(module=softhsm_token.module, token_label=softhsm_token.label,
                                  pin=softhsm_token.pin, key_label=softhsm_token.key_label)
        signer = XmlDsigSigner.from_key_source(source)
        try:
            data = build_document(to_edxml(make_message(), now=NOW), signer=signer)
        finally:
            signer.close()
        assert verify(data, trust=trust).state is SignatureState.VALID
