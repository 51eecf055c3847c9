"""The Appendix VI metadata of a file (11 fields) and of each document in it (16 for an outgoing
document, 18 for an incoming one), as XML for the handover package.

Element names are Appendix VI's own (FileCode, Title, Maintenance, …; DocOrdinal, TypeName,
CodeNumber, …). Values are cut to the lengths the appendix gives; dates are ISO (yyyy-mm-dd).
Priority follows the edXML code list (0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc), since the
Decree gives none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from lxml import etree

from registry.doctypes import get_type
from registry.models import CaseFile, CaseFileDocument, Document, HandlingAssignment, Organization

FILE_FIELDS = ("FileCode", "Title", "Maintenance", "Rights", "Creator", "Language", "StartDate",
               "EndDate", "DocTotal", "PageTotal", "Description")
COMMON_FIELDS = ("FileCode", "DocOrdinal", "TypeName", "CodeNumber", "CodeNotation",
                 "IssuedDate", "OrganName", "Subject", "Language", "PageAmount", "Description",
                 "SignerInfo")
OUTGOING_FIELDS = (*COMMON_FIELDS, "To", "Priority", "IssuedAmount", "DueDate")
INCOMING_FIELDS = (*COMMON_FIELDS, "Priority", "ArrivalDate", "ArrivalNumber", "ToPlaces",
                   "TraceHeaderList", "DueDate")
PRIORITY = {None: "0", "KHẨN": "1", "THƯỢNG KHẨN": "2", "HỎA TỐC": "3", "HOẢ TỐC": "3"}


def _cut(value: object, length: int) -> str:
    text = "" if value is None else str(value)
    return text[:length]


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def _add(parent: etree._Element, name: str, value: object = None, length: int = 500
         ) -> etree._Element:
    element = etree.SubElement(parent, name)
    if value is not None:
        element.text = _cut(value, length)
    return element


def retention_text(case_file: CaseFile) -> str:
    """Maintenance as printed: "Vĩnh viễn" or "10 năm"."""
    return "Vĩnh viễn" if case_file.permanent else f"{case_file.retention_years} năm"


def _file_code(parent: etree._Element, case_file: CaseFile) -> None:
    code = _add(parent, "FileCode")
    _add(code, "OrganId", case_file.organization.edxml_id or case_file.organization.code, 13)
    _add(code, "FileCatalog", case_file.year, 4)
    _add(code, "FileNotation", case_file.code, 20)


def _bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))


def file_xml(case_file: CaseFile) -> bytes:
    """The file's 11 fields."""
    root = etree.Element("HoSo")
    _file_code(root, case_file)
    _add(root, "Title", case_file.title, 1000)
    _add(root, "Maintenance", retention_text(case_file), 30)
    _add(root, "Rights", case_file.rights, 30)
    _add(root, "Creator", case_file.handler.full_name if case_file.handler else "", 300)
    _add(root, "Language", case_file.language, 50)
    _add(root, "StartDate", _d(case_file.start_date), 10)
    _add(root, "EndDate", _d(case_file.end_date), 10)
    _add(root, "DocTotal", case_file.doc_total or 0, 4)
    _add(root, "PageTotal", case_file.page_total or 0, 4)
    _add(root, "Description", case_file.description, 2000)
    return _bytes(root)


@dataclass(frozen=True)
class DocumentFacts:
    """What the registry knows of a filed document beyond its row (loaded by the caller)."""

    recipients: Sequence[tuple[str, str]] = ()  # (organ id, name) of the addressees
    handlers: Sequence[str] = ()  # incoming: units/people it was passed to (ToPlaces)
    trace: Sequence[str] = ()  # incoming: the edXML hops (organ id @ time)
    issued_amount: int = 0


def _organ_name(document: Document) -> str:
    if document.direction.value == "in":
        return document.sender_name or (document.sender.name_in_text if document.sender else "")
    issuer: Organization | None = document.issuer
    return issuer.name_in_text if issuer else ""


def document_xml(link: CaseFileDocument, facts: DocumentFacts) -> bytes:
    """One filed document's fields: 16 for an outgoing document, 18 for an incoming one."""
    document, case_file = link.document, link.case_file
    incoming = document.direction.value == "in"
    root = etree.Element("VanBan", direction="den" if incoming else "di")
    _file_code(root, case_file)
    _add(root, "DocOrdinal", link.ordinal, 3)
    _add(root, "TypeName", get_type(document.doc_type).name, 100)
    if incoming:
        number, _, notation = (document.original_number or "").partition("/")
        issued = document.original_date
    else:
        number = f"{document.number:02d}" if document.number is not None else ""
        notation, issued = document.symbol or "", document.issue_date
    _add(root, "CodeNumber", number, 11)
    _add(root, "CodeNotation", notation, 30)
    _add(root, "IssuedDate", _d(issued), 10)
    _add(root, "OrganName", _organ_name(document), 200)
    _add(root, "Subject", document.subject, 500)
    _add(root, "Language", case_file.language, 30)
    _add(root, "PageAmount", link.page_count or 0, 3)
    _add(root, "Description", "Đã thu hồi" if document.status.value == "revoked" else "", 500)
    signer = _add(root, "SignerInfo")
    block = document.signature_block or {}
    _add(signer, "Position", block.get("title") or (document.signer.title
                                                     if document.signer else ""), 100)
    _add(signer, "FullName", document.signer.full_name if document.signer else
         block.get("name", ""), 50)
    if not incoming:
        if not facts.recipients:
            _add(root, "To")
        for organ_id, name in facts.recipients:
            to = _add(root, "To")
            _add(to, "OrganId", organ_id, 13)
            _add(to, "OrganName", name, 200)
    _add(root, "Priority", PRIORITY.get(document.urgency, "0"), 1)
    if incoming:
        _add(root, "ArrivalDate", _d(document.arrived_at.date()) if document.arrived_at else "",
             10)
        _add(root, "ArrivalNumber", document.number or "", 10)
        places = _add(root, "ToPlaces")
        for place in facts.handlers:
            _add(places, "Place", place, 1000)
        traces = _add(root, "TraceHeaderList")
        for hop in facts.trace:
            _add(traces, "TraceHeader", hop, 100)
    else:
        _add(root, "IssuedAmount", facts.issued_amount, 3)
    _add(root, "DueDate", _d(document.due_date), 10)
    return _bytes(root)


def handlers_of(assignments: Sequence[HandlingAssignment]) -> list[str]:
    """ToPlaces of an incoming document: the units or people it was passed to, in order."""
    out = []
    for row in assignments:
        if row.status == "replaced":
            continue
        name = row.person.full_name if row.person else (
            row.organization.name_in_text if row.organization else "")
        if name and name not in out:
            out.append(name)
    return out


__all__ = ["FILE_FIELDS", "INCOMING_FIELDS", "OUTGOING_FIELDS", "DocumentFacts",
           "document_xml", "file_xml", "handlers_of", "retention_text"]
