"""Intake of an edXML message: read it, check its signature, honour BussinessDocType.

* a Status message updates the deliveries it answers (:func:`outbox.receipts.apply_status`);
* a new document (0) is registered through :func:`outbox.intake.register_incoming`, its
  signature state recorded, and 01 (arrived) then 03 (registered) queued to the sender;
* an update (2) or replacement (3) is registered the same way and linked to the version it
  updates/replaces (``corrects``/``replaces``);
* a revocation (1) marks the registered document revoked with the reason and answers 15;
  a revocation of a document never received is recorded and answered 16 — and if that
  document arrives later it is registered already revoked.

Everything happens in the caller's transaction: a message that is refused (bad XML,
bombs, missing attachments) leaves nothing behind, files included.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox.compose import one_line
from outbox.edxml.exchange import answer_package, send_status
from outbox.edxml.model import (
    BusinessType,
    DocumentKey,
    EdxmlDocument,
    SignatureState,
    StatusMessage,
)
from outbox.edxml.parse import read
from outbox.edxml.verify import SignerTrust, Verification, verify
from outbox.errors import EdxmlError, IntakeError
from outbox.intake import URGENCY_MARKS, Incoming, register_incoming
from outbox.receipts import apply_status
from registry import audit, documents
from registry.clock import VIETNAM
from registry.doctypes import DOC_TYPES
from registry.models import (
    Delivery,
    Direction,
    Document,
    DocumentStatus,
    Person,
)

_TYPE_NAMES = {t.name.upper(): t.key for t in DOC_TYPES.values()}
_LINK = {BusinessType.UPDATE: "corrects", BusinessType.REPLACE: "replaces"}
_PRIORITY_MARK = {"1": URGENCY_MARKS[3], "2": URGENCY_MARKS[2], "3": URGENCY_MARKS[0],
                  "4": URGENCY_MARKS[0]}


@dataclass
class Received:
    """What one incoming edXML message did."""

    kind: str  # document | update | replace | revoke | revoke_unknown | duplicate | status
    document: Document | None = None
    signature: Verification = Verification(SignatureState.ABSENT)
    statuses: list[Delivery] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)  # a Status applied to ours
    warnings: tuple[str, ...] = ()


def _not_revoked(session: Session, signature: Verification, arrived_at: datetime
                 ) -> Verification:
    """Refused when our directory records the signer's certificate revoked before the message
    arrived (:func:`signing.certificates.revoke` marks it); no network
    revocation fetch, as for PAdES."""
    from registry.models import SigningCertificate

    if not signature.fingerprint:
        return signature
    revoked = session.scalar(select(SigningCertificate.revoked_at).where(
        SigningCertificate.fingerprint == signature.fingerprint))
    if revoked is None:
        return signature
    revoked = _vietnam(revoked) if revoked.tzinfo is None else revoked
    if revoked > arrived_at:
        return signature
    day = f"{revoked.astimezone(VIETNAM):%d/%m/%Y}"
    return replace(signature, state=SignatureState.UNTRUSTED, refuse=True, reason=(
        f"chứng thư số «{signature.signer}» đã bị thu hồi ngày {day} theo danh bạ chứng thư; "
        "nơi gửi cần ký lại bằng chứng thư còn hiệu lực"))


def _signed_at(doc: EdxmlDocument) -> datetime | None:
    """When the sender says it signed: its own TraceHeader (Viet Nam wall time), else the
    first one."""
    hops = [t for t in doc.trace if t.organ_id == doc.sender.organ_id] or list(doc.trace)
    if not hops:
        return None
    return _vietnam(hops[0].timestamp)


def _vietnam(stamp: datetime) -> datetime:
    """An envelope's wall-clock time (no zone written) as Viet Nam time."""
    return stamp.replace(tzinfo=VIETNAM) if stamp.tzinfo is None else stamp


def incoming_of(doc: EdxmlDocument) -> Incoming:
    """What the intake service registers, from the edXML model."""
    references = tuple(r.key.number_symbol for r in doc.response_for if r.key)
    return Incoming(
        number_symbol=doc.number_symbol, subject=doc.subject,
        sender_name=one_line(doc.sender.name), original_date=doc.issued_date,
        doc_type=_TYPE_NAMES.get(doc.type_name.upper(), "cong_van"),
        sender_organ_id=doc.sender.organ_id,
        urgency=_PRIORITY_MARK.get(doc.priority.strip()), due_date=doc.due_date,
        references=references,
        files=tuple((a.name, a.content) for a in doc.attachments), channel="edxml",
    )


