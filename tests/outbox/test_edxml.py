"""edXML as the axis speaks it: layout, fields, round trips, public sample shapes, bad input."""

from __future__ import annotations

import base64
import hashlib
import io
import tracemalloc
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from outbox.channels.edxml import EdxmlChannel, package, page_count, to_edxml
from outbox.edxml.attachments import Limits
from outbox.edxml.build import NS, build_document, build_status
from outbox.edxml.model import (
    Business,
    BusinessType,
    DocumentKey,
    EdxmlAttachment,
    EdxmlDocument,
    Organ,
    Replacement,
    ResponseFor,
    StaffInfo,
    StatusMessage,
)
from outbox.edxml.parse import parse, parse_document, parse_status, read
from outbox.edxml.status import ReceiptState, acknowledges, receipt_state
from outbox.errors import EdxmlError, PermanentDeliveryError
from outbox.message import Attachment, Party
from tests.outbox.conftest import DOCX, PDF, make_message

NOW = datetime(2022, 11, 7, 9, 30)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "edxml"
E = {"e": NS}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def text(xml: bytes, path: str) -> str | None:
    found: str | None = etree.fromstring(xml).findtext(path, namespaces=E)
    return found


def key(value: str) -> DocumentKey:
    found = DocumentKey.parse(value)
    assert found is not None
    return found


class TestLayout:
    def test_root_is_edxml_with_attachments_beside_the_envelope(self) -> None:
        """Root edXML in the QCVN 102:2016 namespace; AttachmentEncoded is the envelope's
        sibling; the manifest's ContentId is an element matching the Attachment's."""
        root = etree.fromstring(build_document(to_edxml(make_message(), now=NOW)))
        assert root.tag == f"{{{NS}}}edXML"
        assert [etree.QName(c).localname for c in root] == ["edXMLEnvelope", "AttachmentEncoded"]
        header = root.find("e:edXMLEnvelope/e:edXMLHeader", E)
        assert header is not None
        assert [etree.QName(c).localname for c in header] == ["MessageHeader", "TraceHeaderList"]
        refs = root.findall("e:edXMLEnvelope/e:edXMLBody/e:edXMLManifest/e:Reference", E)
        atts = root.findall("e:AttachmentEncoded/e:Attachment", E)
        assert [r.findtext("e:ContentId", namespaces=E) for r in refs] == \
            [a.findtext("e:ContentId", namespaces=E) for a in atts] == ["cid:1", "cid:2"]
        assert all(r.get("ContentId") is None for r in refs)

    def test_message_header_fields(self) -> None:
        """From/To ids, DocumentId, Code, dates, type, signer, due date, places, OtherInfo."""
        xml = build_document(to_edxml(make_message(doc_type="cong_van", copies=4,
                                                   urgency="Thượng khẩn"), now=NOW))
        h = "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/"
        assert text(xml, h + "e:From/e:OrganId") == "000.00.00.H34"
        assert text(xml, h + "e:To/e:OrganId") == "000.01.34.H34"
        assert text(xml, h + "e:DocumentId") == "000.00.00.H34,2022/11/07,4267/BCĐ-NC"
        assert text(xml, h + "e:Code/e:CodeNumber") == "4267"
        assert text(xml, h + "e:PromulgationInfo/e:PromulgationDate") == "2022/11/07"
        assert text(xml, h + "e:DocumentType/e:TypeDetail") == "18"
        assert text(xml, h + "e:DocumentType/e:TypeName") == "Công văn"
        assert text(xml, h + "e:SignerInfo/e:Competence") == "KT. TRƯỞNG BAN"
        assert text(xml, h + "e:DueDate") == "2022/12/10"
        assert text(xml, h + "e:SteeringType") == "1"
        assert text(xml, h + "e:OtherInfo/e:Priority") == "2"
        assert text(xml, h + "e:OtherInfo/e:PromulgationAmount") == "4"
        assert text(xml, h + "e:OtherInfo/e:SphereOfPromulgation") == "Liên thông văn bản quốc gia"
        places = etree.fromstring(xml).findall(h + "e:ToPlaces/e:Place", E)
        assert [p.text for p in places] == ["Như trên;", "Lưu: VT, NC."]

    def test_page_amount_is_counted_from_the_pdf(self) -> None:
        """OtherInfo/PageAmount is the PDF's page count (2 for the fixture)."""
        pdf = (FIXTURES / "attachment.pdf").read_bytes()
        assert page_count(pdf) == 2
        message = make_message(attachments=(Attachment("a.pdf", "application/pdf", pdf),))
        xml = build_document(to_edxml(message, now=NOW))
        assert text(xml, "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:OtherInfo/"
                         "e:PageAmount") == "2"

    def test_full_organ_name_is_used(self) -> None:
        """OrganName is the full name with its place when the party carries one."""
        sender = Party("BAN CHỈ ĐẠO … TỈNH", organ_id="000.00.00.Z18",
                       official_name="BAN CHỈ ĐẠO … TỈNH KON TUM", in_charge="UBND TỈNH KON TUM")
        model = to_edxml(make_message(sender=sender), now=NOW)
        assert model.sender.name == "BAN CHỈ ĐẠO … TỈNH KON TUM"
        assert model.sender.in_charge == "UBND TỈNH KON TUM"

    def test_other_files_travel_zipped_and_come_back_identical(self) -> None:
        """A .png is sent as application/zip and unzipped on receipt, byte-identical."""
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
        message = make_message(attachments=(Attachment("so-do.png", "image/png", png),))
        xml = build_document(to_edxml(message, now=NOW))
        assert text(xml, "e:edXMLEnvelope/e:edXMLBody/e:edXMLManifest/e:Reference/"
                         "e:ContentType") == "application/zip"
        [got] = parse_document(xml).attachments
        assert (got.name, got.mime, sha(got.content)) == ("so-do.png", "image/png", sha(png))

    def test_unnumbered_document_is_refused(self) -> None:
        """A message without a number cannot become an edXML package."""
        with pytest.raises(PermanentDeliveryError, match="số"):
            to_edxml(make_message(number=""))

    def test_recipient_without_organ_id_is_permanent(self) -> None:
        """edXML needs the recipient's OrganId; without it the delivery is dead."""
        with pytest.raises(PermanentDeliveryError, match="OrganId"):
            to_edxml(make_message(recipient=Party("Xã A", "a@b.vn")))


