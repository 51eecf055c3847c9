"""The Appendix VI metadata of a file (11 fields) and of each document in it (16 for an outgoing
document, 18 for an incoming one), as XML for the handover package.

Element names are Appendix VI's own (FileCode, Title, Maintenance, …; DocOrdinal, TypeName,
CodeNumber, …). Values are cut to the lengths the appendix gives; dates are ISO (yyyy-mm-dd),
Vietnam dates. Priority follows the edXML code list (0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc),
since the Decree gives none.

The writers take plain values (:class:`FileMeta`, :class:`DocumentMeta`), not ORM rows: an
export of hundreds of documents reads them with a few column queries (records.export). Text is
escaped here and characters XML 1.0 cannot carry are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from registry.models import CaseFile

FILE_FIELDS = ("FileCode", "Title", "Maintenance", "Rights", "Creator", "Language", "StartDate",
               "EndDate", "DocTotal", "PageTotal", "Description")
COMMON_FIELDS = ("FileCode", "DocOrdinal", "TypeName", "CodeNumber", "CodeNotation",
                 "IssuedDate", "OrganName", "Subject", "Language", "PageAmount", "Description",
                 "SignerInfo")
OUTGOING_FIELDS = (*COMMON_FIELDS, "To", "Priority", "IssuedAmount", "DueDate")
INCOMING_FIELDS = (*COMMON_FIELDS, "Priority", "ArrivalDate", "ArrivalNumber", "ToPlaces",
                   "TraceHeaderList", "DueDate")
PRIORITY = {None: "0", "KHẨN": "1", "THƯỢNG KHẨN": "2", "HỎA TỐC": "3", "HOẢ TỐC": "3"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"


def retention_text(case_file: CaseFile) -> str:
    """Maintenance as printed: "Vĩnh viễn" or "10 năm"."""
    return "Vĩnh viễn" if case_file.permanent else f"{case_file.retention_years} năm"


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


class _Xml:
    """A small XML writer: elements in order, text escaped and cut to its length."""

    def __init__(self, root: str, attrs: str = "") -> None:
        self.root = root
        self.parts = [_DECLARATION, f"<{root}{attrs}>\n"]
        self.depth = 1

    def add(self, name: str, value: object, length: int) -> None:
        text = "" if value is None else _NOT_XML.sub("", str(value))[:length]
        pad = "  " * self.depth
        self.parts.append(f"{pad}<{name}>{escape(text)}</{name}>\n" if text
                          else f"{pad}<{name}/>\n")

    def open(self, name: str) -> None:
        self.parts.append(f"{'  ' * self.depth}<{name}>\n")
        self.depth += 1

    def close(self, name: str) -> None:
        self.depth -= 1
        self.parts.append(f"{'  ' * self.depth}</{name}>\n")

    def done(self) -> bytes:
        return ("".join(self.parts) + f"</{self.root}>\n").encode("utf-8")


@dataclass(frozen=True)
class FileCode:
    """Appendix VI field 1: organisation id, year, file notation."""

    organ_id: str
    year: int
    notation: str


def _file_code(xml: _Xml, code: FileCode) -> None:
    xml.open("FileCode")
    xml.add("OrganId", code.organ_id, 13)
    xml.add("FileCatalog", code.year, 4)
    xml.add("FileNotation", code.notation, 20)
    xml.close("FileCode")


def file_code(case_file: CaseFile) -> FileCode:
    """The FileCode of a file (OrganId: the organisation's edXML id, else its code)."""
    org = case_file.organization
    return FileCode(org.edxml_id or org.code, case_file.year, case_file.code)


def file_xml(case_file: CaseFile) -> bytes:
    """The file's 11 fields."""
    xml = _Xml("HoSo")
    _file_code(xml, file_code(case_file))
    xml.add("Title", case_file.title, 1000)
    xml.add("Maintenance", retention_text(case_file), 30)
    xml.add("Rights", case_file.rights, 30)
    xml.add("Creator", case_file.handler.full_name if case_file.handler else "", 300)
    xml.add("Language", case_file.language, 50)
    xml.add("StartDate", _d(case_file.start_date), 10)
    xml.add("EndDate", _d(case_file.end_date), 10)
    xml.add("DocTotal", case_file.doc_total or 0, 4)
    xml.add("PageTotal", case_file.page_total or 0, 4)
    xml.add("Description", case_file.description, 2000)
    return xml.done()


@dataclass
class DocumentMeta:
    """One filed document's Appendix VI values (read by records.export)."""

    code: FileCode
    ordinal: int
    incoming: bool
    type_name: str
    code_number: str
    code_notation: str
    issued: date | None
    organ_name: str
    subject: str
    language: str
    pages: int
    recalled: bool
    signer_position: str
    signer_name: str
    urgency: str | None
    due: date | None
    recipients: Sequence[tuple[str, str]] = ()  # outgoing: (organ id, name) of each addressee
    issued_amount: int = 0
    arrival_date: date | None = None  # incoming
    arrival_number: int | None = None
    handlers: list[str] = field(default_factory=list)  # ToPlaces
    trace: list[str] = field(default_factory=list)  # TraceHeaderList


def document_xml(meta: DocumentMeta) -> bytes:
    """One filed document's fields: 16 for an outgoing document, 18 for an incoming one."""
    xml = _Xml("VanBan", ' direction="den"' if meta.incoming else ' direction="di"')
    _file_code(xml, meta.code)
    xml.add("DocOrdinal", meta.ordinal, 3)
    xml.add("TypeName", meta.type_name, 100)
    xml.add("CodeNumber", meta.code_number, 11)
    xml.add("CodeNotation", meta.code_notation, 30)
    xml.add("IssuedDate", _d(meta.issued), 10)
    xml.add("OrganName", meta.organ_name, 200)
    xml.add("Subject", meta.subject, 500)
    xml.add("Language", meta.language, 30)
    xml.add("PageAmount", meta.pages, 3)
    xml.add("Description", "Đã thu hồi" if meta.recalled else "", 500)
    xml.open("SignerInfo")
    xml.add("Position", meta.signer_position, 100)
    xml.add("FullName", meta.signer_name, 50)
    xml.close("SignerInfo")
    if not meta.incoming:
        for organ_id, name in meta.recipients or [("", "")]:
            xml.open("To")
            xml.add("OrganId", organ_id, 13)
            xml.add("OrganName", name, 200)
            xml.close("To")
    xml.add("Priority", PRIORITY.get(meta.urgency, "0"), 1)
    if meta.incoming:
        xml.add("ArrivalDate", _d(meta.arrival_date), 10)
        xml.add("ArrivalNumber", meta.arrival_number or "", 10)
        xml.open("ToPlaces")
        for place in meta.handlers:
            xml.add("Place", place, 1000)
        xml.close("ToPlaces")
        xml.open("TraceHeaderList")
        for hop in meta.trace:
            xml.add("TraceHeader", hop, 100)
        xml.close("TraceHeaderList")
    else:
        xml.add("IssuedAmount", meta.issued_amount, 3)
    xml.add("DueDate", _d(meta.due), 10)
    return xml.done()


__all__ = ["FILE_FIELDS", "INCOMING_FIELDS", "OUTGOING_FIELDS", "DocumentMeta", "FileCode",
           "document_xml", "file_code", "file_xml", "retention_text"]
