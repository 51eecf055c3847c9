"""Parse incoming edXML documents and Status messages, safely.

The parser never expands entities, never loads a DTD and never touches the
network; a document that declares a DOCTYPE at all is refused (that is where
entity bombs and external entities live), as defusedxml would.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from datetime import date, datetime

from lxml import etree

from outbox.edxml.build import NS
from outbox.edxml.model import EdxmlAttachment, EdxmlDocument, Organ, StatusMessage, TraceHeader
from outbox.errors import EdxmlError


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True, remove_pis=True,
    )


def load(data: bytes) -> etree._Element:
    """Parse bytes into the envelope element, refusing DTDs and foreign dialects."""
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise EdxmlError(f"Tệp edXML không đúng cú pháp XML: {error}") from error
    if root.getroottree().docinfo.doctype:
        raise EdxmlError("Tệp edXML có khai báo DOCTYPE/ENTITY; từ chối vì lý do an toàn.")
    namespace = etree.QName(root).namespace
    if namespace not in (NS, None) or etree.QName(root).localname != "edXMLEnvelope":
        raise EdxmlError(
            f"Không nhận dạng được gói edXML (phần tử gốc {root.tag}); cần edXMLEnvelope "
            f"thuộc namespace {NS}."
        )
    return root


class _Reader:
    """Finds children of the envelope whether or not the sender used the namespace."""

    def __init__(self, root: etree._Element) -> None:
        self.prefix = f"{{{NS}}}" if etree.QName(root).namespace else ""

    def path(self, path: str) -> str:
        return "/".join(self.prefix + part for part in path.split("/"))

    def find(self, element: etree._Element, path: str) -> etree._Element | None:
        return element.find(self.path(path))

    def findall(self, element: etree._Element, path: str) -> list[etree._Element]:
        return list(element.findall(self.path(path)))

    def text(self, element: etree._Element, path: str, *, required: bool = False) -> str:
        found = self.find(element, path)
        value = (found.text or "").strip() if found is not None else ""
        if required and not value:
            raise EdxmlError(f"Gói edXML thiếu trường bắt buộc {path}.")
        return unicodedata.normalize("NFC", value)


def _date(value: str, field: str) -> date:
    try:
        return datetime.strptime(value.replace("-", "/"), "%Y/%m/%d").date()
    except ValueError:
        raise EdxmlError(f"Trường {field} «{value}» không phải ngày dạng YYYY/MM/DD.") from None


def _time(value: str, field: str) -> datetime:
    for layout in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, layout)
        except ValueError:
            continue
    raise EdxmlError(f"Trường {field} «{value}» không phải thời điểm YYYY/MM/DD HH:MM:SS.")


def _organ(r: _Reader, element: etree._Element) -> Organ:
    return Organ(
        organ_id=r.text(element, "OrganId", required=True),
        name=r.text(element, "OrganName"),
        in_charge=r.text(element, "OrganizationInCharge"),
        address=r.text(element, "OrganAdd"),
        email=r.text(element, "Email"),
        telephone=r.text(element, "Telephone"),
        fax=r.text(element, "Fax"),
        website=r.text(element, "Website"),
    )


def _attachments(r: _Reader, root: etree._Element) -> tuple[EdxmlAttachment, ...]:
    contents: dict[str, bytes] = {}
    for item in r.findall(root, "AttachmentEncoded/Attachment"):
        try:
            contents[item.get("ContentId", "")] = base64.b64decode(
                r.text(item, "ContentTransferEncoded"), validate=True
            )
        except binascii.Error as error:
            raise EdxmlError(f"Tệp đính kèm {item.get('ContentId')} không phải base64.") from error
    result = []
    for reference in r.findall(root, "edXMLBody/edXMLManifest/Reference"):
        content_id = reference.get("ContentId", "")
        if content_id not in contents:
            raise EdxmlError(f"Danh mục edXML nêu tệp {content_id} nhưng gói không chứa tệp này.")
        result.append(EdxmlAttachment(
            name=r.text(reference, "AttachmentName", required=True),
            mime=r.text(reference, "ContentType") or "application/octet-stream",
            content=contents[content_id],
            description=r.text(reference, "Description"),
        ))
    return tuple(result)


def _document(r: _Reader, root: etree._Element, header: etree._Element) -> EdxmlDocument:
    sender = r.find(header, "From")
    if sender is None:
        raise EdxmlError("Gói edXML thiếu trường bắt buộc From.")
    due = r.text(header, "DueDate")
    traces = r.find(root, "edXMLHeader/TraceHeaderList")
    trace: tuple[TraceHeader, ...] = ()
    business = "0"
    if traces is not None:
        trace = tuple(
            TraceHeader(r.text(t, "OrganId"), _time(r.text(t, "Timestamp"), "Timestamp"))
            for t in r.findall(traces, "TraceHeader")
        )
        business = r.text(traces, "Bussiness/BussinessDocType") or "0"
    return EdxmlDocument(
        sender=_organ(r, sender),
        recipients=tuple(_organ(r, to) for to in r.findall(header, "To")),
        code_number=r.text(header, "Code/CodeNumber", required=True),
        code_notation=r.text(header, "Code/CodeNotation", required=True),
        issued_date=_date(
            r.text(header, "PromulgationInfo/PromulgationDate", required=True), "PromulgationDate"
        ),
        place=r.text(header, "PromulgationInfo/Place"),
        type_code=r.text(header, "DocumentType/Type"),
        type_detail=r.text(header, "DocumentType/TypeDetail"),
        type_name=r.text(header, "DocumentType/TypeName"),
        subject=r.text(header, "Subject", required=True),
        content=r.text(header, "Content"),
        signer_competence=r.text(header, "SignerInfo/Competence"),
        signer_position=r.text(header, "SignerInfo/Position"),
        signer_full_name=r.text(header, "SignerInfo/FullName"),
        due_date=_date(due, "DueDate") if due else None,
        to_places=tuple(
            unicodedata.normalize("NFC", (p.text or "").strip())
            for p in r.findall(header, "ToPlaces/Place")
        ),
        priority=r.text(header, "OtherInfo/Priority") or "0",
        response_for=r.text(header, "ResponseFor/DocumentId") or None,
        business_doc_type=business,
        trace=trace,
        attachments=_attachments(r, root),
    )


def _status(r: _Reader, element: etree._Element) -> StatusMessage:
    sender = r.find(element, "From")
    if sender is None:
        raise EdxmlError("Thông điệp trạng thái edXML thiếu trường bắt buộc From.")
    return StatusMessage(
        response_for=r.text(element, "ResponseFor/DocumentId", required=True),
        sender=_organ(r, sender),
        status_code=r.text(element, "StatusCode", required=True).zfill(2),
        timestamp=_time(r.text(element, "Timestamp", required=True), "Timestamp"),
        description=r.text(element, "Description"),
        staff_department=r.text(element, "StaffInfo/Department"),
        staff_name=r.text(element, "StaffInfo/Staff"),
        staff_phone=r.text(element, "StaffInfo/Mobile"),
        staff_email=r.text(element, "StaffInfo/Email"),
    )


def parse(data: bytes) -> EdxmlDocument | StatusMessage:
    """Parse an edXML document or Status message."""
    root = load(data)
    r = _Reader(root)
    status = r.find(root, "edXMLHeader/Status")
    if status is not None:
        return _status(r, status)
    header = r.find(root, "edXMLHeader/MessageHeader")
    if header is None:
        raise EdxmlError("Gói edXML không có MessageHeader hay Status.")
    return _document(r, root, header)


def parse_document(data: bytes) -> EdxmlDocument:
    """Parse an edXML document; a Status message here is an error."""
    result = parse(data)
    if not isinstance(result, EdxmlDocument):
        raise EdxmlError("Đây là thông điệp trạng thái, không phải văn bản edXML.")
    return result


def parse_status(data: bytes) -> StatusMessage:
    """Parse an edXML Status message; a document here is an error."""
    result = parse(data)
    if not isinstance(result, StatusMessage):
        raise EdxmlError("Đây là văn bản edXML, không phải thông điệp trạng thái.")
    return result