def _doc(**changes: object) -> EdxmlDocument:
    return replace(to_edxml(make_message(response_for="000.00.00.G01,2022/10/01,22/HD-BCA-V05"),
                            now=NOW), **changes)  # type: ignore[arg-type]


class TestRoundTrip:
    def test_document_round_trips_with_identical_files(self) -> None:
        """Parsing a built package gives back the same model; files hash the same."""
        model = _doc()
        parsed = parse_document(build_document(model))
        assert parsed == model
        assert [sha(a.content) for a in parsed.attachments] == [sha(PDF), sha(DOCX)]
        assert parsed.response_for[0].key == key("000.00.00.G01,2022/10/01,22/HD-BCA-V05")

    @pytest.mark.parametrize("business", [
        Business(BusinessType.REVOKE, "Sai thẩm quyền", "000.00.00.H34,2022/11/07,4267/BCĐ-NC"),
        Business(BusinessType.UPDATE, "Đính chính ngày", "000.00.00.H34,2022/11/07,4267/BCĐ-NC",
                 staff=StaffInfo("Văn phòng", "Lê Thị C", "0912", "c@x.vn")),
        Business(BusinessType.REPLACE, "Thay thế", replacements=(
            Replacement("000.00.00.H34,2022/11/07,4267/BCĐ-NC", ("000.01.34.H34",)),)),
    ])
    def test_revoke_update_replace_round_trip(self, business: Business) -> None:
        """BussinessDocType, its reason, the concerned DocumentId and replacements survive."""
        model = _doc(business=business)
        assert parse_document(build_document(model)).business == business

    def test_revocation_from_a_message_carries_no_files(self) -> None:
        """A revocation names the document and the reason; it does not resend the files."""
        model = to_edxml(make_message(business="1", business_reason="Sai thẩm quyền",
                                      replaces=("000.00.00.H34,2022/11/07,4267/BCĐ-NC",)),
                         now=NOW)
        parsed = parse_document(build_document(model))
        assert parsed.business.doc_type is BusinessType.REVOKE
        assert parsed.business.document_id == "000.00.00.H34,2022/11/07,4267/BCĐ-NC"
        assert parsed.attachments == ()

    def test_status_round_trips(self) -> None:
        """A Status message survives build and parse; its fields sit in MessageHeader."""
        status = StatusMessage(
            ResponseFor.of(key("000.00.00.H34,2022/11/07,4267/BCĐ-NC")),
            Organ("000.01.34.H34", "Công an huyện Đăk Hà"), "03", NOW, "Đã vào sổ",
            StaffInfo("Văn thư", "Trần Thị B", "0912", "b@x.vn"),
        )
        xml = build_status(status)
        h = "e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/"
        assert text(xml, h + "e:StatusCode") == "03"
        assert text(xml, h + "e:ResponseFor/e:PromulgationDate") == "2022/11/07"
        assert text(xml, h + "e:ResponseFor/e:Code") == "4267/BCĐ-NC"
        assert etree.fromstring(xml).find(".//e:Status", E) is None
        assert parse_status(xml) == status

    def test_parse_tells_document_from_status(self) -> None:
        """parse() returns a StatusMessage for a status and refuses the wrong kind when asked."""
        status = StatusMessage(ResponseFor.of(key("1,2022/01/01,1/A")), Organ("1", "A"), "01",
                               NOW)
        assert isinstance(parse(build_status(status)), StatusMessage)
        with pytest.raises(EdxmlError):
            parse_document(build_status(status))
        with pytest.raises(EdxmlError):
            parse_status(build_document(_doc()))

    def test_two_years_same_number_are_two_documents(self) -> None:
        """01/BCĐ-NC of 2022 and of 2023 have different DocumentIds and keys."""
        a = _doc(code_number="01", issued_date=date(2022, 1, 5))
        b = _doc(code_number="01", issued_date=date(2023, 1, 5))
        assert parse_document(build_document(a)).key != parse_document(build_document(b)).key
        assert str(a.key) == "000.00.00.H34,2022/01/05,01/BCĐ-NC"