def find_incoming(session: Session, organization_id: int, key: DocumentKey) -> Document | None:
    """Our registered incoming document with this DocumentId (sender, date, number/symbol):
    by the directory sender's edXML id, else by the DocumentId its edXML message carried."""
    from outbox.edxml.exchange import incoming_key

    candidates = session.scalars(
        select(Document).where(Document.direction == Direction.INCOMING,
                               Document.original_date == key.issued,
                               Document.original_number == key.number_symbol,
                               Document.register_id.in_(_registers(session, organization_id)))
        .order_by(Document.id)).all()
    return next((d for d in candidates if incoming_key(session, d) == key), None)


def _registers(session: Session, organization_id: int) -> list[int]:
    from registry.models import Register

    return list(session.scalars(select(Register.id).where(
        Register.organization_id == organization_id)))


def _early_revocation(session: Session, organization_id: int, key: DocumentKey) -> str | None:
    """The reason of a revocation received before the document itself, if any."""
    from registry.models import AuditEvent

    for detail in session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "edxml_revoke_unknown",
            AuditEvent.object_type == "organization", AuditEvent.object_id == organization_id)):
        if detail.get("document_id") == str(key):
            return str(detail.get("reason") or "")
    return None


def _statuses(session: Session, document: Document, codes: tuple[str, ...], channel: str,
              actor: Person | None, now: datetime | None) -> list[Delivery]:
    sent = [send_status(session=session, document_id=document.id, code=code, actor=actor,
                        channel=channel, now=now) for code in codes]
    return [d for d in sent if d is not None]


def receive(
    *, session: Session, organization_id: int | None, data: bytes, arrived_at: datetime,
    files_root: Path, actor: Person | None = None, channel: str = "edxml",
    trust: SignerTrust | None = None,
) -> Received:
    """Take in one edXML message addressed to ``organization_id`` (not needed for a Status,
    which names the document it answers). A document whose XML-DSig is forged, tampered,
    wrapped or — checked against ``trust`` — untrusted is refused (:class:`EdxmlError`)."""
    arrived_at = _vietnam(arrived_at)  # a caller's wall-clock time is Viet Nam's
    parsed = read(data)
    message = parsed.message
    # A Status is signed like a document: a forged one must not move our deliveries either.
    signed_at = _vietnam(message.timestamp) if isinstance(message, StatusMessage) \
        else _signed_at(message)
    signature = verify(data, trust=trust, signed_at=signed_at, received_at=arrived_at) \
        if parsed.signed else Verification(SignatureState.ABSENT)
    signature = _not_revoked(session, signature, arrived_at)
    if signature.refuse:
        raise EdxmlError(f"Chữ ký số của gói edXML không được chấp nhận: {signature.reason}.")
    if isinstance(message, StatusMessage):
        rows = apply_status(session=session, status=message)
        return Received("status", signature=signature, deliveries=rows,
                        warnings=parsed.warnings)
    if organization_id is None:
        raise IntakeError("Cần chỉ cơ quan nhận (--org) để vào sổ văn bản đến.")
    business = message.business
    if business.doc_type is BusinessType.REVOKE:
        return _revoke(session, organization_id, message, signature, parsed.warnings, channel,
                       actor, arrived_at)
    done = register_incoming(
        session=session, organization_id=organization_id, incoming=incoming_of(message),
        arrived_at=arrived_at, files_root=files_root, actor=actor, channel="edxml")
    document = done.document
    if done.duplicate:  # intake recorded a second arrival; no number, no new answers
        return Received("duplicate", document, signature, warnings=parsed.warnings)
    try:
        kind, statuses = _after_registration(session, organization_id, document, message,
                                             signature, parsed.warnings, channel, actor,
                                             arrived_at)
    except BaseException:
        for stored in document.files:  # nothing half-stored: the row goes with the transaction
            (files_root / stored.path).unlink(missing_ok=True)
        raise
    session.flush()
    return Received(kind, document, signature, statuses, warnings=parsed.warnings)


