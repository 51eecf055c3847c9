"""The edXML message model: plain dataclasses, no XML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Organ:
    """An organisation as edXML names it (From, To, Status From)."""

    organ_id: str
    name: str
    in_charge: str = ""
    address: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(frozen=True)
class EdxmlAttachment:
    """One attached file: its name, MIME type and bytes."""

    name: str
    mime: str
    content: bytes
    description: str = ""


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
    response_for: str | None = None
    business_doc_type: str = "0"
    trace: tuple[TraceHeader, ...] = ()
    attachments: tuple[EdxmlAttachment, ...] = ()

    @property
    def number_symbol(self) -> str:
        """``7816/VPCP-TTĐT``."""
        return f"{self.code_number}/{self.code_notation}"

    @property
    def document_id(self) -> str:
        """``OrganId,YYYY/MM/DD,number/symbol``."""
        return f"{self.sender.organ_id},{self.issued_date:%Y/%m/%d},{self.number_symbol}"


@dataclass(frozen=True)
class StatusMessage:
    """A recipient's answer about a document (a receipt): StatusCode 01–06, 13, 15, 16."""

    response_for: str
    sender: Organ
    status_code: str
    timestamp: datetime
    description: str = ""
    staff_department: str = ""
    staff_name: str = ""
    staff_phone: str = ""
    staff_email: str = ""