class TestPublicSampleShapes:
    def test_new_document(self) -> None:
        """A deployed sender's document: fields, PDF as is, zipped .doc unzipped, hashes."""
        parsed = read(FIXTURES / "document_new.edxml")
        doc = parsed.message
        assert isinstance(doc, EdxmlDocument)
        assert parsed.signed and parsed.warnings == ()
        assert doc.key == key("000.00.00.G12,2025/10/13,2440/BTC-VP")
        assert doc.recipients[0].name.endswith("TỈNH KON TUM")
        assert (doc.page_amount, doc.promulgation_amount, doc.priority) == (2, 5, "1")
        assert doc.appendixes == ("Phụ lục danh sách",) and doc.response_for == ()
        assert doc.business.doc_type is BusinessType.NEW
        assert doc.business.staff.staff == "Nguyễn Bích Loan"
        assert len(doc.trace) == 2 and doc.trace[1].organ_id == ""
        pdf, word = doc.attachments
        assert pdf.name == "CV 2440 gửi Kon Tum_Approved.pdf"
        assert sha(pdf.content) == sha((FIXTURES / "attachment.pdf").read_bytes())
        assert word.name == "CV 2440 gửi Kon Tum.doc" and word.mime == "application/msword"
        assert sha(word.content) == sha((FIXTURES / "attachment.doc").read_bytes())

    def test_stray_text_before_declaration_is_skipped_with_a_warning(self) -> None:
        """``1212<?xml …`` (seen in a public sample) is read, the stray bytes reported."""
        parsed = read(FIXTURES / "document_stray_prefix.edxml")
        assert parsed.message == read(FIXTURES / "document_new.edxml").message
        assert parsed.warnings and "1212" in parsed.warnings[0]

    def test_undeclared_prefix_is_read_as_edxml(self) -> None:
        """An ``edXML:`` prefix that was never declared is read as the edXML namespace."""
        parsed = read(FIXTURES / "document_undeclared_prefix.edxml")
        assert parsed.message == read(FIXTURES / "document_new.edxml").message

    def test_revocation(self) -> None:
        """BussinessDocType 1 names the revoked document and the reason."""
        doc = parse_document(FIXTURES / "document_revoke.edxml")
        assert doc.business.doc_type is BusinessType.REVOKE
        assert doc.business.reason == "Thu hồi do ban hành sai thẩm quyền"
        assert key(doc.business.document_id) == key("000.00.00.G12,2025/10/13,2440/BTC-VP")

    def test_update_and_replacement(self) -> None:
        """BussinessDocType 2 names the updated document; 3 lists ReplacementInfo."""
        update = parse_document(FIXTURES / "document_update.edxml")
        assert update.business.doc_type is BusinessType.UPDATE
        assert update.key == key("000.00.00.G12,2025/10/14,2441/BTC-VP")
        replace_ = parse_document(FIXTURES / "document_replace.edxml")
        assert replace_.business.doc_type is BusinessType.REPLACE
        assert replace_.business.replacements == (Replacement(
            "000.00.00.G12,2025/10/13,2440/BTC-VP", ("000.00.00.Z18",)),)

    @pytest.mark.parametrize("code", ["01", "02", "03", "04", "05", "06", "13", "15", "16"])
    def test_status_codes(self, code: str) -> None:
        """Each status kind of the public samples is read with its full ResponseFor."""
        data = (FIXTURES / "status.edxml").read_bytes().replace(
            b"<edXML:StatusCode>01<", f"<edXML:StatusCode>{code}<".encode())
        status = parse_status(data)
        assert status.status_code == code
        assert status.response_for.key == key("000.00.00.Z18,2023/01/05,01/BCĐ-NC")
        assert status.response_for.promulgation_date == date(2023, 1, 5)
        assert status.sender.organ_id == "000.00.00.Z19"
        assert status.staff == StaffInfo("Văn thư", "Y Thị Hoa", "0912000001",
                                         "vanthu@dakglei.example")
        assert status.timestamp == datetime(2023, 1, 5, 14, 20)


