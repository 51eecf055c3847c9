"""What a channel sends: a plain, self-contained description of one delivery.

The relay builds an :class:`OutgoingMessage` from registry rows; channels never
touch the database, so they can be tested (and benchmarked) on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Party:
    """An organisation at one end of a delivery."""

    name: str
    email: str | None = None
    organ_id: str | None = None
    address: str | None = None
    official_name: str | None = None  # the full name with its place ("… TỈNH KON TUM")
    in_charge: str | None = None  # the body it belongs to ("UBND TỈNH KON TUM")
    telephone: str | None = None


@dataclass(frozen=True)
class Attachment:
    """One file sent with the document."""

    filename: str
    mime: str
    content: bytes


@dataclass(frozen=True)
class Signer:
    """Who signed: authority line (``TL. BỘ TRƯỞNG``), position and full name."""

    full_name: str
    position: str = ""
    competence: str = ""


@dataclass(frozen=True)
class OutgoingMessage:
    """One document (or one notice) going to one recipient through one channel.

    ``idempotency_key`` is the delivery's permanent identity: it becomes the
    e-mail Message-ID, the folder name and the edXML trace id, so a message
    sent again after a crash is recognisable as the same message.

    A notice has ``text`` (its whole plain-text body, sent as it is, with
    ``subject`` as the subject line) and no number, symbol or files.
    """

    idempotency_key: str
    number: str
    symbol: str
    subject: str
    sender: Party
    recipient: Party
    issued_date: date | None = None
    type_name: str = "Công văn"
    place: str = ""
    due_date: date | None = None
    urgency: str | None = None
    signer: Signer | None = None
    to_places: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    ack_url: str | None = None
    response_for: str | None = None
    text: str | None = None
    doc_type: str = ""
    copies: int = 0
    business: str = "0"  # edXML BussinessDocType: 0 new, 1 revoke, 2 update, 3 replace
    business_reason: str = ""
    replaces: tuple[str, ...] = ()  # DocumentIds this one revokes, updates or replaces
    status: dict[str, str] | None = None  # the fields of an edXML Status message to send

    @property
    def is_notice(self) -> bool:
        """A plain-text notice rather than a registered document."""
        return self.text is not None

    @property
    def number_symbol(self) -> str:
        """``4267/BCĐ-NC``; just the symbol when the number is not given yet."""
        return f"{self.number}/{self.symbol}" if self.number else self.symbol


@dataclass(frozen=True)
class SendResult:
    """What a channel reports after accepting a message: the id it is known by."""

    message_id: str
