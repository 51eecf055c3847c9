"""From registry rows to document specs and drafts; approval and issuing as plain calls.

Approval is data: :func:`submit` leaves a draft "submitted" (awaiting the
leader), :func:`decide` records the leader's decision, :func:`issue_approved`
numbers what was approved and runs the after-issue hook (deliveries). When
``signing.approvals`` is installed its state machine is used instead of the
minimal one here (see :func:`_signing`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, documents
from registry.errors import InvalidTransition
from registry.models import Document, DocumentStatus, Organization, Person, SigningRight
from registry.numbering import VN_TZ  # noqa: F401 - the zone dates are printed in

OnIssued = Callable[[Session, Document], None]


def one_line(text: str) -> str:
    """A printed name on one line ("BAN CHỈ ĐẠO …\\nTỈNH" → "BAN CHỈ ĐẠO … TỈNH")."""
    return " ".join(text.split())


def signature_for(session: Session, signer: Person, issuer: Organization,
                  doc_type: str) -> dict[str, Any]:
    """The spec's signature block from the signer's signing right for this issuer and type."""
    rights = session.scalars(select(SigningRight).where(
        SigningRight.person_id == signer.id, SigningRight.issuer_id == issuer.id)).all()
    right = next((r for r in rights if not r.doc_types or doc_type in r.doc_types), None)
    block: dict[str, Any] = {"name": signer.full_name, "title": signer.title}
    if right is not None and right.authority:
        block["authority"] = right.authority
        if right.on_behalf_of:
            block["on_behalf_of"] = right.on_behalf_of
        if right.for_title:
            block["for_title"] = right.for_title
    return block


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


def create_draft(*, session: Session, spec: dict[str, Any], issuer: Organization,
                 units: Sequence[Organization], signer: Person | None = None,
                 created_by: Person | None = None) -> Document:
    """A draft with ``spec``; one delivery address line per unit (printed lines stay in spec)."""
    doc = documents.create(
        session=session, doc_type=spec["type"], issuer=issuer, subject=spec["subject"],
        body=spec["body"], spec=spec, drafting_unit=spec.get("drafting_unit"),
        created_by=created_by, recipients=[(one_line(u.name), u) for u in units])
    doc.signer = signer
    return doc


def _signing() -> Any | None:
    try:
        from signing import approvals  # type: ignore[attr-defined]
    except ImportError:
        return None
    return approvals if hasattr(approvals, "approve") else None


def submit(*, session: Session, document_id: int, actor: Person | None = None) -> Document:
    """Send a draft to the leader: the flow ends here, "awaiting approval"."""
    doc = documents.get(session=session, document_id=document_id)
    if doc.status in (DocumentStatus.SUBMITTED, DocumentStatus.APPROVED, DocumentStatus.SIGNED,
                      DocumentStatus.ISSUED):
        return doc  # already on its way: idempotent
    if doc.status not in (DocumentStatus.DRAFT, DocumentStatus.RETURNED):
        raise InvalidTransition(f"văn bản #{doc.id} đang ở trạng thái {doc.status.value}")
    doc.status = DocumentStatus.SUBMITTED
    audit.record(session=session, action="submit", object_type="document", object_id=doc.id,
                 actor=actor)
    return doc


def decide(*, session: Session, document_id: int, approver: Person, approve: bool = True,
           comment: str | None = None, preauthorised: bool = False) -> Document:
    """Record the leader's decision on a submitted draft (the official record)."""
    doc = documents.get(session=session, document_id=document_id)
    if doc.status in (DocumentStatus.APPROVED, DocumentStatus.SIGNED, DocumentStatus.ISSUED):
        return doc
    if doc.status is not DocumentStatus.SUBMITTED:
        raise InvalidTransition(f"văn bản #{doc.id} chưa trình ký (trạng thái {doc.status.value})")
    if approve and not approver.has_role("leader"):
        raise InvalidTransition(f"{approver.full_name} không có vai trò lãnh đạo để duyệt")
    doc.status = DocumentStatus.APPROVED if approve else DocumentStatus.RETURNED
    doc.signer = approver if approve else doc.signer
    audit.record(session=session, action="approve" if approve else "return",
                 object_type="document", object_id=doc.id, actor=approver,
                 detail={"comment": comment, "preauthorised": preauthorised})
    return doc


def issue_approved(*, session: Session, document_id: int, on: date,
                   on_issued: OnIssued | None = None) -> Document:
    """Number and issue an approved document, then run ``on_issued`` in the same transaction."""
    doc = documents.get(session=session, document_id=document_id)
    if doc.status is DocumentStatus.ISSUED:
        return doc
    if doc.status not in (DocumentStatus.APPROVED, DocumentStatus.SIGNED):
        raise InvalidTransition(f"văn bản #{doc.id} chưa được duyệt (trạng thái {doc.status.value})")
    documents.issue_number(session=session, document=doc, on=on)
    doc.spec = {**doc.spec, "number": doc.number, "date": on.isoformat()}
    doc.status = DocumentStatus.ISSUED
    audit.record(session=session, action="issue", object_type="document", object_id=doc.id,
                 detail={"number": doc.number_symbol})
    if on_issued is not None:
        on_issued(session, doc)
    return doc


def approved_not_issued(*, session: Session) -> list[int]:
    """Ids of outgoing documents approved (or signed) but not yet issued — the reconciler's work."""
    return list(session.scalars(select(Document.id).where(
        Document.status.in_([DocumentStatus.APPROVED, DocumentStatus.SIGNED])
    ).order_by(Document.id)))


def render_files(*, session: Session, document_id: int, files_dir: Path,
                 pdf: Any | None = None, signer: Any | None = None) -> dict[str, Path]:
    """Render the issued document to .docx (and PDF / signed PDF when given the tools)."""
    import hashlib

    from doc_templates.render import render_docx
    from doc_templates.spec import parse_spec
    from registry.models import DocumentFile

    doc = documents.get(session=session, document_id=document_id)
    folder = files_dir / "documents" / str(doc.id)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{doc.year or ''}-{doc.number_symbol or f'du-thao-{doc.id}'}".replace("/", "_")
    out: dict[str, Path] = {}
    docx = folder / f"{stem}.docx"
    docx.write_bytes(render_docx(parse_spec(doc.spec)))
    out["docx"] = docx
    if pdf is not None:
        pdf_path = Path(pdf.convert_many([docx], folder)[0])
        out["pdf"] = pdf_path
        if signer is not None:
            signed = folder / f"{stem}.signed.pdf"
            signed.write_bytes(signer(pdf_path.read_bytes(), doc))
            out["signed_pdf"] = signed
    have = {f.kind for f in doc.files}
    for kind, path in out.items():
        if kind in have:
            continue
        data = path.read_bytes()
        session.add(DocumentFile(document_id=doc.id, kind=kind, path=str(path),
                                 sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
    session.flush()
    return out
