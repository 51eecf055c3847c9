"""Who may see which document: the rule every door (web, API, CLI) goes through.

A person sees the documents of their own organisation — issued by it, drafted
by its people, or registered in its incoming register — and the documents
addressed to it once they are issued. Never another organisation's drafts or
files. A document a person may not see does not exist for them: NotFound,
with the same message as a document that really does not exist.

A secret document (độ mật MẬT, TỐI MẬT or TUYỆT MẬT in ``Document.secrecy``) is read — its page,
its files, its PDF — only by the people with the right (:func:`read_right`): its drafter, its
reviewers and signer, the văn thư who registered or issued it, the leaders it was presented
to, the persons and units assigned to handle it, a leader (head) of the organisation that
holds it, and persons the head granted it to (:func:`grant`). Anyone else in the organisation
still sees it in lists and registers (its existence is on the register) but is refused with
PermissionDenied (403), and the refusal is on the access log (registry.access_log). In those
lists, registers, exports and searches its trích yếu is replaced by a neutral placeholder for
them (:func:`shown_subject`); a search does not match on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from registry import audit
from registry.clock import now_utc
from registry.errors import NotFound, PermissionDenied, ValidationError
from registry.labels import HIDDEN_SUBJECT
from registry.models import (
    AuditEvent,
    Delivery,
    Direction,
    Document,
    DocumentGrant,
    DocumentRecipient,
    DocumentStatus,
    HandlingAssignment,
    HandlingEvent,
    IncomingArrival,
    Notice,
    Organization,
    Person,
    Register,
    ReviewStep,
)
from registry.text import nfc

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


# Độ mật (ND30 ô 10a; Law on protection of State secrets): the three marks, lowest first.
SECRECY_MARKS = ("MẬT", "TỐI MẬT", "TUYỆT MẬT")


def is_secret(document: Document) -> bool:
    """Whether the document carries a secrecy mark (any non-empty ``secrecy``)."""
    return bool((document.secrecy or "").strip())


def holder_id(*, session: Session, document: Document) -> int | None:
    """The organisation that holds the document: its issuer (outgoing) or the organisation
    whose incoming register holds it."""
    if document.direction is Direction.INCOMING and document.register_id is not None:
        return session.scalar(select(Register.organization_id)
                              .where(Register.id == document.register_id))
    return document.issuer_id


def _in_unit(person: Person, unit_id: int) -> bool:
    org: Organization | None = person.organization
    while org is not None:
        if org.id == unit_id:
            return True
        org = org.parent
    return False


def read_right(*, session: Session, document: Document, actor: Person) -> str | None:
    """Why ``actor`` may read ``document`` (a key of ``labels.READ_RIGHT``), or None.

    Every document that is not secret: "visible" (the visibility rule above decides). A
    secret one: the first right that applies, in the order of ``registry.labels.READ_RIGHT``.
    """
    if not is_secret(document):
        return "visible"
    doc_id = document.id
    if actor.id in (document.created_by_id, document.signer_id):
        return "author"
    if session.scalar(select(ReviewStep.id).where(ReviewStep.document_id == doc_id,
                                                  ReviewStep.reviewer_id == actor.id).limit(1)):
        return "reviewer"
    if session.scalar(select(IncomingArrival.id).where(
            IncomingArrival.document_id == doc_id,
            IncomingArrival.received_by_id == actor.id).limit(1)) or session.scalar(
            select(AuditEvent.id).where(AuditEvent.object_type == "document",
                                        AuditEvent.object_id == doc_id,
                                        AuditEvent.action.in_(("issue", "number")),
                                        AuditEvent.actor_id == actor.id).limit(1)):
        return "clerk"
    if session.scalar(select(HandlingEvent.id).where(HandlingEvent.document_id == doc_id,
                                                     HandlingEvent.kind == "present",
                                                     HandlingEvent.to_person_id == actor.id)
                      .limit(1)):
        return "presented"
    for row in session.scalars(select(HandlingAssignment).where(
            HandlingAssignment.document_id == doc_id, HandlingAssignment.status != "replaced")):
        if row.person_id == actor.id or (row.person_id is None and row.organization_id
                                         is not None and _in_unit(actor, row.organization_id)):
            return "handler"
    if actor.has_role("leader") and actor.organization_id == holder_id(session=session,
                                                                        document=document):
        return "head"
    if session.scalar(select(DocumentGrant.id).where(DocumentGrant.document_id == doc_id,
                                                     DocumentGrant.person_id == actor.id,
                                                     DocumentGrant.revoked_at.is_(None))):
        return "grant"
    return None


def may_see_subject(*, session: Session, document: Document, reader: Person | None) -> bool:
    """Whether ``reader`` may see the trích yếu of ``document`` in a list, a register, an export
    or a search: always for a document that is not secret; for a secret one only with the right
    to read it (:func:`read_right`). No reader (a command run without ``--as``) sees none."""
    if not is_secret(document):
        return True
    return reader is not None and read_right(session=session, document=document,
                                             actor=reader) is not None


def shown_subject(*, session: Session, document: Document, reader: Person | None) -> str:
    """The trích yếu ``reader`` sees: the document's, or the neutral placeholder of the label
    table (``labels.HIDDEN_SUBJECT``) for a secret document they may not read. The row itself —
    number, date, secrecy mark — stays: the register is complete and gapless."""
    if may_see_subject(session=session, document=document, reader=reader):
        return document.subject
    return HIDDEN_SUBJECT


def shown_subjects(*, session: Session, documents: Iterable[Document], reader: Person | None
                   ) -> dict[int, str]:
    """:func:`shown_subject` of each document, by id (what list templates print)."""
    out: dict[int, str] = {}
    for doc in documents:
        if doc.id not in out:
            out[doc.id] = shown_subject(session=session, document=doc, reader=reader)
    return out


def require_office_data(*, actor: Person | None, organization: Organization | None,
                        action: str, admin: bool = False) -> Person:
    """``actor`` if they may see ``organization``'s reports (or, with ``admin``, its access
    log): an active leader or văn thư of that very organisation — or, for the access log, its
    administrator. PermissionDenied otherwise, naming the person, the role and the office."""
    from registry.permissions import require_member, require_role

    roles = ("leader", "clerk", "admin") if admin else ("leader", "clerk")
    person = require_role(actor, *roles, action=action)
    if organization is None:
        raise PermissionDenied(f"{person.full_name} không thuộc cơ quan nào, không được {action}")
    require_member(person, organization.id, action=action,
                   organization_name=" ".join(organization.name.split()), unless_role=None)
    return person


def require_read(*, session: Session, document: Document, actor: Person) -> str:
    """The right ``actor`` reads ``document`` by; PermissionDenied naming the mark otherwise."""
    right = read_right(session=session, document=document, actor=actor)
    if right is None:
        raise PermissionDenied(
            f"văn bản #{document.id} là văn bản {document.secrecy}: {actor.full_name} không có "
            "quyền đọc (chỉ người soạn, người ký, người duyệt, văn thư đăng ký, người được giao "
            "xử lý, lãnh đạo cơ quan và người được lãnh đạo cho phép)")
    return right


def grant(*, session: Session, document_id: int, person: Person, by: Person,
          reason: str = "") -> DocumentGrant:
    """The head (a leader of the holding organisation) lets ``person`` read a secret document.

    Audited; granting twice keeps one grant (a revoked one is renewed)."""
    doc = document(session=session, document_id=document_id, actor=by)
    if not is_secret(doc):
        raise ValidationError(f"văn bản #{doc.id} không phải văn bản mật, ai trong cơ quan cũng "
                              "đọc được: không cần cho phép", field="văn bản")
    if not (by.has_role("leader") and by.organization_id == holder_id(session=session,
                                                                       document=doc)):
        raise PermissionDenied(f"{by.full_name} không phải lãnh đạo cơ quan giữ văn bản "
                               f"#{doc.id}, không được cho phép người khác đọc văn bản mật")
    row = session.scalar(select(DocumentGrant).where(DocumentGrant.document_id == doc.id,
                                                     DocumentGrant.person_id == person.id))
    if row is None:
        row = DocumentGrant(document_id=doc.id, person_id=person.id, granted_by_id=by.id,
                            granted_at=now_utc(), reason=nfc(reason)[:500])
        session.add(row)
    elif row.revoked_at is not None:
        row.revoked_at, row.granted_by_id, row.granted_at = None, by.id, now_utc()
    session.flush()
    audit.record(session=session, action="grant_read", object_type="document", object_id=doc.id,
                 actor=by, detail={"person": person.key, "reason": row.reason})
    return row

