"""Documents: the list (filtered by status through HTMX), one document, its files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, HTMLResponse

from congvan.runtime import files_dir
from congvan.web.deps import ReaderDep, SessionDep, SettingsDep
from congvan.web.render import page
from outbox import deliveries
from registry import audit, documents
from registry.doctypes import DOC_TYPES
from registry.errors import NotFound
from registry.models import Delivery, DocumentStatus, Person

router = APIRouter()


@router.get("/", response_class=HTMLResponse, name="documents")
def list_documents(request: Request, session: SessionDep, actor: ReaderDep,
                   status: Annotated[str | None, Query()] = None) -> HTMLResponse:
    """The documents, newest first; ``?status=`` filters; an HTMX request gets the table only."""
    wanted = DocumentStatus(status) if status in {s.value for s in DocumentStatus} else None
    rows = documents.list_(session=session, status=wanted)
    context = {"documents": rows, "status": wanted.value if wanted else "",
               "doc_types": DOC_TYPES}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return page(request, "_documents_table.html", context)
    return page(request, "documents.html", context)


@router.get("/documents/{document_id}", response_class=HTMLResponse, name="document")
def show_document(request: Request, document_id: int, session: SessionDep,
                  actor: ReaderDep) -> HTMLResponse:
    """Metadata, recipients with their delivery state, files, versions and audit history."""
    document = documents.get(session=session, document_id=document_id)
    sent = deliveries.for_document(session=session, document_id=document_id)
    by_recipient: dict[int | None, list[Delivery]] = {}
    for delivery in sent:
        by_recipient.setdefault(delivery.recipient_id, []).append(delivery)
    events = list(audit.history(session=session, object_type="document", object_id=document_id))
    for delivery in sent:
        events += audit.history(session=session, object_type="delivery", object_id=delivery.id)
    events.sort(key=lambda e: (e.at, e.id))
    ids = {v.author_id for v in document.versions} | {v.reviewer_id for v in document.versions}
    people = {p.id: p for p in (session.get(Person, i) for i in ids if i) if p is not None}
    return page(request, "document.html", {
        "document": document, "doc_type": DOC_TYPES.get(document.doc_type),
        "by_recipient": by_recipient, "deliveries": sent, "state": deliveries.state,
        "events": events, "people": people,
        "delivery_labels": {d.id: d.recipient_label for d in sent},
        "review": _review(session, document_id),
    })


@router.get("/documents/{document_id}/files/{file_id}", name="document_file")
def download_file(document_id: int, file_id: int, session: SessionDep,
                  settings: SettingsDep, actor: ReaderDep) -> FileResponse:
    """A stored file of the document, under a name built from its number and symbol."""
    document = documents.get(session=session, document_id=document_id)
    stored = next((f for f in document.files if f.id == file_id), None)
    if stored is None:
        raise NotFound(f"văn bản #{document_id} không có tệp #{file_id}")
    path = Path(stored.path)
    path = path if path.is_absolute() else files_dir(settings) / path
    if not path.is_file():
        raise NotFound(f"tệp {path.name} của văn bản #{document_id} không còn trên máy chủ")
    stem = (document.number_symbol or f"van-ban-{document.id}").replace("/", "-")
    suffix = path.suffix or (".docx" if stored.kind == "docx" else ".pdf")
    return FileResponse(path, filename=f"{stem}-{stored.kind}{suffix}")


def _review(session: Session, document_id: int) -> Any:
    from signing import approvals

    return approvals.review_state(session=session, document_id=document_id)
