"""What we owe the axis as deliveries: Status messages about incoming documents and
revocations of our own — added in the caller's transaction, sent by the relay.

* :func:`send_status` — 01 arrived, 02 refused (with the reason), 03 registered,
  04 assigned, 05 in progress, 06 finished, 15/16 recall accepted/refused; one
  delivery per (document, code), to the incoming document's sender.
* :func:`report_progress` — what incoming handling calls on assign/progress/done.
* :func:`refuse` — the 02 (with the reason) of a document a clerk refused
  (:func:`outbox.handling.refuse`).
* :func:`enqueue_revocation` — our document revoked: a BussinessDocType 1 message to
  every recipient that got it through edXML (folder drop or gateway).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox.compose import official_name, one_line
from outbox.edxml.model import DocumentKey, Organ
from outbox.errors import IntakeError
from registry import audit, documents
from registry.models import (
    Delivery,
    DeliveryStatus,
    Direction,
    Document,
    DocumentStatus,
    HandlingEvent,
    Notice,
    Organization,
    Person,
    Register,
)
from registry.numbering import VN_TZ

EDXML_CHANNELS = ("edxml", "gateway")
DESCRIPTIONS = {
    "01": "Đã đến",
    "02": "Từ chối tiếp nhận",
    "03": "Đã tiếp nhận và vào sổ",
    "04": "Đã phân công xử lý",
    "05": "Đang xử lý",
    "06": "Đã hoàn thành xử lý",
    "15": "Đồng ý thu hồi/cập nhật",
    "16": "Từ chối thu hồi/cập nhật",
}
PROGRESS = frozenset({"04", "05", "06"})


def incoming_key(session: Session, document: Document) -> DocumentKey | None:
    """The sender's DocumentId of an incoming document: from its directory sender's edXML id,
    else as the edXML message gave it (recorded at intake); None when it did not come by edXML
    from an identifiable sender."""
    sender = document.sender
    if sender is not None and sender.edxml_id and document.original_date is not None \
            and document.original_number:
        return DocumentKey(sender.edxml_id, document.original_date, document.original_number)
    from registry.models import AuditEvent

    detail = session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == "edxml_receive", AuditEvent.object_type == "document",
        AuditEvent.object_id == document.id).order_by(AuditEvent.id))
    return DocumentKey.parse(str(detail.get("document_id", ""))) if detail else None


def _receiver(session: Session, document: Document) -> Organization:
    register = session.get(Register, document.register_id) if document.register_id else None
    organization = session.get(Organization, register.organization_id) if register else None
    if organization is None:
        raise IntakeError(f"Văn bản đến #{document.id} không thuộc sổ của cơ quan nào.")
    return organization


def send_status(*, session: Session, document_id: int, code: str, description: str = "",
                actor: Person | None = None, channel: str = "edxml",
                now: datetime | None = None) -> Delivery | None:
    """Queue Status ``code`` about an incoming document to its sender; None when the sender
    is not reachable by edXML (no OrganId) — recorded in the audit log instead.

    Idempotent: the same code for the same document is queued once.
    """
    if code not in DESCRIPTIONS:
        raise IntakeError(f"Mã trạng thái «{code}» không gửi được; dùng "
                          f"{', '.join(DESCRIPTIONS)}.")
    document = documents.get(session=session, document_id=document_id)
    if document.direction is not Direction.INCOMING:
        raise IntakeError(f"Văn bản #{document_id} không phải văn bản đến; chỉ báo trạng thái "
                          "cho văn bản đến.")
    key = incoming_key(session, document)
    kind = f"status:{code}"
    if key is None:
        audit.record(session=session, action=kind, object_type="document",
                     object_id=document.id, actor=actor,
                     detail={"sent": False, "why": "nơi gửi không có mã định danh edXML"})
        return None
    existing = session.scalar(select(Delivery).where(
        Delivery.document_id == document.id, Delivery.kind == kind))
    if existing is not None:
        return existing
    receiver = _receiver(session, document)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    payload = {
        "code": code, "description": description or DESCRIPTIONS[code],
        "document_id": str(key), "from_organ_id": receiver.edxml_id or "",
        "from_name": official_name(receiver),
        "timestamp": moment.astimezone(VN_TZ).replace(microsecond=0).isoformat(),
        "staff": actor.full_name if actor else "", "email": (actor.email or "") if actor else "",
    }
    # A sender outside our directory is still reached: by the OrganId its message carried.
    delivery = Delivery(
        document_id=document.id, recipient_id=document.sender_id,
        recipient_label=document.sender_name or "", channel=channel, kind=kind,
        address=key.organ_id, status=DeliveryStatus.QUEUED, attempts=0,
        next_attempt_at=moment, payload=payload,
        idempotency_key=f"st{code}.{document.id}.{channel}.{secrets.token_hex(6)}",
    )
    session.add(delivery)
    session.flush()
    audit.record(session=session, action=kind, object_type="document", object_id=document.id,
                 actor=actor, detail={"delivery": delivery.id, "description":
                                      payload["description"]})
    return delivery


def report_progress(*, session: Session, document_id: int, code: str,
                    actor: Person | None = None, description: str = "",
                    now: datetime | None = None) -> Delivery | None:
    """Handling moved on: 04 assigned, 05 in progress, 06 finished (incoming handling calls
    this on its transitions). Sent by the channel the document came through."""
    if code not in PROGRESS:
        raise IntakeError(f"Mã tiến độ «{code}» không hợp lệ; dùng 04, 05 hoặc 06.")
    return send_status(session=session, document_id=document_id, code=code,
                       description=description, actor=actor,
                       channel=arrival_channel(session, document_id), now=now)


def refuse(*, session: Session, document_id: int, reason: str, actor: Person | None = None,
           now: datetime | None = None) -> Delivery | None:
    """Status 02 with the reason for a document the office refused — called by
    :func:`outbox.handling.refuse`, which checks who may refuse and marks the document; a
    document not marked refused gets no 02."""
    document = documents.get(session=session, document_id=document_id)
    if document.status is not DocumentStatus.REFUSED:
        raise IntakeError(f"Văn bản #{document_id} chưa bị từ chối tiếp nhận; từ chối bằng "
                          "congvan incoming refuse.")
    if not reason.strip():
        raise IntakeError("Cần ghi lý do từ chối để báo cho nơi gửi.")
    return send_status(session=session, document_id=document_id, code="02",
                       description=reason.strip(), actor=actor,
                       channel=arrival_channel(session, document_id), now=now)


def answer_package(*, session: Session, organization_id: int, sender: Organ, key: DocumentKey,
                   code: str, description: str, channel: str, now: datetime,
                   once_for: str = "") -> Delivery | None:
    """Queue Status ``code`` about a document we hold no row for (a revocation of a document
    never received: 16; a package we could not take in: 02) to ``sender``, by its OrganId
    whether or not it is in our directory. It hangs on a Notice row. Queued once per
    (document, ``once_for``); None when it was queued before or our organisation has no
    edXML id to answer from."""
    receiver = session.get(Organization, organization_id)
    if receiver is None or not receiver.edxml_id:
        return None
    digest = hashlib.sha256(f"{key}|{once_for}".encode()).hexdigest()[:24]
    notice_key = f"edxml{code}.{organization_id}.{digest}"
    if session.scalar(select(Notice.id).where(Notice.key == notice_key)) is not None:
        return None
    known = session.scalar(select(Organization).where(Organization.edxml_id == sender.organ_id))
    notice = Notice(key=notice_key, sender=receiver, subject=f"Trạng thái {code}: {key}",
                    body=description)
    session.add(notice)
    session.flush()
    delivery = Delivery(
        notice_id=notice.id, recipient_id=known.id if known else None,
        recipient_label=one_line(known.name) if known else (sender.name or sender.organ_id),
        channel=channel, kind=f"status:{code}", address=sender.organ_id,
        status=DeliveryStatus.QUEUED, attempts=0, next_attempt_at=now.astimezone(UTC),
        payload={"code": code, "description": description, "document_id": str(key),
                 "from_organ_id": receiver.edxml_id, "from_name": official_name(receiver),
                 "timestamp": now.astimezone(VN_TZ).replace(microsecond=0).isoformat()},
        idempotency_key=f"{notice_key}.{channel}.{secrets.token_hex(6)}",
    )
    session.add(delivery)
    session.flush()
    return delivery


def arrival_channel(session: Session, document_id: int) -> str:
    """The channel our earlier Status messages about this document used (edxml by default)."""
    used = session.scalar(select(Delivery.channel).where(
        Delivery.document_id == document_id, Delivery.kind.like("status:%"))
        .order_by(Delivery.id))
    return used or "edxml"


def enqueue_revocation(*, session: Session, document_id: int, reason: str,
                       actor: Person | None = None, now: datetime | None = None
                       ) -> list[Delivery]:
    """Queue a revocation (BussinessDocType 1, with the reason) to every recipient that got
    the document through edXML; returns the new deliveries (none twice)."""
    document = documents.get(session=session, document_id=document_id)
    sent = session.scalars(select(Delivery).where(
        Delivery.document_id == document.id, Delivery.kind == "",
        Delivery.channel.in_(EDXML_CHANNELS),
        Delivery.status.in_([DeliveryStatus.SENT, DeliveryStatus.ACKNOWLEDGED,
                             DeliveryStatus.SENDING, DeliveryStatus.FAILED,
                             DeliveryStatus.QUEUED]),
    ).order_by(Delivery.id)).all()
    have = set(session.execute(select(Delivery.recipient_id, Delivery.channel).where(
        Delivery.document_id == document.id, Delivery.kind == "revoke")).tuples())
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    added = [Delivery(
        document_id=document.id, recipient_id=row.recipient_id,
        recipient_label=row.recipient_label, channel=row.channel, kind="revoke",
        address=row.address, status=DeliveryStatus.QUEUED, attempts=0, next_attempt_at=moment,
        payload={"reason": reason.strip()},
        idempotency_key=f"rv{document.id}.{row.recipient_id}.{row.channel}."
                        f"{secrets.token_hex(6)}",
    ) for row in sent if (row.recipient_id, row.channel) not in have]
    session.add_all(added)
    session.flush()
    if added:
        audit.record(session=session, action="enqueue_revoke", object_type="document",
                     object_id=document.id, actor=actor,
                     detail={"deliveries": [d.id for d in added], "reason": reason})
    return added


def _on_handling(session: Session, event: HandlingEvent) -> None:
    from outbox.handling import EDXML_STATUS

    code = EDXML_STATUS.get(event.kind)
    if code is None:
        return
    document = session.get(Document, event.document_id)
    if document is None or incoming_key(session, document) is None:
        return  # not an edXML arrival: nobody to tell
    actor = session.get(Person, event.actor_id) if event.actor_id else None
    report_progress(session=session, document_id=document.id, code=code, actor=actor,
                    description=event.note or DESCRIPTIONS[code], now=event.at)


def install_handling_hook() -> None:
    """Report incoming handling (assign 04, progress 05, done 06) to edXML senders; every
    process that handles documents calls this once (``congvan.runtime.open_registry`` does)."""
    from outbox.handling import on_transition

    on_transition(_on_handling)
