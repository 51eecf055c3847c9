"""From registry rows to an :class:`~outbox.message.OutgoingMessage` (files read and checked).

A delivery carries a registered document (number, files) or a notice (plain text).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import object_session

from outbox.errors import PermanentDeliveryError, TransientDeliveryError
from outbox.message import Attachment, OutgoingMessage, Party, Signer
from registry.doctypes import format_number, get_type
from registry.models import (
    Delivery,
    Direction,
    Document,
    DocumentFile,
    DocumentLink,
    Notice,
    Organization,
)

# Which stored files travel, in this order: the signed PDF (or the PDF) and the Word file.
SENT_KINDS = (("signed_pdf", "pdf"), ("docx",))
MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class FileRef:
    """A stored file to attach: where it is and what its SHA-256 must be."""

    path: Path
    sha256: str
    filename: str
    mime: str


def one_line(text: str) -> str:
    """An organisation name as printed on several lines, on one line."""
    return " ".join(text.split())


_PLACE_WORDS = ("TỈNH", "HUYỆN", "XÃ", "THÀNH PHỐ", "QUẬN", "THỊ XÃ", "PHƯỜNG", "THỊ TRẤN")


def official_name(organization: Organization) -> str:
    """The full name on one line with its place: a printed name that ends with the kind of
    place ("… BVANTQ TỈNH") gets the place ("… BVANTQ TỈNH KON TUM"), as edXML OrganName."""
    name = one_line(organization.name)
    place = one_line(organization.place or "")
    upper = name.upper()
    if place and upper.endswith(_PLACE_WORDS) and not upper.endswith(place.upper()):
        return f"{name} {place.upper()}"
    return name


def party(organization: Organization, *, email: str | None = None) -> Party:
    """An organisation as a message end."""
    return Party(
        name=one_line(organization.name), email=email or organization.email,
        organ_id=organization.edxml_id, address=organization.address,
        official_name=official_name(organization),
        in_charge=one_line(organization.header_parent or "") or None,
        telephone=organization.phone,
    )


def document_id(document: Document) -> str:
    """The edXML DocumentId of an issued document: ``OrganId,YYYY/MM/DD,number/symbol``."""
    organ_id = document.issuer.edxml_id if document.issuer is not None else ""
    issued = f"{document.issue_date:%Y/%m/%d}" if document.issue_date else ""
    return f"{organ_id or ''},{issued},{document.number_symbol or ''}"


def _to_places(document: Document) -> tuple[str, ...]:
    """The "Nơi nhận" lines; same-printed lines of different units get their full names."""
    labels = [line.label for line in document.recipients]
    return tuple(
        official_name(line.organization)
        if line.organization is not None and labels.count(line.label) > 1 else line.label
        for line in document.recipients
    )


_LINK_BUSINESS = {"corrects": "2", "replaces": "3"}


def _business(document: Document, delivery: Delivery) -> tuple[str, str, tuple[str, ...]]:
    """(BussinessDocType, reason, DocumentIds concerned) of a document delivery."""
    payload = delivery.payload or {}
    if delivery.kind == "revoke":
        return "1", str(payload.get("reason") or ""), (document_id(document),)
    session = object_session(document)
    if session is None:
        return "0", "", ()
    for kind, old in session.execute(
        select(DocumentLink.kind, Document).join(Document, Document.id == DocumentLink.to_id)
        .where(DocumentLink.from_id == document.id,
               DocumentLink.kind.in_(list(_LINK_BUSINESS)))
    ).tuples():
        reason = ("Đính chính" if kind == "corrects" else "Thay thế") + \
            f" văn bản số {old.number_symbol}"
        return _LINK_BUSINESS[kind], reason, (document_id(old),)
    return "0", "", ()


def file_refs(document: Document, files_root: Path) -> tuple[FileRef, ...]:
    """The files a delivery of ``document`` carries (signed PDF, else PDF; then .docx)."""
    by_kind: dict[str, DocumentFile] = {f.kind: f for f in document.files}
    stem = (document.number_symbol or f"van-ban-{document.id}").replace("/", "-")
    refs = []
    for choices in SENT_KINDS:
        stored = next((by_kind[k] for k in choices if k in by_kind), None)
        if stored is None:
            continue
        suffix = "docx" if stored.kind == "docx" else "pdf"
        path = Path(stored.path)
        refs.append(FileRef(path if path.is_absolute() else files_root / path, stored.sha256,
                            f"{stem}.{suffix}", MIME[suffix]))
    return tuple(refs)


def read_files(refs: tuple[FileRef, ...]) -> tuple[Attachment, ...]:
    """Read and verify the files: what is sent is byte for byte what was registered."""
    attachments = []
    for ref in refs:
        try:
            content = ref.path.read_bytes()
        except OSError as error:
            raise TransientDeliveryError(f"Không đọc được tệp {ref.path}: {error}") from error
        if hashlib.sha256(content).hexdigest() != ref.sha256:
            raise PermanentDeliveryError(
                f"Tệp {ref.path} khác với bản đã đăng ký (SHA-256 không khớp); không gửi."
            )
        attachments.append(Attachment(ref.filename, ref.mime, content))
    return tuple(attachments)


def _recipient(delivery: Delivery) -> Party:
    if delivery.recipient is None:
        return Party(one_line(delivery.recipient_label), email=delivery.address)
    return party(delivery.recipient,
                 email=delivery.address if delivery.channel == "email" else None)


def compose_notice(delivery: Delivery, notice: Notice) -> OutgoingMessage:
    """The message of a notice delivery: its subject and plain text, no number, no files.

    A notice is a letter, not a printed document: its ends are named as in a sentence
    (``Ban Chỉ đạo … huyện Đắk Hà``), which also tells apart units whose printed names
    are the same.
    """
    sender = notice.sender
    recipient = _recipient(delivery)
    if delivery.recipient is not None:
        recipient = replace(recipient, name=delivery.recipient.name_in_text)
    return OutgoingMessage(
        idempotency_key=delivery.idempotency_key, number="", symbol="", subject=notice.subject,
        sender=replace(party(sender), name=sender.name_in_text) if sender else Party(""),
        recipient=recipient, type_name="", text=notice.body,
    )


def compose_status(delivery: Delivery) -> OutgoingMessage:
    """The message of a Status delivery (a receipt we owe the sender of an incoming document):
    its fields were fixed when it was enqueued."""
    payload = {k: str(v) for k, v in (delivery.payload or {}).items()}
    if delivery.recipient is not None:
        recipient = party(delivery.recipient)
    elif delivery.address:  # a sender outside the directory, by the OrganId it gave
        recipient = Party(one_line(delivery.recipient_label), organ_id=delivery.address)
    else:
        raise PermanentDeliveryError(f"Lượt gửi trạng thái #{delivery.id} không có nơi nhận.")
    return OutgoingMessage(
        idempotency_key=delivery.idempotency_key, number="", symbol="",
        subject=f"Trạng thái {payload.get('code', '')}: {payload.get('document_id', '')}",
        sender=Party(payload.get("from_name", ""), organ_id=payload.get("from_organ_id")),
        recipient=recipient, type_name="", status=payload,
    )


def compose(delivery: Delivery, *, ack_url: str | None) -> OutgoingMessage:
    """The message for one delivery, without its files (the relay adds them)."""
    if delivery.kind.startswith("status:"):
        return compose_status(delivery)
    if delivery.notice is not None:
        return compose_notice(delivery, delivery.notice)
    document = delivery.document
    if document is None:
        raise PermanentDeliveryError(f"Lượt gửi #{delivery.id} không có văn bản hay thông báo.")
    if document.issuer is None or document.number is None:
        raise PermanentDeliveryError(f"Văn bản #{document.id} chưa có số hoặc cơ quan ban hành.")
    recipient = _recipient(delivery)
    business, reason, concerned = _business(document, delivery)
    block = document.signature_block or {}
    signer = document.signer
    return OutgoingMessage(
        idempotency_key=delivery.idempotency_key,
        number=format_number(document.number),
        symbol=document.symbol or "",
        subject=document.subject,
        sender=party(document.issuer),
        recipient=recipient,
        issued_date=document.issue_date,
        type_name=get_type(document.doc_type).name,
        place=document.issuer.place or "",
        due_date=document.due_date,
        urgency=document.urgency,
        signer=Signer(
            full_name=str(block.get("full_name") or (signer.full_name if signer else "")),
            position=str(block.get("title") or (signer.title if signer else "") or ""),
            competence=str(block.get("authority_line") or block.get("competence") or ""),
        ) if signer or block else None,
        to_places=_to_places(document),
        ack_url=ack_url,
        doc_type=document.doc_type,
        copies=len({line.organization_id for line in document.recipients
                    if line.organization_id is not None}),
        business=business,
        business_reason=reason,
        replaces=concerned,
        status={k: str(v) for k, v in (delivery.payload or {}).items()}
        if delivery.kind.startswith("status:") else None,
        response_for=response_for(document),
    )


def response_for(document: Document) -> str | None:
    """The axis DocumentId (``OrganId,YYYY/MM/DD,number/symbol``) of the incoming document this
    one answers (a DocumentLink ``answers``, recorded by outbox.handling), for edXML
    ResponseFor; None when it answers nothing that came with an edXML identity."""
    from outbox.edxml.model import DocumentKey

    session = object_session(document)
    if session is None:
        return None
    answered = session.scalars(
        select(Document).join(DocumentLink, DocumentLink.to_id == Document.id)
        .where(DocumentLink.from_id == document.id, DocumentLink.kind == "answers",
               Document.direction == Direction.INCOMING)
        .order_by(DocumentLink.id))
    for target in answered:
        sender = target.sender
        if sender is not None and sender.edxml_id and target.original_date \
                and target.original_number:
            return str(DocumentKey(sender.edxml_id, target.original_date,
                                   target.original_number))
    return None
