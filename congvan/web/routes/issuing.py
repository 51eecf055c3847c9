"""The văn thư issues a signed document from the browser and follows its deliveries.

``POST /documents/{id}/ban-hanh`` is ``congvan draft issue``: the same planning check (refuse
what would reach nobody or silently miss someone), the organisation's key from the settings
or HSM, ``signing.issuing.issue`` with the outbox rows added in the same transaction. The
deliveries panel (``GET /documents/{id}/luot-gui``) shows per recipient and channel queued,
sent, failed with the reason, acknowledged, and refreshes itself while the outbox works;
``Gửi lại`` re-queues a failed delivery through ``outbox.deliveries.retry``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.settings import Settings
from congvan.web import signing_view
from congvan.web.deps import ClerkDep, IdPath, PersonDep, SessionDep, SettingsDep
from congvan.web.render import page
from registry import access
from registry.errors import NotFound, ValidationError
from registry.models import Person
from signing.errors import SigningError

router = APIRouter(include_in_schema=False)


@router.post("/documents/{document_id}/ban-hanh", name="issue")
def issue(request: Request, document_id: IdPath, session: SessionDep, settings: SettingsDep,
          actor: ClerkDep, skip_unreachable: Annotated[bool, Form()] = False) -> Response:
    """Number, date, seal and queue the document (the văn thư of its issuer only): the JSON
    API's service, with the organisation's key opened once per process."""
    from workflows.issuance import issue_by_clerk

    access.document(session=session, document_id=document_id, actor=actor)
    try:
        issue_by_clerk(session=session, document_id=document_id, actor=actor, cfg=settings,
                       skip_unreachable=skip_unreachable)
    except (SigningError, ValidationError) as exc:
        session.rollback()
        return _issue_panel(request, session, settings, document_id, actor, str(exc))
    # No #fragment: HX-Redirect to the same path plus a hash only scrolls, it does not reload.
    target = f"/documents/{document_id}"
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/documents/{document_id}/luot-gui", response_class=HTMLResponse,
            name="deliveries_panel")
def deliveries_panel(request: Request, document_id: IdPath, session: SessionDep,
                     actor: PersonDep) -> HTMLResponse:
    """The deliveries panel alone (HTMX polls it while deliveries are under way)."""
    return _deliveries(request, session, document_id, actor)


@router.post("/documents/{document_id}/luot-gui/{delivery_id}/gui-lai",
             response_class=HTMLResponse, name="deliveries_retry")
def retry(request: Request, document_id: IdPath, delivery_id: IdPath, session: SessionDep,
          actor: ClerkDep) -> HTMLResponse:
    """Re-queue a failed delivery of this document; answers with the refreshed panel."""
    from outbox import deliveries

    access.document(session=session, document_id=document_id, actor=actor)
    found = access.delivery(session=session, delivery_id=delivery_id, actor=actor)
    if found.document_id != document_id:
        raise NotFound(f"văn bản #{document_id} không có lượt gửi #{delivery_id}")
    deliveries.retry(session=session, delivery_id=delivery_id, actor=actor)
    return _deliveries(request, session, document_id, actor)


def _deliveries(request: Request, session: Session, document_id: int,
                actor: Person) -> HTMLResponse:
    document = access.document(session=session, document_id=document_id, actor=actor)
    context = signing_view.delivery_context(session=session, document=document, actor=actor)
    return page(request, "_deliveries.html", {"document": document, **context})


def _issue_panel(request: Request, session: Session, settings: Settings, document_id: int,
                 actor: Person, error: str) -> HTMLResponse:
    document = access.document(session=session, document_id=document_id, actor=actor)
    context = signing_view.context(session=session, settings=settings, document=document,
                                   actor=actor)
    context.update({"document": document, "issue_error": error})
    name = "_issue_panel.html" if request.headers.get("HX-Request") else "issue_page.html"
    return page(request, name, context, status_code=422)
