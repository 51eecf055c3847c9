"""Document service: get, list_, create, update, issue_number, link.

The core rules live here so every entry point gets them: an issued document
never changes; a number is taken only inside the issuing transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from registry import audit
from registry.clock import local_date
from registry.doctypes import format_symbol, get_type
from registry.errors import ImmutableDocument, NotFound, NumberConflict, ValidationError
from registry.models import (
    Direction,
    Document,
    DocumentLink,
    DocumentRecipient,
    DocumentStatus,
    Organization,
    Person,
)
from registry.numbering import number_document, register_for
from registry.text import nfc as _nfc

FROZEN = {DocumentStatus.ISSUED, DocumentStatus.REVOKED, DocumentStatus.RECEIVED,
          DocumentStatus.REFUSED}
EDITABLE_FIELDS = {"subject", "body", "spec", "urgency", "secrecy", "drafting_unit", "due_date",
                   "doc_type"}
LINK_KINDS = {"cites", "answers", "instructs", "aggregates", "forwards", "corrects", "replaces",
              "reminds"}



def get(*, session: Session, document_id: int) -> Document:
    """The document, or NotFound."""
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"không có văn bản #{document_id}")
    return doc


def lock(*, session: Session, document_id: int) -> Document:
    """The document, its row locked until the transaction ends and re-read (PostgreSQL
    ``SELECT … FOR UPDATE``; SQLite's transactions already write one at a time), or NotFound.

    Whoever changes a document's state takes this first and checks the state after it: two
    issuers of one document (two flow runs, a run and a clerk) then act one after the other,
    and the second sees what the first did."""
    doc = session.get(Document, document_id, with_for_update=True, populate_existing=True)
    if doc is None:
        raise NotFound(f"không có văn bản #{document_id}")
    return doc


def list_(
    *, session: Session, status: DocumentStatus | None = None,
    direction: Direction | None = None, issuer_id: int | None = None, limit: int = 200,
) -> Sequence[Document]:
    """Documents, newest first, optionally filtered."""
    query = select(Document).order_by(Document.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Document.status == status)
    if direction is not None:
        query = query.where(Document.direction == direction)
    if issuer_id is not None:
        query = query.where(Document.issuer_id == issuer_id)
    return session.scalars(query).all()


def create(
    *, session: Session, doc_type: str, issuer: Organization, subject: str,
    body: str = "", spec: dict[str, Any] | None = None, drafting_unit: str | None = None,
    created_by: Person | None = None, recipients: Sequence[tuple[str, Organization | None]] = (),
    urgency: str | None = None, secrecy: str | None = None, due_date: date | None = None,
) -> Document:
    """A new outgoing draft. Flushes so the id is known."""
    get_type(doc_type)
    if not subject.strip():
        raise ValidationError("trích yếu không được để trống", field="subject")
    doc = Document(
        direction=Direction.OUTGOING, doc_type=doc_type, issuer=issuer,
        subject=_nfc(subject), body=_nfc(body), spec=_nfc(spec or {}),
        drafting_unit=drafting_unit, created_by=created_by, urgency=urgency, secrecy=secrecy,
        due_date=due_date, status=DocumentStatus.DRAFT,
        symbol=format_symbol(doc_type=doc_type, issuer_code=issuer.code,
                             drafting_unit=drafting_unit),
    )
    doc.recipients = [
        DocumentRecipient(label=_nfc(label), organization=org, kind="to", position=i)
        for i, (label, org) in enumerate(recipients)
    ]
    session.add(doc)
    session.flush()
    audit.record(session=session, action="create", object_type="document", object_id=doc.id,
                 actor=created_by, detail={"type": doc_type})
    return doc


def update(*, session: Session, document: Document, actor: Person | None = None,
           **changes: Any) -> Document:
    """Change editable fields of a document that is not issued; refuses otherwise."""
    if document.status in FROZEN:
        raise ImmutableDocument(
            f"văn bản {document.number_symbol or '#' + str(document.id)} đã ban hành, không được "
            "sửa; hãy ban hành văn bản đính chính hoặc thay thế"
        )
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"không sửa được trường {sorted(unknown)}", field=sorted(unknown)[0])
    for name, value in changes.items():
        setattr(document, name, _nfc(value))
    if {"doc_type", "drafting_unit"} & set(changes) and document.issuer is not None:
        document.symbol = format_symbol(doc_type=document.doc_type,
                                        issuer_code=document.issuer.code,
                                        drafting_unit=document.drafting_unit)
    audit.record(session=session, action="update", object_type="document", object_id=document.id,
                 actor=actor, detail={"fields": sorted(changes)})
    return document


def issue_number(*, session: Session, document: Document, on: datetime | date) -> Document:
    """Give the document its register number and issue date (inside the issuing transaction)."""
    if document.number is not None:
        raise ImmutableDocument(f"văn bản #{document.id} đã có số {document.number_symbol}")
    if document.issuer_id is None:
        raise ValidationError("văn bản chưa có cơ quan ban hành", field="issuer")
    register = register_for(session=session, organization_id=document.issuer_id,
                            direction=Direction.OUTGOING, doc_type=document.doc_type,
                            secret=bool(document.secrecy))
    session.flush()
    try:
        with session.begin_nested():
            number, year = number_document(session=session, document_id=document.id,
                                           register_id=register.id, on=on)
    except IntegrityError as exc:
        raise NumberConflict(
            f"văn bản #{document.id}: số và ký hiệu {document.symbol} năm {local_date(on).year} "
            "đã được cấp cho văn bản khác"
        ) from exc
    # The row was written by number_document; tell the ORM without marking it dirty.
    for name, value in (("number", number), ("year", year), ("register_id", register.id),
                        ("register", register), ("issue_date", local_date(on))):
        set_committed_value(document, name, value)
    audit.record(session=session, action="number", object_type="document", object_id=document.id,
                 detail={"number": number, "year": year, "symbol": document.symbol,
                         "register": register.code})
    return document


def link(*, session: Session, source: Document, target: Document, kind: str) -> DocumentLink:
    """Link two documents (idempotent)."""
    if kind not in LINK_KINDS:
        raise ValidationError(f"loại liên kết '{kind}' không hợp lệ", field="kind")
    existing = session.scalar(select(DocumentLink).where(
        DocumentLink.from_id == source.id, DocumentLink.to_id == target.id,
        DocumentLink.kind == kind))
    if existing is not None:
        return existing
    row = DocumentLink(from_id=source.id, to_id=target.id, kind=kind)
    session.add(row)
    session.flush()
    return row


def links(*, session: Session, document_id: int) -> Sequence[DocumentLink]:
    """Links from and to a document."""
    return session.scalars(select(DocumentLink).where(
        (DocumentLink.from_id == document_id) | (DocumentLink.to_id == document_id)
    ).order_by(DocumentLink.id)).all()


# signature_state: what the XML-DSig of an edXML arrival showed, recorded right after registering.
_FROZEN_MAY_CHANGE = {"status", "updated_at", "signature_state"}


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_issued(session: Session, _ctx: Any, _instances: Any) -> None:
    # Whatever the entry point (web, CLI, flow, a script), an issued document stays as issued.
    for obj in session.dirty:
        if not isinstance(obj, Document):
            continue
        state = inspect(obj)
        status_hist = state.attrs.status.history
        was = status_hist.deleted[0] if status_hist.deleted else obj.status
        if was not in FROZEN:
            continue
        changed = {a.key for a in state.attrs if a.history.has_changes()} - _FROZEN_MAY_CHANGE
        changed -= {"recipients", "files", "versions"}  # collections checked by their own rows
        if changed:
            raise ImmutableDocument(
                f"văn bản {obj.number_symbol or '#' + str(obj.id)} đã ban hành, không được sửa "
                f"({', '.join(sorted(changed))}); hãy ban hành văn bản đính chính hoặc thay thế"
            )
        # A registered incoming document may still be refused by the receiving office.
        refusable = was is DocumentStatus.RECEIVED and obj.status is DocumentStatus.REFUSED
        if obj.status not in (was, DocumentStatus.REVOKED) and not refusable:
            raise ImmutableDocument(f"văn bản {obj.number_symbol} đã ban hành; chỉ có thể thu hồi")
