"""Build edXML (QCVN 102:2016 dialect) from the model.

Element names follow EDXML.md; the attachments travel base64-encoded in
``AttachmentEncoded`` and are listed in the ``edXMLManifest``.
"""

from __future__ import annotations

import base64
from datetime import date, datetime

from lxml import etree

from outbox.edxml.model import EdxmlDocument, Organ, StatusMessage

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
NSMAP = {"edXML": NS}


def q(name: str) -> str:
    """The qualified name of an edXML element."""
    return f"{{{NS}}}{name}"


def edxml_date(value: date) -> str:
    """``YYYY/MM/DD``."""
    return value.strftime("%Y/%m/%d")


def edxml_time(value: datetime) -> str:
    """``YYYY/MM/DD HH:MM:SS``."""
    return value.strftime("%Y/%m/%d %H:%M:%S")


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, q(name))
    if text is not None:
        element.text = text
    return element


def _organ(parent: etree._Element, name: str, organ: Organ) -> None:
    element = _add(parent, name)
    for tag, value in (
        ("OrganId", organ.organ_id),
        ("OrganizationInCharge", organ.in_charge),
        ("OrganName", organ.name),
        ("OrganAdd", organ.address),
        ("Email", organ.email),
        ("Telephone", organ.telephone),
        ("Fax", organ.fax),
        ("Website", organ.website),
    ):
        _add(element, tag, value)


def _message_header(parent: etree._Element, doc: EdxmlDocument) -> None:
    header = _add(parent, "MessageHeader")
    _organ(header, "From", doc.sender)
    for recipient in doc.recipients:
        _organ(header, "To", recipient)
    _add(header, "DocumentId", doc.document_id)
    code = _add(header, "Code")
    _add(code, "CodeNumber", doc.code_number)
    _add(code, "CodeNotation", doc.code_notation)
    promulgation = _add(header, "PromulgationInfo")
    _add(promulgation, "Place", doc.place)
    _add(promulgation, "PromulgationDate", edxml_date(doc.issued_date))
    doc_type = _add(header, "DocumentType")
    _add(doc_type, "Type", doc.type_code)
    _add(doc_type, "TypeDetail", doc.type_detail)
    _add(doc_type, "TypeName", doc.type_name)
    _add(header, "Subject", doc.subject)
    _add(header, "Content", doc.content)
    signer = _add(header, "SignerInfo")
    _add(signer, "Competence", doc.signer_competence)
    _add(signer, "Position", doc.signer_position)
    _add(signer, "FullName", doc.signer_full_name)
    if doc.due_date is not None:
        _add(header, "DueDate", edxml_date(doc.due_date))
    places = _add(header, "ToPlaces")
    for place in doc.to_places:
        _add(places, "Place", place)
    other = _add(header, "OtherInfo")
    _add(other, "Priority", doc.priority)
    _add(other, "PageAmount", "0")
    if doc.response_for:
        _add(_add(header, "ResponseFor"), "DocumentId", doc.response_for)


def _trace(parent: etree._Element, doc: EdxmlDocument) -> None:
    traces = _add(parent, "TraceHeaderList")
    for hop in doc.trace:
        trace = _add(traces, "TraceHeader")
        _add(trace, "OrganId", hop.organ_id)
        _add(trace, "Timestamp", edxml_time(hop.timestamp))
    business = _add(traces, "Bussiness")
    _add(business, "BussinessDocType", doc.business_doc_type)


def build_document(doc: EdxmlDocument) -> bytes:
    """The edXML envelope of a document, attachments included, as UTF-8 bytes."""
    envelope = etree.Element(q("edXMLEnvelope"), nsmap=NSMAP)
    header = _add(envelope, "edXMLHeader")
    _message_header(header, doc)
    _trace(header, doc)
    manifest = _add(_add(envelope, "edXMLBody"), "edXMLManifest")
    encoded = _add(envelope, "AttachmentEncoded")
    for index, attachment in enumerate(doc.attachments, start=1):
        content_id = f"attachment{index}"
        reference = _add(manifest, "Reference")
        reference.set("ContentId", content_id)
        _add(reference, "AttachmentName", attachment.name)
        _add(reference, "ContentType", attachment.mime)
        _add(reference, "Description", attachment.description)
        item = _add(encoded, "Attachment")
        item.set("ContentId", content_id)
        _add(item, "ContentTransferEncoded", base64.b64encode(attachment.content).decode("ascii"))
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def build_status(status: StatusMessage) -> bytes:
    """The edXML envelope of a Status message (a receipt), as UTF-8 bytes."""
    envelope = etree.Element(q("edXMLEnvelope"), nsmap=NSMAP)
    element = _add(_add(envelope, "edXMLHeader"), "Status")
    _add(_add(element, "ResponseFor"), "DocumentId", status.response_for)
    _organ(element, "From", status.sender)
    staff = _add(element, "StaffInfo")
    _add(staff, "Department", status.staff_department)
    _add(staff, "Staff", status.staff_name)
    _add(staff, "Mobile", status.staff_phone)
    _add(staff, "Email", status.staff_email)
    _add(element, "StatusCode", status.status_code)
    _add(element, "Description", status.description)
    _add(element, "Timestamp", edxml_time(status.timestamp))
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))
