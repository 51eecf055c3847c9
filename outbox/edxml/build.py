"""Build edXML messages (QCVN 102:2016 dialect, as the national axis exchanges them).

Layout (the root is ``edXML``; the attachments sit beside the envelope)::

    edXML                                  xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"
    ├─ edXML:edXMLEnvelope
    │  ├─ edXML:edXMLHeader
    │  │  ├─ edXML:MessageHeader           document metadata, or a status's fields
    │  │  ├─ edXML:TraceHeaderList         TraceHeader per hop, then Bussiness
    │  │  └─ ds:Signature                  XML-DSig of the whole message (when signed)
    │  └─ edXML:edXMLBody/edXML:edXMLManifest/edXML:Reference (ContentId, ContentType, …)
    └─ AttachmentEncoded/Attachment (ContentId, AttachmentName, …, ContentTransferEncoded)

Element names and order follow the public sample messages of deployed systems.
Signing is injected: any :class:`EnvelopeSigner` (``signing.xmldsig`` provides one
for a .p12 file or a PKCS#11 token) fills the Signature.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date, datetime
from typing import Protocol

from lxml import etree

from outbox.edxml.attachments import pack
from outbox.edxml.model import (
    Business,
    EdxmlAttachment,
    EdxmlDocument,
    Organ,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    TraceHeader,
)

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
PREFIX = "edXML"


class EnvelopeSigner(Protocol):
    """Signs a whole message: computes the enveloped XML-DSig of ``root`` and appends the
    ``ds:Signature`` element to ``parent`` (the edXMLHeader)."""

    def sign(self, root: etree._Element, parent: etree._Element) -> None:
        """Append the Signature of ``root`` to ``parent``."""
        ...


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


def _staff(parent: etree._Element, staff: StaffInfo, *, mobile_first: bool) -> None:
    element = _add(parent, "StaffInfo")
    _add(element, "Department", staff.department)
    _add(element, "Staff", staff.staff)
    pairs = (("Mobile", staff.mobile), ("Email", staff.email))
    for tag, value in pairs if mobile_first else reversed(pairs):
        _add(element, tag, value)


def _response_for(parent: etree._Element, response: ResponseFor) -> None:
    element = _add(parent, "ResponseFor")
    _add(element, "OrganId", response.organ_id)
    _add(element, "Code", response.code)
    _add(element, "PromulgationDate",
         edxml_date(response.promulgation_date) if response.promulgation_date else "")
    _add(element, "DocumentId", response.document_id)


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
    other = _add(header, "OtherInfo")
    _add(other, "Priority", doc.priority)
    _add(other, "SphereOfPromulgation", doc.sphere)
    _add(other, "TyperNotation", doc.typer_notation)
    _add(other, "PromulgationAmount", str(doc.promulgation_amount))
    _add(other, "PageAmount", str(doc.page_amount))
    _add(other, "Direction", "false")
    appendixes = _add(other, "Appendixes")
    for appendix in doc.appendixes:
        _add(appendixes, "Appendix", appendix)
    for response in doc.response_for:
        _response_for(header, response)
    _add(header, "SteeringType", doc.steering_type)
    places = _add(header, "ToPlaces")
    for place in doc.to_places:
        _add(places, "Place", place)


def _trace(parent: etree._Element, trace: Iterable[TraceHeader],
           business: Business | None) -> None:
    traces = _add(parent, "TraceHeaderList")
    for hop in trace:
        element = _add(traces, "TraceHeader")
        _add(element, "OrganId", hop.organ_id)
        _add(element, "Timestamp", edxml_time(hop.timestamp))
    if business is None:
        return
    element = _add(traces, "Bussiness")
    if business.document_id:
        _add(element, "DocumentId", business.document_id)
    _add(element, "BussinessDocType", business.doc_type.value)
    _add(element, "BussinessDocReason", business.reason)
    _add(element, "Paper", business.paper)
    if business.staff:
        _staff(element, business.staff, mobile_first=False)
    if business.replacements:
        replacements = _add(element, "ReplacementInfoList")
        for replacement in business.replacements:
            info = _add(replacements, "ReplacementInfo")
            _add(info, "DocumentId", replacement.document_id)
            organs = _add(info, "OrganIdList")
            for organ_id in replacement.organ_ids:
                _add(organs, "OrganId", organ_id)


def _envelope() -> tuple[etree._Element, etree._Element, etree._Element]:
    root = etree.Element(q("edXML"), nsmap={None: NS})
    envelope = etree.SubElement(root, q("edXMLEnvelope"), nsmap={PREFIX: NS})
    return root, envelope, _add(envelope, "edXMLHeader")


def content_ids(attachments: Iterable[EdxmlAttachment]) -> list[str]:
    """The ContentId of each attachment: its own, else ``cid:<n>``."""
    return [a.content_id or f"cid:{n}" for n, a in enumerate(attachments, start=1)]


def document_tree(doc: EdxmlDocument) -> etree._Element:
    """The unsigned message tree of a document (attachments included)."""
    root, envelope, header = _envelope()
    _message_header(header, doc)
    _trace(header, doc.trace, doc.business)
    manifest = _add(_add(envelope, "edXMLBody"), "edXMLManifest")
    manifest.set("version", "1.0")
    encoded = _add(root, "AttachmentEncoded")
    for content_id, attachment in zip(content_ids(doc.attachments), doc.attachments, strict=True):
        mime, content = pack(attachment)
        reference = _add(manifest, "Reference")
        _add(reference, "ContentId", content_id)
        _add(reference, "ContentType", mime)
        _add(reference, "Description", attachment.description)
        _add(reference, "AttachmentName", attachment.name)
        item = _add(encoded, "Attachment")
        _add(item, "ContentId", content_id)
        _add(item, "AttachmentName", attachment.name)
        _add(item, "Description", attachment.description)
        _add(item, "ContentType", mime)
        data = etree.SubElement(item, q("ContentTransferEncoded"), nsmap={PREFIX: NS})
        data.text = base64.b64encode(content).decode("ascii")
    return root


def status_tree(status: StatusMessage) -> etree._Element:
    """The unsigned message tree of a Status message (fields in edXMLHeader/MessageHeader)."""
    root, _envelope_element, header = _envelope()
    message = _add(header, "MessageHeader")
    _response_for(message, status.response_for)
    _organ(message, "From", status.sender)
    _staff(message, status.staff, mobile_first=True)
    _add(message, "StatusCode", status.status_code)
    _add(message, "Description", status.description)
    _add(message, "Timestamp", edxml_time(status.timestamp))
    _trace(header, (TraceHeader(status.sender.organ_id, status.timestamp),), None)
    return root


def serialize(root: etree._Element, signer: EnvelopeSigner | None = None) -> bytes:
    """UTF-8 bytes with an XML declaration; signed into edXMLHeader when a signer is given."""
    if signer is not None:
        header = root.find(f"{q('edXMLEnvelope')}/{q('edXMLHeader')}")
        if header is None:  # pragma: no cover - our own trees always have one
            raise ValueError("edXMLHeader missing")
        signer.sign(root, header)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def build_document(doc: EdxmlDocument, *, signer: EnvelopeSigner | None = None) -> bytes:
    """The edXML message of a document, attachments included, as UTF-8 bytes."""
    return serialize(document_tree(doc), signer)


def build_status(status: StatusMessage, *, signer: EnvelopeSigner | None = None) -> bytes:
    """The edXML Status message (a receipt), as UTF-8 bytes."""
    return serialize(status_tree(status), signer)
