"""A leader's decision on a submitted draft: approve or return (HTMX buttons on the document)."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from congvan.web.deps import IdPath, ReviewerDep, SessionDep
from registry import access

router = APIRouter(include_in_schema=False)


@router.post("/documents/{document_id}/approve", name="approve")
def approve(request: Request, document_id: IdPath, session: SessionDep, actor: ReviewerDep,
            comment: Annotated[str, Form(max_length=5000)] = "") -> Response:
    """Record the signed-in reviewer's approval (signing.approvals checks role and turn)."""
    from signing import approvals

    access.document(session=session, document_id=document_id, actor=actor)
    approvals.approve(session=session, document_id=document_id, actor=actor,
                      comment=_text(comment) or None)
    return _back(request, document_id)


@router.post("/documents/{document_id}/return", name="return")
def return_(request: Request, document_id: IdPath, session: SessionDep, actor: ReviewerDep,
            comment: Annotated[str, Form(max_length=5000)] = "") -> Response:
    """Return the draft to its drafter with the comment (required; the service checks role)."""
    from signing import approvals

    access.document(session=session, document_id=document_id, actor=actor)
    approvals.return_(session=session, document_id=document_id, actor=actor,
                      comment=_text(comment))
    return _back(request, document_id)


def _text(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def _back(request: Request, document_id: IdPath) -> Response:
    # HTMX follows HX-Redirect with a full page load, so status and history are fresh.
    target = f"/documents/{document_id}"
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
