"""Documents: the list (filtered by status through HTMX), one document, its files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import FileResponse, HTMLResponse, Response

from congvan.runtime import files_dir
from congvan.web import dashboard, document_record, document_view, signing_view
from congvan.web.deps import IdPath, PersonDep, SessionDep, SettingsDep
from congvan.web.render import page
from congvan.web.routes import incoming
from outbox import deliveries
from records import casefiles
from registry import access, access_log, audit
from registry.access_log import Door
from registry.doctypes import DOC_TYPES
from registry.errors import NotFound
from registry.models import Delivery, Direction, DocumentStatus, Person

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, name="documents")
def list_documents(request: Request, session: SessionDep, actor: PersonDep,
                   status: Annotated[str | None, Query()] = None) -> HTMLResponse:
    """The documents, newest first; ``?status=`` filters; an HTMX request gets the table only."""
    wanted = DocumentStatus(status) if status in {s.value for s in DocumentStatus} else None
    rows = access.documents(session=session, actor=actor, status=wanted)
    context: dict[str, Any] = {"documents": rows, "status": wanted.value if wanted else "",
               "doc_types": DOC_TYPES}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        context["subjects"] = access.shown_subjects(session=session, documents=rows,
                                                    reader=actor)
        return page(request, "_documents_table.html", context)
    todo = dashboard.for_person(session=session, actor=actor)
    context["todo"] = todo
    context["subjects"] = access.shown_subjects(session=session, documents=[*rows, *todo.documents],
                                                reader=actor)
    return page(request, "documents.html", context)


@router.get("/documents/{document_id}", response_class=HTMLResponse, name="document")
def show_document(request: Request, document_id: IdPath, session: SessionDep,
                  settings: SettingsDep, actor: PersonDep) -> HTMLResponse:
    """Metadata, recipients with their delivery state, files, versions, audit history and who
    read it (the access log; opening this page is on it)."""
    document = access_log.read(session=session, document_id=document_id, act="open",
                               door=Door(actor, "web"))
    sent = deliveries.for_document(session=session, document_id=document_id)
    by_recipient: dict[int | None, list[Delivery]] = {}
    for delivery in sent:
        by_recipient.setdefault(delivery.recipient_id, []).append(delivery)
    events = list(audit.history(session=session, object_type="document", object_id=document_id))
    for delivery in sent:
        events += audit.history(session=session, object_type="delivery", object_id=delivery.id)
    events.sort(key=lambda e: (e.at, e.id))
    case_files, file_proposals = casefiles.for_document(session=session, document=document,
                                                        actor=actor)
    ids = {v.author_id for v in document.versions} | {v.reviewer_id for v in document.versions}
    people = {p.id: p for p in (session.get(Person, i) for i in ids if i) if p is not None}
    return page(request, "document.html", {
        "document": document, "doc_type": DOC_TYPES.get(document.doc_type),
        "by_recipient": by_recipient, "deliveries": sent, "state": deliveries.state,
        "events": events, "people": people,
        "delivery_labels": {d.id: d.recipient_label for d in sent},
        "review": _review(session, document_id),
        "latest": document_view.latest_version(document),
        "changes": document_view.changes(session=session, document=document),
        "signatures": {s.file_id: s for s in document_record.signatures(
            session=session, settings=settings, document=document)},
        "linked": document_record.links(session=session, document=document, actor=actor),
        "trace": document_record.trace(session=session, document=document, actor=actor),
        "duplicate": request.query_params.get("trung") == "1",
        "access_events": access_log.for_document(session=session, document_id=document_id,
                                                 limit=50),
        **signing_view.context(session=session, settings=settings, document=document,
                               actor=actor),
        "case_files": case_files, "file_proposals": file_proposals,
        **(incoming.handling_context(session, document, actor)
           if document.direction is Direction.INCOMING else {}),
    })


@router.get("/documents/{document_id}/versions/{version}/pdf", name="version_pdf")
def version_pdf(document_id: IdPath, version: IdPath, session: SessionDep, settings: SettingsDep,
                actor: PersonDep) -> FileResponse:
    """The PDF of one draft version, shown inline (converted once from its .docx); logged."""
    document = access_log.read(session=session, document_id=document_id, act="view",
                               door=Door(actor, "web"))
    path = document_view.cached_pdf(settings=settings, document=document, version=version)
    if path is None:
        docx = document_view.docx_of(settings=settings, document=document, version=version)
        # End the read before LibreOffice works for seconds: on SQLite every transaction
        # holds the write lock (BEGIN IMMEDIATE), and the other pages must not wait for it.
        session.commit()
        pdf = document_view.convert(settings=settings, docx=docx)
        path = document_view.keep_pdf(session=session, settings=settings,
                                      document_id=document_id, version=version, pdf=pdf)
    return FileResponse(path, media_type="application/pdf",
                        content_disposition_type="inline",
                        filename=f"du-thao-{document_id}-lan-{version}.pdf")


@router.get("/documents/{document_id}/files/{file_id}", name="document_file")
def download_file(document_id: IdPath, file_id: IdPath, session: SessionDep,
                  settings: SettingsDep, actor: PersonDep) -> FileResponse:
    """A stored file of the document, under a name built from its number and symbol; logged."""
    document = access_log.read(session=session, document_id=document_id, act="download",
                               door=Door(actor, "web"), file_id=file_id)
    stored = next((f for f in document.files if f.id == file_id), None)
    if stored is None:
        raise NotFound(f"văn bản #{document_id} không có tệp #{file_id}")
    path = Path(stored.path)
    root = files_dir(settings).resolve()
    path = (path if path.is_absolute() else root / path).resolve()
    # A stored path is ours, but never serve anything outside the file store.
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(f"tệp {path.name} của văn bản #{document_id} không còn trên máy chủ")
    stem = (document.number_symbol or f"van-ban-{document.id}").replace("/", "-")
    suffix = path.suffix or (".docx" if stored.kind == "docx" else ".pdf")
    return FileResponse(path, filename=f"{stem}-{stored.kind}{suffix}")


@router.get("/documents/{document_id}/nhat-ky-truy-cap.xlsx", name="document_access_xlsx")
def access_xlsx(document_id: IdPath, session: SessionDep, actor: PersonDep) -> Response:
    """The document's whole access log as .xlsx (Vietnam time; formula-safe cells), for the
    office's leaders and administrators."""
    from outbox.registers import RegisterColumn, to_xlsx
    from registry.permissions import require_role

    require_role(actor, "leader", "admin", action="xuất nhật ký truy cập văn bản")
    access.document(session=session, document_id=document_id, actor=actor)
    rows = access_log.export_rows(session=session, events=access_log.entries(
        session=session, document_id=document_id))
    data = to_xlsx(title=f"Nhật ký truy cập văn bản #{document_id}",
                   columns=[RegisterColumn(*c) for c in access_log.COLUMNS], rows=rows)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={
                        "Content-Disposition":
                        f'attachment; filename="nhat-ky-truy-cap-{document_id}.xlsx"'})


def _review(session: Session, document_id: IdPath) -> Any:
    from signing import approvals

    return approvals.review_state(session=session, document_id=document_id)
