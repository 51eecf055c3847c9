"""Hồ sơ on the document and drafting pages: file a document into a file of the plan.

The page shows the files holding the document and the plan lines proposed for it
(records.casefiles.for_document); this route files it. The service checks who may.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.responses import RedirectResponse, Response

from congvan.web.deps import IdPath, PersonDep, SessionDep
from records import casefiles
from registry import access
from registry.clock import local_today, now_utc

router = APIRouter(include_in_schema=False)


@router.post("/documents/{document_id}/ho-so", name="file_document")
def file_document(document_id: IdPath, session: SessionDep, actor: PersonDep,
                  code: Annotated[str, Form(max_length=20)],
                  back: Annotated[str, Form(max_length=10)] = "") -> Response:
    """File the document into the file ``code`` of the actor's organisation (opened from the
    approved plan on first use)."""
    document = access.document(session=session, document_id=document_id, actor=actor)
    year = document.year or local_today().year
    case_file = casefiles.open_or_get(session=session, organization=actor.organization,
                                      year=year, code=code, actor=actor, now=now_utc())
    casefiles.file_document(session=session, case_file=case_file, document=document,
                            actor=actor, now=now_utc())
    target = f"/van-ban/{document_id}/sua" if back == "draft" else f"/documents/{document_id}"
    return RedirectResponse(f"{target}#ho-so", status_code=303)
