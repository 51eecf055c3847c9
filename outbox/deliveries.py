"""Delivery service: what the clerk sees (counts, dead letters, per recipient) and re-queueing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import audit
from registry.errors import InvalidTransition, NotFound
from registry.models import Delivery, DeliveryStatus, Person
from registry.permissions import require_member, require_role

PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class Summary:
    """The outbox at a glance."""

    counts: dict[str, int]
    oldest_pending: datetime | None
    dead: Sequence[Delivery]


def get(*, session: Session, delivery_id: int) -> Delivery:
    """The delivery, or NotFound."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"không có lượt gửi #{delivery_id}")
    return delivery


def summary(*, session: Session, dead_limit: int = 50) -> Summary:
    """Counts by status, the creation time of the oldest pending delivery, the dead letters."""
    counts = {s.value: 0 for s in DeliveryStatus}
    for status, count in session.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status)
    ).tuples():
        counts[DeliveryStatus(status).value] = count
    oldest = session.scalar(
        select(func.min(Delivery.created_at)).where(Delivery.status.in_(PENDING))
    )
    dead = session.scalars(
        select(Delivery).where(Delivery.status == DeliveryStatus.DEAD)
        .order_by(Delivery.id).limit(dead_limit)
    ).all()
    return Summary(counts, oldest, dead)


def state(delivery: Delivery) -> str:
    """queued / sent / failed / acknowledged, as a clerk reads a delivery."""
    if delivery.acknowledged_at is not None:
        return "acknowledged"
    if delivery.status is DeliveryStatus.SENT:
        return "sent"
    if delivery.status is DeliveryStatus.DEAD:
        return "failed"
    return "queued"


_SMTP_CODE = re.compile(r"^SMTP (\d{3}) (.*)$", re.S)


def reason(delivery: Delivery) -> str | None:
    """Why the delivery failed, in Vietnamese for the văn thư (the server's own words kept):
    an SMTP reply code says whether the recipient's server refused for good or for now."""
    text = (delivery.last_error or "").strip()
    if not text:
        return None
    coded = _SMTP_CODE.match(text)
    if coded:
        code, said = int(coded.group(1)), coded.group(2).strip()
        if code >= 500:
            return (f"Máy chủ thư nơi nhận từ chối (mã {code}): {said}. Kiểm tra địa chỉ e-mail "
                    "trong danh bạ rồi bấm Gửi lại.")
        return (f"Máy chủ thư nơi nhận tạm thời chưa nhận (mã {code}): {said}. Hệ thống sẽ tự "
                "gửi lại; cũng có thể bấm Gửi lại.")
    if text.startswith("SMTP: "):
        return (f"Không gửi được tới máy chủ thư ({text.removeprefix('SMTP: ')}). Kiểm tra "
                "máy chủ thư (CONGVAN_SMTP_HOST) rồi bấm Gửi lại.")
    return text


def carries(delivery: Delivery) -> str:
    """What a delivery carries, as a clerk reads it: the document's number, or the notice."""
    if delivery.notice is not None:
        return f"Thông báo: {delivery.notice.subject}"
    document = delivery.document
    return (document.number_symbol if document else None) or f"#{delivery.document_id}"


def for_document(*, session: Session, document_id: int) -> Sequence[Delivery]:
    """The deliveries of one document, by recipient then channel."""
    return session.scalars(
        select(Delivery).where(Delivery.document_id == document_id)
        .order_by(Delivery.recipient_label, Delivery.channel)
    ).all()


def retry(*, session: Session, delivery_id: int, actor: Person,
          now: datetime | None = None) -> Delivery:
    """Put a dead (or failed) delivery back in the queue, due now, with a fresh attempt count.

    ``actor`` must be a văn thư of the sending organisation, or an administrator.
    """
    delivery = get(session=session, delivery_id=delivery_id)
    action = f"gửi lại lượt gửi #{delivery_id}"
    require_role(actor, "clerk", "admin", action=action)
    sender = delivery.document.issuer if delivery.document is not None else (
        delivery.notice.sender if delivery.notice is not None else None)
    if sender is not None:
        require_member(actor, sender.id, action=action, organization_name=sender.name_in_text)
    if delivery.status not in (DeliveryStatus.DEAD, DeliveryStatus.FAILED):
        raise InvalidTransition(
            f"lượt gửi #{delivery_id} đang ở trạng thái {delivery.status.value}; chỉ gửi lại "
            "được lượt đã thất bại"
        )
    audit.record(session=session, action="requeue", object_type="delivery",
                 object_id=delivery.id, actor=actor,
                 detail={"attempts": delivery.attempts, "last_error": delivery.last_error or ""})
    delivery.status = DeliveryStatus.QUEUED
    delivery.attempts = 0
    delivery.next_attempt_at = now or datetime.now(UTC)
    session.flush()
    return delivery