def _with_attachments(*items: tuple[str, str, bytes], manifest: list[str] | None = None
                      ) -> bytes:
    """A document whose AttachmentEncoded holds ``items`` (content id, name, raw bytes)."""
    root = etree.fromstring(build_document(_doc(attachments=())))
    body = root.find("e:edXMLEnvelope/e:edXMLBody/e:edXMLManifest", E)
    encoded = root.find("e:AttachmentEncoded", E)
    assert body is not None and encoded is not None
    for cid in manifest if manifest is not None else [i[0] for i in items]:
        name = next((n for c, n, _ in items if c == cid), "thieu.pdf")
        ref = etree.SubElement(body, f"{{{NS}}}Reference")
        etree.SubElement(ref, f"{{{NS}}}ContentId").text = cid
        etree.SubElement(ref, f"{{{NS}}}ContentType").text = "application/zip"
        etree.SubElement(ref, f"{{{NS}}}AttachmentName").text = name
    for cid, name, data in items:
        att = etree.SubElement(encoded, f"{{{NS}}}Attachment")
        etree.SubElement(att, f"{{{NS}}}ContentId").text = cid
        etree.SubElement(att, f"{{{NS}}}AttachmentName").text = name
        etree.SubElement(att, f"{{{NS}}}ContentTransferEncoded").text = \
            base64.b64encode(data).decode()
    return bytes(etree.tostring(root))


