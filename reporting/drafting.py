"""From registry rows to document specs and drafts; approval and issuing through signing.

Approval is data. :func:`submit` routes a draft to its reviewers in order
(:func:`signing.approvals.submit`) and the flow ends there, "awaiting
approval". :func:`decide` records a reviewer's decision: an approval
(:func:`signing.approvals.approve`), followed by the competent person's
ký duyệt (:func:`signing.approvals.sign`) when the approver may sign it, or a
return with a comment. :func:`issue_signed` is the clerk's act: number, render,
PDF, the person's and the organisation's PAdES signatures, stored files, all by
:func:`signing.issuing.issue` in the caller's transaction, with ``on_issued``
(the outbox deliveries) in that same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import documents
from registry.clock import VIETNAM as VN_TZ
from registry.clock import local_today
from registry.errors import PermissionDenied
from registry.models import Document, DocumentStatus, Organization, Person
from signing import approvals, authority, issuing

S = DocumentStatus
OnIssued = Callable[[Session, Document], None]
ISSUE_HOUR = time(8, 0)  # documents of a flow's day are issued at 08:00, Vietnam time


def one_line(text: str) -> str:
    """A printed name on one line ("BAN CHỈ ĐẠO …\\nTỈNH" → "BAN CHỈ ĐẠO … TỈNH")."""
    return " ".join(text.split())


def signature_for(session: Session, signer: Person, issuer: Organization,
                  doc_type: str) -> dict[str, Any]:
    """The signature block ``signer`` would sign with (derived from their right, as
    :mod:`signing.authority` does); name and title only when they hold no right."""
    try:
        return authority.signature_block(session=session, person=signer, issuer_id=issuer.id,
                                         doc_type=doc_type, on=local_today()).as_spec()
    except PermissionDenied:
        return {"name": signer.full_name, "title": signer.title}


def base_spec(*, session: Session, doc_type: str, issuer: Organization, signer: Person,
              subject: str, body: str, recipients: Sequence[str] = (),
              distribution: Sequence[str] = (), drafting_unit: str | None = None,
              archive: str | None = None) -> dict[str, Any]:
    """A doc_templates spec (as a dict) for an outgoing document, number and date left blank."""
    return {
        "type": doc_type,
        "issuer": {"parent": issuer.header_parent, "name": issuer.name, "code": issuer.code},
        "drafting_unit": drafting_unit,
        "place": issuer.place or "",
        "subject": subject,
        "recipients": list(recipients),
        "body": body,
        "signature": signature_for(session, signer, issuer, doc_type),
        "distribution": list(distribution),
        "archive": archive or f"VT, {drafting_unit or issuer.code}",
    }


def clerk_of(session: Session, issuer: Organization) -> Person | None:
    """The issuer's văn thư (first active person with the clerk role), if any."""
    people = session.scalars(select(Person).where(Person.organization_id == issuer.id)
                             .order_by(Person.id)).all()
    return next((p for p in people if p.active and p.has_role("clerk")), None)


def _clerk(session: Session, doc: Document, clerk: Person | None) -> Person:
    assert doc.issuer is not None
    found = clerk or clerk_of(session, doc.issuer)
    if found is None:
        raise PermissionDenied(f"{doc.issuer.code} chưa có văn thư (vai trò clerk) để trình và "
                               "ban hành văn bản; thêm một người có vai trò clerk vào danh bạ")
    return found


def create_draft(*, session: Session, spec: dict[str, Any], issuer: Organization,
                 units: Sequence[Organization], signer: Person | None = None,
                 created_by: Person | None = None) -> Document:
    """A draft with ``spec``; one delivery address line per unit (printed lines stay in spec).

    Drafted by ``created_by``, else by the issuer's văn thư on the flow's behalf.
    """
    doc = documents.create(
        session=session, doc_type=spec["type"], issuer=issuer, subject=spec["subject"],
        body=spec["body"], spec=spec, drafting_unit=spec.get("drafting_unit"),
        created_by=created_by or clerk_of(session, issuer),
        recipients=[(one_line(u.name), u) for u in units])
    doc.signer = signer
    return doc


