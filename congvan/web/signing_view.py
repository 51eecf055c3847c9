"""What the document page adds around signing and issuing: whether the signed-in leader may
sign now (and how), whether the văn thư may issue (and where it will go), and the deliveries
per recipient and channel with their state and reason, for the HTMX-refreshed panel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from congvan.settings import Settings
from congvan.web import document_view
from outbox import deliveries
from registry.models import Delivery, DeliveryStatus, Document, DocumentStatus, Person

# A delivery the relay still works on: the panel keeps asking for news while one is left.
PENDING = {DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.FAILED}


class Converter:
    """``convert_bytes`` over the web's one-at-a-time LibreOffice conversion."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def convert_bytes(self, docx: bytes) -> bytes:
        """The PDF of ``docx``."""
        return document_view.convert(settings=self.settings, docx=docx)


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery as the văn thư reads it."""

    delivery: Delivery
    state: str  # queued | sending | sent | failed | dead | acknowledged (label keys)
    reason: str | None
    can_retry: bool


def is_issuing_clerk(document: Document, actor: Person | None) -> bool:
    """The actor is a văn thư of the document's issuing organisation."""
    return (actor is not None and actor.has_role("clerk")
            and actor.organization_id == document.issuer_id)


def context(*, session: Session, settings: Settings, document: Document,
            actor: Person | None) -> dict[str, Any]:
    """The sign and issue panels' variables for the document page."""
    from outbox import recipients as delivery_plan
    from signing import certificates, person

    out: dict[str, Any] = {"can_sign": False, "can_issue": False, "sign_error": None,
                           "issue_error": None, "token_held": settings.pkcs11_module is not None,
                           "certificates": [], "issue_plan": None}
    if actor is None:
        return out
    if document.status in {DocumentStatus.APPROVED, DocumentStatus.SIGNED} and \
            actor.has_role("leader") and \
            person.may_sign(session=session, document_id=document.id, actor=actor):
        out["can_sign"] = True
        out["certificates"] = certificates.usable_of(session=session, person=actor)
    if document.status is DocumentStatus.SIGNED and is_issuing_clerk(document, actor) and \
            person.person_signature(session=session, document_id=document.id) is not None:
        out["can_issue"] = True
        out["issue_plan"] = delivery_plan.plan(session=session, document_id=document.id)
    out.update(delivery_context(session=session, document=document, actor=actor))
    return out


def delivery_context(*, session: Session, document: Document,
                     actor: Person | None) -> dict[str, Any]:
    """The deliveries panel's variables: rows per recipient line and whether to keep polling."""
    clerk = is_issuing_clerk(document, actor)
    # In the order the lines were written (the order they were queued), not by name.
    rows = [_row(d, clerk) for d in sorted(
        deliveries.for_document(session=session, document_id=document.id), key=lambda d: d.id)]
    return {"delivery_rows": rows,
            "deliveries_pending": any(r.delivery.status in PENDING for r in rows)}


def _row(delivery: Delivery, clerk: bool) -> DeliveryRow:
    state = "acknowledged" if delivery.acknowledged_at is not None else delivery.status.value
    failed = delivery.status in {DeliveryStatus.FAILED, DeliveryStatus.DEAD}
    return DeliveryRow(delivery=delivery, state=state,
                       reason=deliveries.reason(delivery) if failed else None,
                       can_retry=clerk and failed)
