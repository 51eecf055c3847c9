"""Adding deliveries in the transaction that issues a document or records a reminder
(the transactional outbox).

The rows are written with the change itself, so either the document is issued
(the reminder recorded) *and* its deliveries exist, or neither: a delivery is
never lost between the two. Nothing here commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, documents
from registry.errors import ValidationError
from registry.models import Delivery, DeliveryStatus, Document, Notice, Organization, Person
from registry.text import nfc

CHANNELS = ("email", "folder", "edxml", "gateway")
NOTICE_CHANNELS = ("email", "folder")  # edXML carries registered documents only
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,139}")


def address_for(organization: Organization, channel: str) -> str | None:
    """Where a channel reaches an organisation: its e-mail, its edXML id, or its folder."""
    if channel == "email":
        return organization.email
    if channel in ("edxml", "gateway"):
        return organization.edxml_id
    return organization.edxml_id or organization.key


def recipients_of(document: Document) -> list[tuple[Organization, str]]:
    """The distinct organisations a document goes to, with the label printed for each."""
    seen: dict[int, tuple[Organization, str]] = {}
    for line in document.recipients:
        if line.organization is not None and line.organization.id != document.issuer_id:
            seen.setdefault(line.organization.id, (line.organization, line.label))
    return list(seen.values())


def enqueue_document(
    *,
    session: Session,
    document_id: int,
    channels: Sequence[str] = ("email",),
    actor: Person | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """Add one queued delivery per recipient organisation and channel; returns the new rows.

    Call it inside the issuing transaction. Enqueueing again adds only what is
    missing (one row per document, recipient and channel). Lines of "Nơi nhận"
    that name no organisation (``Như trên``, ``Lưu: VT``) get no delivery.
    """
    _check_channels(channels, CHANNELS)
    document = documents.get(session=session, document_id=document_id)
    if document.number is None:
        raise ValidationError(
            f"văn bản #{document_id} chưa có số; cấp số (ban hành) trước khi gửi", field="number"
        )
    existing = set(session.execute(
        select(Delivery.recipient_id, Delivery.channel).where(Delivery.document_id == document_id)
    ).tuples())
    moment = now or datetime.now(UTC)
    added = []
    for organization, label in recipients_of(document):
        for channel in channels:
            if (organization.id, channel) in existing:
                continue
            added.append(Delivery(
                document_id=document.id, recipient_id=organization.id, recipient_label=label,
                channel=channel, address=address_for(organization, channel),
                status=DeliveryStatus.QUEUED, attempts=0, next_attempt_at=moment,
                idempotency_key=f"cv{document.id}.{organization.id}.{channel}."
                                f"{secrets.token_hex(6)}",
            ))
    session.add_all(added)
    session.flush()
    if added:
        audit.record(session=session, action="enqueue", object_type="document",
                     object_id=document.id, actor=actor,
                     detail={"deliveries": [d.id for d in added], "channels": list(channels)})
    return added


def enqueue_notice(
    *,
    session: Session,
    recipient: Organization,
    subject: str,
    body: str,
    idempotency_key: str,
    channels: Sequence[str] = ("email",),
    sender: Organization | None = None,
    actor: Person | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """Add one queued delivery of a plain-text notice per channel; returns the new rows.

    Call it inside the transaction that records what the notice announces.
    ``idempotency_key`` (letters, digits, ``.``, ``_``, ``-``) names the notice:
    enqueueing the same key again adds only the channels still missing. Each
    delivery's own key, the e-mail Message-ID and the folder name, is
    ``<idempotency_key>.<channel>.<random>``.
    """
    _check_channels(channels, NOTICE_CHANNELS)
    if not _KEY.fullmatch(idempotency_key):
        raise ValidationError(
            f"khoá «{idempotency_key}» chỉ được gồm chữ không dấu, số, '.', '_', '-' "
            "(tối đa 140 ký tự)", field="idempotency_key")
    notice = session.scalar(select(Notice).where(Notice.key == idempotency_key))
    if notice is None:
        notice = Notice(key=idempotency_key, sender=sender, subject=nfc(subject), body=nfc(body))
        session.add(notice)
        session.flush()
    existing = set(session.scalars(select(Delivery.channel).where(
        Delivery.notice_id == notice.id)))
    moment = now or datetime.now(UTC)
    added = [Delivery(
        notice_id=notice.id, recipient_id=recipient.id,
        recipient_label=" ".join(recipient.name.split()), channel=channel,
        address=address_for(recipient, channel), status=DeliveryStatus.QUEUED, attempts=0,
        next_attempt_at=moment,
        idempotency_key=f"{idempotency_key}.{channel}.{secrets.token_hex(6)}",
    ) for channel in dict.fromkeys(channels) if channel not in existing]
    session.add_all(added)
    session.flush()
    if added:
        audit.record(session=session, action="enqueue", object_type="notice",
                     object_id=notice.id, actor=actor,
                     detail={"deliveries": [d.id for d in added], "channels": list(channels),
                             "key": idempotency_key})
    return added


def _check_channels(channels: Sequence[str], allowed: Sequence[str]) -> None:
    unknown = [c for c in channels if c not in allowed]
    if unknown:
        raise ValidationError(
            f"kênh gửi {unknown} không dùng được ở đây; dùng {', '.join(allowed)}",
            field="channels")
