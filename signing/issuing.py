"""Issuing (ban hành) a signed document, in one transaction, and correcting an issued one.

ND30 art. 14–15 and §5 of ND30.md: after the competent person's decision the
register gives the number and the issue date; the final .docx and PDF are
rendered with them; the person's PAdES signature, then the organisation's, are
applied; both files are hashed, stored and recorded; the document becomes
issued. The caller's ``on_issued`` hook (the outbox, in workflows or the CLI)
runs in the same transaction, so deliveries exist if and only if the document
was issued. signing does not import outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from doc_templates.render import render_docx
from registry import audit, documents
from registry.errors import PermissionDenied, ValidationError
from registry.models import Document, DocumentFile, DocumentStatus, Person
from signing import storage
from signing.approvals import STATUS_LABELS, require_status
from signing.specs import spec_for

CORRECTION_KINDS = {"corrects", "replaces"}


class PdfSigner(Protocol):
    """Anything that signs a PDF and returns the signed bytes (PadesSigner bound to its
    appearance, or a test fake)."""

    def sign_pdf(self, pdf: bytes, /) -> bytes:
        """Return ``pdf`` with one more signature."""
        ...


class PdfConverterLike(Protocol):
    """What issuing needs of :class:`doc_templates.pdf.PdfConverter`."""

    def convert_bytes(self, docx: bytes) -> bytes:
        """The PDF of a .docx."""
        ...


@dataclass(frozen=True)
class Issued:
    """An issued document and its two stored files."""

    document: Document
    docx: DocumentFile
    pdf: DocumentFile


def issue(
    *, session: Session, document_id: int, actor: Person, converter: PdfConverterLike,
    person_signer: PdfSigner, organization_signer: PdfSigner, files_root: Path,
    on: datetime | None = None, on_issued: Callable[[Session, Document], None] | None = None,
) -> Issued:
    """Number, render, sign twice, store and issue a signed document (the clerk's act).

    Never commits; if anything fails the caller's transaction rolls back and the
    number was never consumed.
    """
    doc = documents.get(session=session, document_id=document_id)
    require_status(doc, {DocumentStatus.SIGNED}, "ban hành")
    if not actor.has_role("clerk"):
        raise PermissionDenied(f"chỉ văn thư mới cấp số và ban hành văn bản; {actor.full_name} "
                               "không có vai trò văn thư (clerk)")
    if not doc.signature_block:
        raise ValidationError(f"văn bản #{doc.id} chưa có khối chữ ký", field="signature_block")
    moment = on or datetime.now(UTC)
    documents.issue_number(session=session, document=doc, on=moment)
    assert doc.number is not None and doc.year is not None and doc.issue_date is not None
    spec = spec_for(doc, signature=doc.signature_block, number=doc.number, on=doc.issue_date)
    docx = render_docx(spec, today=doc.issue_date)
    pdf = converter.convert_bytes(docx)
    signed = organization_signer.sign_pdf(person_signer.sign_pdf(pdf))
    stem = (doc.number_symbol or str(doc.id)).replace("/", "_")
    rows = []
    for kind, suffix, data in (("docx", ".docx", docx), ("signed_pdf", ".pdf", signed)):
        stored = storage.store(files_root, document_id=doc.id, year=doc.year, stem=stem,
                               suffix=suffix, data=data)
        row = DocumentFile(document_id=doc.id, kind=kind, path=stored.path, sha256=stored.sha256,
                           size=stored.size)
        session.add(row)
        rows.append(row)
    before = doc.status
    doc.status = DocumentStatus.ISSUED
    session.flush()
    audit.record(session=session, action="issue", object_type="document", object_id=doc.id,
                 actor=actor, detail={"from": before.value, "to": doc.status.value,
                                      "number": doc.number_symbol,
                                      "issue_date": doc.issue_date.isoformat(),
                                      "files": {r.kind: r.sha256 for r in rows}})
    if on_issued is not None:
        on_issued(session, doc)
    session.flush()
    return Issued(document=doc, docx=rows[0], pdf=rows[1])


def correct(*, session: Session, document_id: int, actor: Person, kind: str) -> Document:
    """A new draft that corrects (đính chính) or replaces (thay thế) an issued document.

    ND30 art. 10: errors of format or procedure are corrected by công văn; errors of content
    are replaced by a document of the same type. The new draft links to the old one.
    """
    if kind not in CORRECTION_KINDS:
        raise ValidationError("chọn 'corrects' (đính chính) hoặc 'replaces' (thay thế)",
                              field="kind")
    old = documents.get(session=session, document_id=document_id)
    if old.status is not DocumentStatus.ISSUED:
        raise ValidationError(
            f"chỉ đính chính hoặc thay thế văn bản đã ban hành; văn bản #{old.id} đang "
            f"'{STATUS_LABELS[old.status]}' — hãy sửa trực tiếp bản dự thảo", field="document_id")
    if not (actor.has_role("clerk") or actor.has_role("leader")):
        raise PermissionDenied(f"{actor.full_name} không có quyền soạn văn bản đính chính")
    assert old.issuer is not None
    if kind == "corrects":
        doc_type, subject = "cong_van", f"V/v đính chính {old.number_symbol}"
        body = f"Đính chính văn bản số {old.number_symbol} ngày {old.issue_date:%d/%m/%Y} như sau:"
    else:
        doc_type, subject = old.doc_type, old.subject
        body = old.body
    new = documents.create(
        session=session, doc_type=doc_type, issuer=old.issuer, subject=subject, body=body,
        spec={k: v for k, v in (old.spec or {}).items() if k in {"bases", "distribution",
                                                                  "archive", "address", "place"}},
        drafting_unit=old.drafting_unit, created_by=actor,
        recipients=[(r.label, r.organization) for r in old.recipients if r.kind == "to"],
    )
    documents.link(session=session, source=new, target=old, kind=kind)
    audit.record(session=session, action=kind, object_type="document", object_id=old.id,
                 actor=actor, detail={"by": new.id})
    return new