def _after_registration(session: Session, organization_id: int, document: Document,
                        message: EdxmlDocument, signature: Verification,
                        warnings: tuple[str, ...], channel: str, actor: Person | None,
                        arrived_at: datetime) -> tuple[str, list[Delivery]]:
    business = message.business
    document.signature_state = signature.state.value
    audit.record(session=session, action="edxml_receive", object_type="document",
                 object_id=document.id, actor=actor,
                 detail={"document_id": str(message.key), "sender": message.sender.organ_id,
                         "declared_id": message.document_id,
                         "signature": signature.state.value,
                         "signer": signature.signer, "signature_reason": signature.reason,
                         "business": business.doc_type.value,
                         "warnings": list(warnings)})
    kind = "document"
    if business.doc_type in _LINK:
        kind = "update" if business.doc_type is BusinessType.UPDATE else "replace"
        olds = [business.document_id] + [r.document_id for r in business.replacements]
        for old_id in filter(None, olds):
            old_key = DocumentKey.parse(old_id)
            old = find_incoming(session, organization_id, old_key) if old_key else None
            if old is not None:
                documents.link(session=session, source=document, target=old,
                               kind=_LINK[business.doc_type])
    statuses = _statuses(session, document, ("01", "03"), channel, actor, arrived_at)
    early = _early_revocation(session, organization_id, message.key)
    if early is not None:
        _mark_revoked(session, document, early, actor)
        statuses += _statuses(session, document, ("15",), channel, actor, arrived_at)
    return kind, statuses


def _mark_revoked(session: Session, document: Document, reason: str,
                  actor: Person | None) -> None:
    before = document.status
    document.status = DocumentStatus.REVOKED
    audit.record(session=session, action="revoke", object_type="document",
                 object_id=document.id, actor=actor,
                 detail={"from": before.value, "reason": reason, "by": "edxml"})
    session.flush()
    _tell_handlers(session, document, reason)


def _tell_handlers(session: Session, document: Document, reason: str) -> None:
    """Whoever handles the revoked document (open assignments) gets a notice with the reason."""
    from outbox.enqueue import enqueue_notice
    from outbox.handling import OPEN, assignee_label, receiver_of
    from registry.models import HandlingAssignment

    rows = session.scalars(select(HandlingAssignment).where(
        HandlingAssignment.document_id == document.id,
        HandlingAssignment.status.in_(OPEN))).all()
    if not rows:
        return
    office = receiver_of(session, document)
    for row in rows:
        unit = row.organization or (row.person.organization if row.person else office)
        body = "\n".join([
            f"Kính gửi: {assignee_label(row)}", "",
            f"Văn bản đến số {document.number:02d} ({document.original_number} của "
            f"{document.sender_name}: {document.subject}) đã bị nơi gửi thu hồi.",
            f"Lý do: {reason}", "Đề nghị dừng xử lý văn bản này.", "",
            f"Thư gửi tự động từ hệ thống quản lý văn bản của {office.name_in_text}."])
        enqueue_notice(session=session, recipient=unit, sender=office,
                       idempotency_key=f"handling.{row.id}.revoked",
                       subject=f"Thu hồi văn bản đến số {document.number:02d}", body=body)


def _revoke(session: Session, organization_id: int, message: EdxmlDocument,
            signature: Verification, warnings: tuple[str, ...], channel: str,
            actor: Person | None, arrived_at: datetime) -> Received:
    key = DocumentKey.parse(message.business.document_id) or message.key
    reason = message.business.reason or "Nơi gửi thu hồi văn bản"
    target = find_incoming(session, organization_id, key)
    if target is not None:
        if target.status is not DocumentStatus.REVOKED:
            _mark_revoked(session, target, reason, actor)
        statuses = _statuses(session, target, ("15",), channel, actor, arrived_at)
        return Received("revoke", target, signature, statuses, warnings=warnings)
    audit.record(session=session, action="edxml_revoke_unknown", object_type="organization",
                 object_id=organization_id, actor=actor,
                 detail={"document_id": str(key), "reason": reason,
                         "sender": message.sender.organ_id, "signature": signature.state.value})
    statuses = _unknown_answer(session, organization_id, message, key, channel, arrived_at)
    return Received("revoke_unknown", None, signature, statuses, warnings=warnings)


def _unknown_answer(session: Session, organization_id: int, message: EdxmlDocument,
                    key: DocumentKey, channel: str, now: datetime) -> list[Delivery]:
    """16 to the sender of a revocation for a document we never received."""
    answer = answer_package(
        session=session, organization_id=organization_id, sender=message.sender, key=key,
        code="16", description=f"Chưa nhận được văn bản {key}; không có gì để thu hồi.",
        channel=channel, now=now)
    return [answer] if answer is not None else []
