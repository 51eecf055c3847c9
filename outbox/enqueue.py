"""Adding deliveries in the transaction that issues a document (the transactional outbox).

The rows are written with the issue itself, so either the document is issued
*and* its deliveries exist, or neither: a delivery is never lost between the
two. Nothing here commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, documents
from registry.errors import ValidationError
from registry.models import Delivery, DeliveryStatus, Document, Organization, Person

CHANNELS = ("email", "folder", "edxml")


def address_for(organization: Organization, channel: str) -> str | None:
    """Where a channel reaches an organisation: its e-mail, its edXML id, or its folder."""
    if channel == "email":
        return organization.email
    if channel == "edxml":
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
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ValidationError(
            f"kênh gửi {unknown} không có; dùng {', '.join(CHANNELS)}", field="channels"
        )
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
