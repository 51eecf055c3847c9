"""edXML: building packages from messages, parsing documents and Status messages, safely."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from outbox.channels.edxml import EdxmlChannel, to_edxml
from outbox.edxml.build import NS, build_document, build_status
from outbox.edxml.model import Organ, StatusMessage
from outbox.edxml.parse import parse, parse_document, parse_status
from outbox.edxml.status import ReceiptState, acknowledges, receipt_state
from outbox.errors import EdxmlError, PermanentDeliveryError
from outbox.message import Party
from tests.outbox.conftest import DOCX, PDF, make_message

NOW = datetime(2022, 11, 7, 9, 30)


def text(xml: bytes, path: str) -> str | None:
    root = etree.fromstring(xml)
    found: str | None = root.findtext(path, namespaces={"e": NS})
    return found


class TestBuild:
    def test_header_fields(self) -> None:
        """The envelope carries From/To ids, DocumentId, Code, dates, type, subject and signer."""
        xml = build_document(to_edxml(make_message(), now=NOW))
        header = "e:edXMLHeader/e:MessageHeader/"
        assert text(xml, header + "e:From/e:OrganId") == "000.00.00.H34"
        assert text(xml, header + "e:To/e:OrganId") == "000.01.34.H34"
        assert text(xml, header + "e:DocumentId") == "000.00.00.H34,2022/11/07,4267/BCĐ-NC"
        assert text(xml, header + "e:Code/e:CodeNotation") == "BCĐ-NC"
        assert text(xml, header + "e:PromulgationInfo/e:PromulgationDate") == "2022/11/07"
        assert text(xml, header + "e:DocumentType/e:TypeName") == "Công văn"
        assert text(xml, header + "e:SignerInfo/e:Competence") == "KT. TRƯỞNG BAN"
        assert text(xml, header + "e:DueDate") == "2022/12/10"
        assert text(xml, header + "e:ToPlaces/e:Place") == "Như trên;"

    def test_attachments_are_base64_with_manifest(self) -> None:
        """Each file appears in the manifest and base64-encoded in AttachmentEncoded."""
        xml = build_document(to_edxml(make_message(), now=NOW))
        root = etree.fromstring(xml)
        names = root.findall("e:edXMLBody/e:edXMLManifest/e:Reference/e:AttachmentName",
                             namespaces={"e": NS})
        assert [n.text for n in names] == ["4267-BCĐ-NC.pdf", "4267-BCĐ-NC.docx"]
        assert len(root.findall("e:AttachmentEncoded/e:Attachment", namespaces={"e": NS})) == 2

    def test_unnumbered_document_is_refused(self) -> None:
        """A message without a number cannot become an edXML package."""
        with pytest.raises(PermanentDeliveryError, match="số"):
            to_edxml(make_message(number=""))

    def test_recipient_without_organ_id_is_permanent(self) -> None:
        """edXML needs the recipient's OrganId; without it the delivery is dead."""
        with pytest.raises(PermanentDeliveryError, match="OrganId"):
            to_edxml(make_message(recipient=Party("Xã A", "a@b.vn")))


class TestRoundTrip:
    def test_document_round_trips(self) -> None:
        """Parsing a built package gives back the same model, files included."""
        model = to_edxml(make_message(response_for="000.00.00.G01,2022/10/01,22/HD-BCA-V05"),
                         now=NOW)
        parsed = parse_document(build_document(model))
        assert parsed == model
        assert [a.content for a in parsed.attachments] == [PDF, DOCX]

    def test_status_round_trips(self) -> None:
        """A Status message survives build and parse unchanged."""
        status = StatusMessage(
            response_for="000.00.00.H34,2022/11/07,4267/BCĐ-NC",
            sender=Organ("000.01.34.H34", "Công an huyện Đăk Hà"),
            status_code="03", timestamp=NOW, description="Đã vào sổ",
            staff_name="Trần Thị B",
        )
        assert parse_status(build_status(status)) == status

    def test_parse_tells_document_from_status(self) -> None:
        """parse() returns a StatusMessage for a status and refuses the wrong kind when asked."""
        status = StatusMessage("x", Organ("1", "A"), "01", NOW)
        assert isinstance(parse(build_status(status)), StatusMessage)
        with pytest.raises(EdxmlError):
            parse_document(build_status(status))


class TestParseSafety:
    def test_entity_expansion_is_refused(self) -> None:
        """A billion-laughs DOCTYPE is refused, not expanded."""
        bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
                b'<edXMLEnvelope xmlns="' + NS.encode() + b'">&lol2;</edXMLEnvelope>')
        with pytest.raises(EdxmlError, match="DOCTYPE"):
            parse(bomb)

    def test_external_entity_is_refused(self) -> None:
        """An external entity (file or network) is never fetched."""
        xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               b'<edXMLEnvelope xmlns="' + NS.encode() + b'"><edXMLHeader>&e;</edXMLHeader>'
               b'</edXMLEnvelope>')
        with pytest.raises(EdxmlError):
            parse(xxe)

    def test_foreign_dialect_is_named(self) -> None:
        """A package of another dialect is refused with a message naming the expected root."""
        with pytest.raises(EdxmlError, match="edXMLEnvelope"):
            parse(b'<eDoc xmlns="http://www.go.vn/eDoc"/>')

    def test_missing_required_field_is_named(self) -> None:
        """A document without a Subject is refused naming the field."""
        xml = build_document(to_edxml(make_message(), now=NOW))
        root = etree.fromstring(xml)
        subject = root.find("e:edXMLHeader/e:MessageHeader/e:Subject", namespaces={"e": NS})
        assert subject is not None
        subject.text = ""
        with pytest.raises(EdxmlError, match="Subject"):
            parse(etree.tostring(root))


class TestStatusCodes:
    @pytest.mark.parametrize(("code", "state", "ack"), [
        ("01", ReceiptState.ARRIVED, True), ("02", ReceiptState.REJECTED, False),
        ("03", ReceiptState.REGISTERED, True), ("04", ReceiptState.ASSIGNED, True),
        ("05", ReceiptState.IN_PROGRESS, True), ("06", ReceiptState.FINISHED, True),
        ("13", ReceiptState.RECALL_REQUESTED, False), ("15", ReceiptState.RECALL_ACCEPTED, False),
        ("16", ReceiptState.RECALL_REFUSED, False), ("3", ReceiptState.REGISTERED, True),
    ])
    def test_mapping(self, code: str, state: ReceiptState, ack: bool) -> None:
        """Each StatusCode maps to a receipt state and says whether it acknowledges."""
        assert receipt_state(code) is state
        assert acknowledges(code) is ack

    def test_unknown_code(self) -> None:
        """An unknown StatusCode is refused listing the valid ones."""
        with pytest.raises(EdxmlError, match="01"):
            receipt_state("99")


class TestEdxmlChannel:
    def test_drops_package_per_recipient(self, tmp_path: Path) -> None:
        """The package is written under the recipient's OrganId and parses back."""
        result = EdxmlChannel(tmp_path, clock=lambda: NOW).send(make_message("k9"))
        assert result.message_id == "000.01.34.H34/k9/edxml.xml"
        parsed = parse_document((tmp_path / result.message_id).read_bytes())
        assert parsed.issued_date == date(2022, 11, 7)