def submit(*, session: Session, document_id: int, files_root: Path,
           reviewers: Sequence[Person] = (), signer: Person | None = None,
           actor: Person | None = None) -> Document:
    """Send a draft to its reviewers, in order: the flow ends here, "awaiting approval".

    Idempotent: a draft already on its way is left alone. ``actor`` defaults to the
    drafter (else the issuer's văn thư).
    """
    doc = documents.get(session=session, document_id=document_id)
    if doc.status in (S.SUBMITTED, S.APPROVED, S.SIGNED, S.ISSUED):
        return doc
    who = actor or doc.created_by or _clerk(session, doc, None)
    approvals.submit(session=session, document_id=doc.id, actor=who, files_root=files_root,
                     reviewers=reviewers, signer=signer)
    return doc


def _may_sign(session: Session, doc: Document, person: Person) -> bool:
    if not person.has_role("leader"):
        return False
    assert doc.issuer_id is not None
    try:
        authority.right_for(session=session, person=person, issuer_id=doc.issuer_id,
                            doc_type=doc.doc_type, on=local_today())
    except PermissionDenied:
        return False
    return True


def decide(*, session: Session, document_id: int, approver: Person, approve: bool = True,
           comment: str | None = None, preauthorised: bool = False) -> Document:
    """Record a reviewer's decision on a submitted draft (the official record).

    Approving moves the draft to the next reviewer, or to "approved" after the last;
    an approver who may sign it then signs (ký duyệt), leaving it "signed", ready for
    the clerk to issue. ``approve=False`` returns it to the drafter with ``comment``.
    ``preauthorised`` marks a decision given in advance (the đôn đốc công văn).
    """
    doc = documents.get(session=session, document_id=document_id)
    if doc.status in (S.SIGNED, S.ISSUED):
        return doc
    if not approve:
        if doc.status is not S.RETURNED:
            approvals.return_(session=session, document_id=doc.id, actor=approver,
                              comment=comment or "Đề nghị sửa lại dự thảo")
        return doc
    if preauthorised and not comment:
        comment = "Đồng ý ban hành (đã cho ý kiến trước)"
    if doc.status is S.SUBMITTED:
        approvals.approve(session=session, document_id=doc.id, actor=approver, comment=comment)
    if doc.status is S.APPROVED and _may_sign(session, doc, approver):
        approvals.sign(session=session, document_id=doc.id, actor=approver)
    return doc


def issue_moment(on: date) -> datetime:
    """When a document issued "on" a flow's day is issued (08:00 Vietnam time)."""
    return datetime.combine(on, ISSUE_HOUR, tzinfo=VN_TZ)


def issue_signed(*, session: Session, document_id: int, on: date, tools: Any,
                 files_root: Path, clerk: Person | None = None,
                 on_issued: OnIssued | None = None) -> Document:
    """Issue a signed document through :func:`signing.issuing.issue` (idempotent).

    ``tools`` is a :class:`workflows.issuance.Tools`; ``clerk`` defaults to the issuer's
    văn thư. ``on_issued`` runs in the same transaction.
    """
    # Locked first: two runs of the reconciler (or a run and a clerk) issue one after the
    # other, and the second finds the document issued instead of numbering it again.
    doc = documents.lock(session=session, document_id=document_id)
    if doc.status is S.ISSUED:
        return doc
    # The leader who decided signs the final PDF with their own key first (if not yet done).
    tools.sign_for_signer(session=session, doc=doc, files_root=files_root, on=on)
    issuing.issue(session=session, document_id=doc.id, actor=_clerk(session, doc, clerk),
                  keys=tools.keys, files_root=files_root, on=issue_moment(on),
                  on_issued=on_issued)
    return doc


issue_approved = issue_signed  # the name the flows used before signing.issuing


def signed_not_issued(*, session: Session) -> list[int]:
    """Ids of outgoing documents signed but not yet issued — the reconciler's work."""
    return list(session.scalars(select(Document.id).where(Document.status == S.SIGNED)
                                .order_by(Document.id)))


approved_not_issued = signed_not_issued
