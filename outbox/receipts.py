"""Receipts: a delivery is acknowledged by its link, by an edXML Status, or by a clerk.

The link carries a token ``<delivery id>.<HMAC-SHA256 of the id>``: it names
one delivery and cannot be guessed or changed without the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from outbox.edxml.model import StatusMessage
from outbox.edxml.status import acknowledges, receipt_state
from outbox.errors import ReceiptError
from registry import audit
from registry.clock import VIETNAM as VN_TZ
from registry.models import Delivery, DeliveryStatus, Document, Organization, Person

EDXML_CHANNELS = ("edxml", "gateway")
REVOCATION_ANSWERS = frozenset({"15", "16"})


def _mac(secret: str, delivery_id: int) -> str:
    digest = hmac.new(secret.encode(), f"delivery:{delivery_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode("ascii")


def make_token(*, secret: str, delivery_id: int) -> str:
    """The acknowledgement token of a delivery."""
    return f"{delivery_id}.{_mac(secret, delivery_id)}"


def delivery_id_of(*, secret: str, token: str) -> int:
    """The delivery a token names; ReceiptError when it is malformed or forged."""
    raw_id, _, mac = token.strip().partition(".")
    if not raw_id.isdigit() or not hmac.compare_digest(mac, _mac(secret, int(raw_id))):
        raise ReceiptError("Đường dẫn xác nhận không hợp lệ hoặc đã bị sửa.")
    return int(raw_id)


@dataclass(frozen=True)
class AckLinks:
    """How acknowledgement links are made: the public base URL and the signing secret."""

    base_url: str
    secret: str

    def url(self, delivery_id: int) -> str:
        """``<base>/xac-nhan/<token>``."""
        token = make_token(secret=self.secret, delivery_id=delivery_id)
        return f"{self.base_url.rstrip('/')}/xac-nhan/{token}"


def _mark(session: Session, delivery: Delivery, *, how: str, at: datetime,
          actor: Person | None = None, detail: dict[str, str] | None = None) -> Delivery:
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at = at
        delivery.status = DeliveryStatus.ACKNOWLEDGED
        audit.record(session=session, action="acknowledge", object_type="delivery",
                     object_id=delivery.id, actor=actor, detail={"how": how, **(detail or {})})
        session.flush()
    return delivery


def acknowledge(*, session: Session, token: str, secret: str,
                at: datetime | None = None) -> Delivery:
    """Record that the recipient opened the acknowledgement link (idempotent)."""
    delivery = session.get(Delivery, delivery_id_of(secret=secret, token=token))
    if delivery is None:
        raise ReceiptError("Đường dẫn xác nhận không còn hiệu lực (không có lượt gửi này).")
    return _mark(session, delivery, how="link", at=at or datetime.now(UTC))


def acknowledge_by_hand(*, session: Session, delivery_id: int, actor: Person | None = None,
                        at: datetime | None = None) -> Delivery:
    """A clerk records that the recipient has the document (phone call, signed slip)."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise ReceiptError(f"Không có lượt gửi #{delivery_id}.")
    return _mark(session, delivery, how="clerk", at=at or datetime.now(UTC), actor=actor)


def apply_status(*, session: Session, status: StatusMessage) -> list[Delivery]:
    """Apply an edXML Status message to our edXML deliveries of the document it answers.

    The document is matched by its full DocumentId — issuer OrganId, promulgation date
    and number/symbol (the same number/symbol recurs every year) — and the recipient by
    the Status's From/OrganId. Acknowledging codes (01, 03–06) set acknowledged_at; every
    code is kept on the delivery (payload ``receipt_code``/``receipt_state``) and in the
    audit log. 15/16 answer a revocation: they go to the revocation's delivery.
    """
    state = receipt_state(status.status_code)
    key = status.response_for.key
    if key is None:
        raise ReceiptError("Thông điệp trạng thái không nêu DocumentId dạng «mã cơ quan,"
                           "YYYY/MM/DD,số/ký hiệu»; không biết văn bản nào.")
    number, _, symbol = key.number_symbol.partition("/")
    issuer = aliased(Organization)
    rows = session.scalars(
        select(Delivery).join(Document, Delivery.document_id == Document.id)
        .join(Organization, Delivery.recipient_id == Organization.id)
        .join(issuer, Document.issuer_id == issuer.id)
        .where(Document.symbol == symbol, Document.issue_date == key.issued,
               issuer.edxml_id == key.organ_id,
               Organization.edxml_id == status.sender.organ_id,
               Delivery.channel.in_(EDXML_CHANNELS))
    ).all()
    matched = [d for d in rows if d.document is not None and d.document.number == _int(number)]
    revocations = [d for d in matched if d.kind == "revoke"]
    if status.status_code in REVOCATION_ANSWERS and revocations:
        matched = revocations
    else:
        matched = [d for d in matched if d.kind == ""]
    if not matched:
        raise ReceiptError(
            f"Không tìm thấy văn bản {key} đã gửi qua trục liên thông cho "
            f"{status.sender.organ_id}.")
    for delivery in matched:
        audit.record(session=session, action=f"status:{status.status_code}",
                     object_type="delivery", object_id=delivery.id,
                     actor_label=status.staff.staff or status.sender.name,
                     detail={"state": state.value, "description": status.description})
        delivery.payload = {**(delivery.payload or {}), "receipt_code": status.status_code,
                            "receipt_state": state.value,
                            "receipt_description": status.description}
        if acknowledges(status.status_code):
            _mark(session, delivery, how=f"edxml:{status.status_code}",
                  at=status.timestamp.replace(tzinfo=status.timestamp.tzinfo or VN_TZ))
    session.flush()
    return matched


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None
