"""The edXML message model (QCVN 102:2016/BTTTT): plain dataclasses, no XML.

A message is either an :class:`EdxmlDocument` (a document with its files) or a
:class:`StatusMessage` (a receipt: arrived, registered, refused, …). Both name the
document they concern by its **DocumentId** ``OrganId,YYYY/MM/DD,number/symbol``:
the date is part of the identity, since the same number/symbol recurs every year
(:class:`DocumentKey`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

_DOCUMENT_ID = re.compile(r"\s*([^,\s]+)\s*,\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})\s*,\s*(.+?)\s*")


@dataclass(frozen=True)
class DocumentKey:
    """A document's identity on the axis: issuing OrganId, promulgation date, number/symbol."""

    organ_id: str
    issued: date
    number_symbol: str

    def __str__(self) -> str:
        return f"{self.organ_id},{self.issued:%Y/%m/%d},{self.number_symbol}"

    @classmethod
    def parse(cls, text: str) -> DocumentKey | None:
        """The key in ``OrganId,YYYY/MM/DD,number/symbol``; None when ``text`` is not one
        (some gateways put a UUID there)."""
        found = _DOCUMENT_ID.fullmatch(text or "")
        if found is None:
            return None
        try:
            issued = date(int(found[2]), int(found[3]), int(found[4]))
        except ValueError:
            return None
        return cls(found[1], issued, found[5])


class BusinessType(StrEnum):
    """TraceHeaderList/Bussiness/BussinessDocType: what this message does to a document."""

    NEW = "0"
    REVOKE = "1"
    UPDATE = "2"
    REPLACE = "3"


@dataclass(frozen=True)
class Organ:
    """An organisation as edXML names it (From, To, Status From).

    ``name`` is the full OrganName including the place ("… TỈNH KON TUM"), on one line.
    """

    organ_id: str
    name: str
    in_charge: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(frozen=True)
class StaffInfo:
    """The clerk or officer who handled the message."""

    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""

    def __bool__(self) -> bool:
        return any((self.department, self.staff, self.mobile, self.email))


@dataclass(frozen=True)
class ResponseFor:
    """The document a message answers: its issuer, code, promulgation date and DocumentId."""

    organ_id: str
    code: str
    promulgation_date: date | None
    document_id: str

    @classmethod
    def of(cls, key: DocumentKey) -> ResponseFor:
        """ResponseFor naming the document ``key``."""
        return cls(key.organ_id, key.number_symbol, key.issued, str(key))

    @property
    def key(self) -> DocumentKey | None:
        """The DocumentKey, from DocumentId, else from OrganId + PromulgationDate + Code."""
        found = DocumentKey.parse(self.document_id)
        if found is None and self.organ_id and self.promulgation_date and self.code:
            found = DocumentKey(self.organ_id, self.promulgation_date, self.code)
        return found


@dataclass(frozen=True)
class Replacement:
    """ReplacementInfo: a document this one replaces, and the organisations that had it."""

    document_id: str
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Business:
    """TraceHeaderList/Bussiness: new, revoke, update or replace, with its reason."""

    doc_type: BusinessType = BusinessType.NEW
    reason: str = ""
    document_id: str = ""  # the document revoked/updated (its DocumentId), when not new
    paper: str = "0"
    staff: StaffInfo = StaffInfo()
    replacements: tuple[Replacement, ...] = ()


@dataclass(frozen=True)
class EdxmlAttachment:
    """One attached file: its name, MIME type and bytes (unzipped when it travelled zipped)."""

    name: str
    mime: str
    content: bytes
    description: str = ""
    content_id: str = ""


@dataclass(frozen=True)
class TraceHeader:
    """One hop of the message: the organisation that handled it and when."""

    organ_id: str
    timestamp: datetime


@dataclass(frozen=True)
class EdxmlDocument:
    """An electronic document message: the metadata of Decree 30 Appendix VI plus its files."""

    sender: Organ
    recipients: tuple[Organ, ...]
    code_number: str
    code_notation: str
    issued_date: date
    subject: str
    type_name: str = "Công văn"
    type_code: str = "1"
    type_detail: str = "0"
    place: str = ""
    content: str = ""
    signer_competence: str = ""
    signer_position: str = ""
    signer_full_name: str = ""
    due_date: date | None = None
    to_places: tuple[str, ...] = ()
    priority: str = "0"
    sphere: str = ""
    typer_notation: str = ""
    promulgation_amount: int = 0
    page_amount: int = 0
    appendixes: tuple[str, ...] = ()
    steering_type: str = "0"
    response_for: tuple[ResponseFor, ...] = ()
    business: Business = Business()
    trace: tuple[TraceHeader, ...] = ()
    attachments: tuple[EdxmlAttachment, ...] = ()
    declared_id: str = ""  # DocumentId as written, when it is not the one computed below

    @property
    def number_symbol(self) -> str:
        """``7816/VPCP-TTĐT`` (just the notation when there is no number)."""
        return f"{self.code_number}/{self.code_notation}" if self.code_number else \
            self.code_notation

    @property
    def key(self) -> DocumentKey:
        """This document's identity: sender OrganId, promulgation date, number/symbol."""
        return DocumentKey(self.sender.organ_id, self.issued_date, self.number_symbol)

    @property
    def document_id(self) -> str:
        """``OrganId,YYYY/MM/DD,number/symbol``."""
        return self.declared_id or str(self.key)


class SignatureState(StrEnum):
    """What the XML-DSig signature of an incoming message showed."""

    VALID = "valid"  # the math holds and the signer's certificate is trusted
    UNTRUSTED = "untrusted"  # the math holds; the certificate is not (or was not) trusted
    INVALID = "invalid"  # not a signature that verifies (forged, tampered, wrapped, placeholder)
    ABSENT = "absent"


@dataclass(frozen=True)
class StatusMessage:
    """A recipient's answer about a document (a receipt): StatusCode 01–06, 13, 15, 16."""

    response_for: ResponseFor
    sender: Organ
    status_code: str
    timestamp: datetime
    description: str = ""
    staff: StaffInfo = StaffInfo()
