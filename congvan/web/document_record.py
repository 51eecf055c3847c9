"""What the document page shows of a document as a record: its signatures as the ND30 profile
verifies them, the documents linked to it, and the reporting cycle it belongs to.

Signatures: the issued PDF (``signed_pdf``) is checked with the ND30 profile (exactly the
person's signature, the number and date filled, the organisation's signature over the whole
file) and against the register (the certificates recorded when it was signed and issued);
the person-signed PDF waiting for its number with the generic PAdES check; a received PDF
with the ND30 profile (another body's issued document). Each signature gets its role.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from congvan.settings import Settings
from registry import files
from registry.access import shown_subjects, visible_to
from registry.labels import HIDDEN_SUBJECT
from registry.models import Document, DocumentLink, DocumentSignature, Person

# File kinds whose signatures the page verifies, and the profile each is held to.
PROFILES = {"signed_pdf": "nd30", "person_signed_pdf": "any", "source": "nd30"}


@dataclass(frozen=True)
class Signatures:
    """The verifier's report of one file (or why it could not be read), with each signature's
    role by field name."""

    file_id: int
    kind: str
    report: Any | None
    error: str | None
    roles: dict[str, str] = field(default_factory=dict)


def signatures(*, session: Session, settings: Settings, document: Document) -> list[Signatures]:
    """The verification report of each signed or received PDF of the document."""
    from signing.errors import SigningError
    from signing.provenance import cross_check
    from signing.verify import load_trust_roots, verify_pdf

    roots = load_trust_roots(settings.trust_roots) if settings.trust_roots else []
    roles = _roles(session, document)
    out = []
    for stored in document.files:
        profile = PROFILES.get(stored.kind)
        if profile is None or (stored.kind == "source" and not stored.path.endswith(".pdf")):
            continue
        try:
            data = files.read(_root(settings), stored.path, expected_sha256=stored.sha256)
            report = verify_pdf(data, trust_roots=roots, profile=profile)
            if stored.kind == "signed_pdf":
                found = cross_check(session=session, pdf=data, report=report)
                report = replace(report, registry=found.problems, registry_notes=found.notes)
            out.append(Signatures(stored.id, stored.kind, report, None, roles))
        except (SigningError, OSError, ValueError) as exc:
            if stored.kind == "source":
                continue  # a scan or an unsigned PDF received on paper: nothing to verify
            out.append(Signatures(stored.id, stored.kind, None, str(exc), roles))
    return out


def _roles(session: Session, document: Document) -> dict[str, str]:
    from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD

    recorded = {r.role: r for r in session.scalars(select(DocumentSignature).where(
        DocumentSignature.document_id == document.id))}
    person = recorded["person"].person if "person" in recorded else None
    person = person or document.signer
    title = f" — {person.title.capitalize()}" if person is not None and person.title else ""
    issuer = document.issuer.name.replace("\n", " ") if document.issuer is not None else ""
    return {PERSON_FIELD: f"Người có thẩm quyền ký{title}",
            ORGANIZATION_FIELD: f"Cơ quan ban hành{' — ' + issuer if issuer else ''}"}


@dataclass(frozen=True)
class Linked:
    """A document linked to this one: how, which, whether the reader may open it, and the
    trích yếu they may see (the placeholder for a secret one they may not read)."""

    relation: str
    document: Document | None  # None when it is another body's the reader may not see
    subject: str = ""


def links(*, session: Session, document: Document, actor: Person) -> list[Linked]:
    """The documents this one cites, answers, aggregates… and those that cite it, answer it…"""
    from registry.labels import DOCUMENT_LINK, DOCUMENT_LINK_BACK, label

    rows = session.scalars(select(DocumentLink).where(or_(
        DocumentLink.from_id == document.id, DocumentLink.to_id == document.id))
        .order_by(DocumentLink.id)).all()
    ids = {r.to_id if r.from_id == document.id else r.from_id for r in rows}
    seen = _visible(session, ids, actor)
    subjects = shown_subjects(session=session, documents=seen.values(), reader=actor)
    out = []
    for row in rows:
        forward = row.from_id == document.id
        other = row.to_id if forward else row.from_id
        out.append(Linked(label(DOCUMENT_LINK if forward else DOCUMENT_LINK_BACK, row.kind),
                          seen.get(other), subjects.get(other, "")))
    return out


def trace(*, session: Session, document: Document, actor: Person) -> dict[str, Any] | None:
    """The reporting cycle the document belongs to (``congvan trace``), or None when it belongs
    to none. Nodes of documents the reader may not see keep their place but lose their text."""
    from reporting.tracing import chain

    root = chain(session=session, ref=f"#{document.id}")
    if not root.get("children"):
        return None
    ids: set[int] = set()
    _collect(root, ids)
    seen = _visible(session, ids, actor)
    shown = shown_subjects(session=session, documents=seen.values(), reader=actor)
    hidden = {i: d.subject[:70] for i, d in seen.items() if shown[i] != d.subject}
    return _mask(root, seen, hidden)


def _collect(node: dict[str, Any], ids: set[int]) -> None:
    if node.get("document_id") is not None:
        ids.add(int(node["document_id"]))
    for child in node.get("children", []):
        _collect(child, ids)


def _mask(node: dict[str, Any], seen: dict[int, Document], secret: dict[int, str]
          ) -> dict[str, Any]:
    """The node with the text of a document the reader may not see removed, and the trích yếu
    of a secret one they may not read replaced by the placeholder (the label quotes it)."""
    doc_id = node.get("document_id")
    hidden = doc_id is not None and doc_id not in seen
    text = node["label"]
    if doc_id in secret and secret[doc_id]:
        text = text.replace(secret[doc_id], HIDDEN_SUBJECT)
    return {"label": "(văn bản của cơ quan khác)" if hidden else text,
            "document_id": None if hidden else doc_id,
            "children": [_mask(c, seen, secret) for c in node.get("children", [])]}


def _visible(session: Session, ids: set[int], actor: Person) -> dict[int, Document]:
    if not ids:
        return {}
    return {d.id: d for d in session.scalars(select(Document).where(
        Document.id.in_(ids), visible_to(actor)))}


def _root(settings: Settings) -> Path:
    assert settings.files_dir is not None
    return settings.files_dir
