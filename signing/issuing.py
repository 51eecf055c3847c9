"""Issuing (ban hành) a signed document, in one transaction, and correcting an issued one.

ND30 art. 14–15 and §5 of ND30.md: after the competent person's decision the
register gives the number and the issue date; the final .docx and PDF are
rendered with them; the person's PAdES signature (their signature image between
the title and the name printed on the page), then the organisation's (the seal
over the left third of it), are applied; both files are hashed, stored and
recorded; the document becomes issued. The caller's ``on_issued`` hook (the
outbox, in workflows or the CLI) runs in the same transaction, so deliveries
exist if and only if the document was issued. signing does not import outbox.
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
from signing.appearance import PngImage, SealImage, SignatureImage
from signing.approvals import STATUS_LABELS, require_status
from signing.authority import SignatureBlock
from signing.signer import Signer
from signing.specs import spec_for

CORRECTION_KINDS = {"corrects", "replaces"}


PERSON_REASON = "Ký ban hành văn bản"
ORGANIZATION_REASON = "Chữ ký số của cơ quan, tổ chức"


@dataclass(frozen=True)
class IssuingKeys:
    """The two signatures an issued document carries (ND30 §5) and their images.

    ``person`` signs first with ``signature`` (blue, between title and name), then
    ``organization`` with ``seal`` (red, real size, over the signature's left third).
    Both are :class:`signing.signer.PadesSigner` outside unit tests.
    """

    person: Signer
    organization: Signer
    signature: PngImage
    seal: PngImage


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
    keys: IssuingKeys, files_root: Path, on: datetime | None = None,
    on_issued: Callable[[Session, Document], None] | None = None,
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
    signed = sign_twice(pdf, keys=keys, block=SignatureBlock(**doc.signature_block),
                        location=spec.place)
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


def sign_twice(pdf: bytes, *, keys: IssuingKeys, block: SignatureBlock,
               location: str | None = None) -> bytes:
    """The person's visible signature, then the organisation's seal, placed on ``block``.

    The title lines and the name are the ones printed on the page (ô 7a/7b); the
    signer locates the last title line and the name in the PDF.
    """
    title, name = "\n".join(block.lines()), block.name
    once = keys.person.sign_pdf(pdf, appearance=SignatureImage(keys.signature, title, name),
                                reason=PERSON_REASON, location=location or None)
    return keys.organization.sign_pdf(once, appearance=SealImage(keys.seal, title, name),
                                      reason=ORGANIZATION_REASON, location=location or None)


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