def _zip(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


class TestBadInput:
    def test_entity_expansion_is_refused(self) -> None:
        """A billion-laughs DOCTYPE is refused, not expanded."""
        bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
                b'<edXML xmlns="' + NS.encode() + b'">&lol2;</edXML>')
        with pytest.raises(EdxmlError, match="DOCTYPE"):
            parse(bomb)

    def test_external_entity_is_refused(self) -> None:
        """An external entity (file or network) is never fetched."""
        xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               b'<edXML xmlns="' + NS.encode() + b'"><edXMLEnvelope>&e;</edXMLEnvelope></edXML>')
        with pytest.raises(EdxmlError, match="DOCTYPE"):
            parse(xxe)

    def test_undefined_entity_is_refused(self) -> None:
        """An entity reference without a DTD is a syntax error, not an empty string."""
        with pytest.raises(EdxmlError, match="cú pháp"):
            parse(b'<edXML xmlns="' + NS.encode() + b'">&e;</edXML>')

    def test_depth_bomb_is_refused(self) -> None:
        """Ten thousand nested elements stop at the depth bound."""
        bomb = b'<edXML xmlns="' + NS.encode() + b'">' + b"<a>" * 10_000 + b"</a>" * 10_000 \
            + b"</edXML>"
        with pytest.raises(EdxmlError, match="lồng quá"):
            parse(bomb)

    def test_zip_bomb_is_refused(self) -> None:
        """A zipped attachment that inflates past the ratio bound is refused."""
        bomb = _zip("to-trinh.pdf", b"\0" * (20 * 1024 * 1024))
        data = _with_attachments(("cid:1", "to-trinh.pdf", bomb))
        with pytest.raises(EdxmlError, match="bom zip"):
            parse(data)

    def test_oversized_attachment_is_refused_while_streaming(self) -> None:
        """An attachment past the size bound stops the read (it is never held whole)."""
        data = _with_attachments(("cid:1", "a.pdf", b"%PDF" + b"x" * 300_000))
        with pytest.raises(EdxmlError, match="vượt"):
            read(data, limits=Limits(max_file=100_000))

    def test_zip_with_several_members_is_refused(self) -> None:
        """An archive standing for one .doc must hold exactly one file."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("a.doc", b"a")
            archive.writestr("b.doc", b"b")
        with pytest.raises(EdxmlError, match="đúng một tệp"):
            parse(_with_attachments(("cid:1", "a.doc", buffer.getvalue())))

    @pytest.mark.parametrize("name", ["../../etc/passwd", "thư/mục.pdf", "C:\\boot.ini",
                                      ".bashrc", "a\tb.pdf", "ệ" * 100 + ".pdf"])
    def test_traversal_names_are_refused(self, name: str) -> None:
        """An AttachmentName that could leave its folder (or hide) is refused."""
        data = _with_attachments(("cid:1", name, b"%PDF-1.4"))
        with pytest.raises(EdxmlError, match="không hợp lệ"):
            parse(data)

    def test_duplicate_content_ids_are_refused(self) -> None:
        """Two attachments with the same ContentId are refused (which is which?)."""
        data = _with_attachments(("cid:1", "a.pdf", b"%PDF-a"), ("cid:1", "b.pdf", b"%PDF-b"),
                                 manifest=["cid:1"])
        with pytest.raises(EdxmlError, match="lặp lại"):
            parse(data)

    def test_missing_attachment_is_refused(self) -> None:
        """A manifest Reference without its Attachment is refused, naming it."""
        data = _with_attachments(("cid:1", "a.pdf", b"%PDF-a"), manifest=["cid:1", "cid:2"])
        with pytest.raises(EdxmlError, match="cid:2|2"):
            parse(data)

    def test_bad_base64_is_refused(self) -> None:
        """Attachment content that is not base64 is refused."""
        data = _with_attachments(("cid:1", "a.pdf", b"x")).replace(
            base64.b64encode(b"x"), b"@@@@")
        with pytest.raises(EdxmlError, match="base64"):
            parse(data)

    def test_foreign_dialect_and_old_root_are_named(self) -> None:
        """Another dialect, or a bare envelope as root, is refused naming the expected root."""
        with pytest.raises(EdxmlError, match="phần tử gốc edXML"):
            parse(b'<eDoc xmlns="http://www.go.vn/eDoc"/>')
        with pytest.raises(EdxmlError, match="phần tử gốc edXML"):
            parse(b'<edXMLEnvelope xmlns="' + NS.encode() + b'"/>')

    def test_missing_required_field_is_named(self) -> None:
        """A document without a Subject is refused naming the field."""
        root = etree.fromstring(build_document(_doc()))
        subject = root.find("e:edXMLEnvelope/e:edXMLHeader/e:MessageHeader/e:Subject", E)
        assert subject is not None
        subject.text = ""
        with pytest.raises(EdxmlError, match="Subject"):
            parse(etree.tostring(root))

    def test_status_without_document_id_is_refused(self) -> None:
        """A Status that does not say which document (with its date) is refused."""
        data = (FIXTURES / "status.edxml").read_bytes().replace(
            b"000.00.00.Z18,2023/01/05,01/BC", b"abc")
        data = data.replace(b"<edXML:PromulgationDate>2023/01/05</edXML:PromulgationDate>", b"")
        with pytest.raises(EdxmlError, match="DocumentId"):
            parse(data)


class TestLargeAttachment:
    def test_fifty_megabytes_parse_without_the_text_node_limit(self, tmp_path: Path) -> None:
        """A 50 MB attachment (67 MB of base64, past libxml2's 10 MB text-node limit) is read
        from a file byte-identical, the peak of Python allocations about one decoded copy."""
        content = b"%PDF-1.7\n" + bytes(range(256)) * (50 * 4096)
        path = tmp_path / "lon.edxml"
        path.write_bytes(build_document(_doc(attachments=(
            EdxmlAttachment("lon.pdf", "application/pdf", content, content_id="cid:1"),))))
        tracemalloc.start()
        try:
            doc = parse_document(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert sha(doc.attachments[0].content) == sha(content)
        assert peak < 1.6 * len(content)


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

    def test_status_message_is_built_from_its_fields(self) -> None:
        """A status delivery's fields become a Status message with the full ResponseFor."""
        message = make_message(status={
            "code": "03", "description": "Đã vào sổ",
            "document_id": "000.00.00.G12,2025/10/13,2440/BTC-VP",
            "from_organ_id": "000.00.00.Z18", "from_name": "BAN CHỈ ĐẠO … TỈNH KON TUM",
            "timestamp": "2025-10-13T15:00:00+07:00", "staff": "Văn thư"})
        status = parse_status(package(message, signer=None))
        assert status.response_for.key == key("000.00.00.G12,2025/10/13,2440/BTC-VP")
        assert (status.status_code, status.timestamp) == ("03", datetime(2025, 10, 13, 15, 0))
