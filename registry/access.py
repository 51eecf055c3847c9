"""Who may see which document: the rule every door (web, API, CLI) goes through.

A person sees the documents of their own organisation — issued by it, drafted
by its people, or registered in its incoming register — and the documents
addressed to it once they are issued. Never another organisation's drafts or
files. A document a person may not see does not exist for them: NotFound,
with the same message as a document that really does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from registry.errors import NotFound
from registry.models import (
    Delivery,
    Document,
    DocumentRecipient,
    DocumentStatus,
    Notice,
    Person,
    Register,
)

# Addressed documents become visible to their recipients once they leave the issuer.
SENT = (DocumentStatus.ISSUED, DocumentStatus.REVOKED)


def visible_to(actor: Person) -> ColumnElement[bool]:
    """A WHERE clause on Document: the rows ``actor`` may see."""
    org = actor.organization_id
    return or_(
        Document.issuer_id == org,
        Document.created_by_id.in_(select(Person.id).where(Person.organization_id == org)),
        Document.register_id.in_(select(Register.id).where(Register.organization_id == org)),
        and_(Document.status.in_(SENT),
             exists().where(DocumentRecipient.document_id == Document.id,
                            DocumentRecipient.organization_id == org)),
    )


def can_see(*, session: Session, document_id: int, actor: Person) -> bool:
    """True when ``actor`` may see document ``document_id``."""
    return session.scalar(select(Document.id).where(Document.id == document_id,
                                                    visible_to(actor))) is not None


def document(*, session: Session, document_id: int, actor: Person) -> Document:
    """The document if ``actor`` may see it; NotFound otherwise (as if it did not exist)."""
    found = session.scalar(select(Document).where(Document.id == document_id, visible_to(actor)))
    if found is None:
        raise NotFound(f"không có văn bản #{document_id}")
    return found


def documents(*, session: Session, actor: Person, status: DocumentStatus | None = None,
              limit: int = 500) -> Sequence[Document]:
    """The documents ``actor`` may see, newest first, optionally of one status."""
    query = select(Document).where(visible_to(actor))
    if status is not None:
        query = query.where(Document.status == status)
    return session.scalars(query.options(selectinload(Document.issuer))
                           .order_by(Document.id.desc()).limit(limit)).all()


def delivery_visible_to(actor: Person) -> ColumnElement[bool]:
    """A WHERE clause on Delivery: deliveries of documents (or notices) of the actor's side."""
    return or_(
        Delivery.document_id.in_(select(Document.id).where(
            Document.issuer_id == actor.organization_id)),
        Delivery.notice_id.in_(select(Notice.id).where(
            Notice.sender_id == actor.organization_id)),
    )


def delivery(*, session: Session, delivery_id: int, actor: Person) -> Delivery:
    """The delivery if it carries the actor's organisation's document or notice; else NotFound."""
    found = session.scalar(select(Delivery).where(Delivery.id == delivery_id,
                                                  delivery_visible_to(actor)))
    if found is None:
        raise NotFound(f"không có lượt gửi #{delivery_id}")
    return found
