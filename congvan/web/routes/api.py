"""The JSON door, with the same authority as the pages: typed request and response models.

Every unsafe call carries the session's CSRF token in ``X-CSRF-Token`` (from
``GET /api/session``); errors are ``{"detail": …, "field": …}`` in Vietnamese.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from congvan.web.deps import (
    ClerkDep,
    IdPath,
    PersonDep,
    ReviewerDep,
    SessionDep,
    SettingsDep,
    WebSessionDep,
)
from registry import access
from registry.models import Document, DocumentStatus
from registry.text import nfc as _nfc

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Chưa đăng nhập, thiếu mã CSRF, hoặc không có quyền"},
    404: {"description": "Không có (hoặc không được xem) văn bản này"},
}
router = APIRouter(prefix="/api", responses=ERRORS)


class Problem(BaseModel):
    """An error: what is wrong, and which field."""

    detail: str
    field: str | None = None


class SessionOut(BaseModel):
    """Who is signed in, and the token unsafe calls must send in ``X-CSRF-Token``."""

    login: str
    full_name: str
    organization: str
    roles: list[str]
    csrf_token: str


class DocumentOut(BaseModel):
    """A document as the API lists it."""

    id: int
    direction: str
    doc_type: str
    status: DocumentStatus
    number_symbol: str | None
    subject: str
    issue_date: dt.date | None
    issuer: str | None

    @classmethod
    def of(cls, doc: Document, subject: str | None = None) -> DocumentOut:
        """The model of a registry row (``subject``: what a list shows this reader)."""
        return cls(id=doc.id, direction=doc.direction.value, doc_type=doc.doc_type,
                   status=doc.status, number_symbol=doc.number_symbol,
                   subject=doc.subject if subject is None else subject,
                   issue_date=doc.issue_date,
                   issuer=" ".join(doc.issuer.name.split()) if doc.issuer else None)


class DecisionIn(BaseModel):
    """A reviewer's comment (required to return a draft)."""

    comment: str = Field(default="", max_length=5000)


class IssueIn(BaseModel):
    """How to issue: ``no_delivery`` (paper only) or ``skip_unreachable`` (send to the others,
    post the unreachable ones by hand); both off: every recipient must be reachable."""

    no_delivery: bool = False
    skip_unreachable: bool = False


class IssuedOut(BaseModel):
    """An issued document: its number, the signed PDF's hash and the deliveries queued."""

    document: DocumentOut
    number: int
    year: int
    pdf_sha256: str
    deliveries: int


class SubmissionIn(BaseModel):
    """The figures of one report, by indicator key: ``{"values": {"mo_hinh": 12}}``."""

    values: dict[str, Any] = Field(description="Số liệu theo mã chỉ tiêu của mẫu báo cáo")


class IndicatorProblem(BaseModel):
    """One wrong figure."""

    field: str | None
    label: str | None = None
    cell: str | None = None
    message: str | None = None


class SubmissionOut(BaseModel):
    """The receipt of a filed report, or why it was refused."""

    ok: bool
    submission_id: int | None = None
    replaced: bool = False
    message: str = ""
    detail: str | None = None
    field: str | None = None
    errors: list[IndicatorProblem] = []


@router.get("/session", response_model=SessionOut, name="api_session")
def whoami(actor: PersonDep, row: WebSessionDep) -> SessionOut:
    """The signed-in person and the CSRF token of this session."""
    assert row is not None and row.account is not None
    return SessionOut(login=row.account.login, full_name=actor.full_name,
                      organization=" ".join(actor.organization.name.split()),
                      roles=list(actor.roles or []), csrf_token=row.csrf_token)


@router.get("/documents", response_model=list[DocumentOut], name="api_documents")
def list_documents(session: SessionDep, actor: PersonDep,
                   status: Annotated[DocumentStatus | None, Query()] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[DocumentOut]:
    """The documents the signed-in person may see, newest first; a secret document's subject
    only for a reader with the right (the placeholder otherwise)."""
    rows = access.documents(session=session, actor=actor, status=status, limit=limit)
    shown = access.shown_subjects(session=session, documents=rows, reader=actor)
    return [DocumentOut.of(d, shown[d.id]) for d in rows]


@router.get("/documents/{document_id}", response_model=DocumentOut, name="api_document",
            responses={403: {"model": Problem}, 404: {"model": Problem}})
def get_document(document_id: IdPath, session: SessionDep, actor: PersonDep) -> DocumentOut:
    """One document (404 when it is not the person's to see, 403 for a secret one without the
    right); the read is on the access log."""
    from registry import access_log

    return DocumentOut.of(access_log.read(session=session, document_id=document_id, act="open",
                                          door=access_log.Door(actor, "api")))


@router.post("/documents/{document_id}/approve", response_model=DocumentOut,
             name="api_approve", responses={409: {"model": Problem}})
def approve(document_id: IdPath, body: DecisionIn, session: SessionDep,
            actor: ReviewerDep) -> DocumentOut:
    """The reviewer whose turn it is approves the draft."""
    from signing import approvals

    access.document(session=session, document_id=document_id, actor=actor)
    doc = approvals.approve(session=session, document_id=document_id, actor=actor,
                            comment=_nfc(body.comment).strip() or None)
    return DocumentOut.of(doc)


@router.post("/documents/{document_id}/return", response_model=DocumentOut,
             name="api_return", responses={409: {"model": Problem}, 422: {"model": Problem}})
def return_(document_id: IdPath, body: DecisionIn, session: SessionDep,
            actor: ReviewerDep) -> DocumentOut:
    """The reviewer whose turn it is returns the draft with a comment."""
    from signing import approvals

    access.document(session=session, document_id=document_id, actor=actor)
    doc = approvals.return_(session=session, document_id=document_id, actor=actor,
                            comment=_nfc(body.comment).strip())
    return DocumentOut.of(doc)


@router.post("/documents/{document_id}/issue", response_model=IssuedOut, name="api_issue",
             responses={409: {"model": Problem, "description": "Chưa ký số hoặc đã ban hành"},
                        422: {"model": Problem, "description": "Có nơi nhận không gửi được"},
                        503: {"model": Problem, "description": "Chưa có khoá của cơ quan"}})
def issue(document_id: IdPath, body: IssueIn, session: SessionDep, actor: ClerkDep,
          settings: SettingsDep) -> IssuedOut:
    """The văn thư issues a document the person signed: number and date, the organisation's
    signature, the register and the deliveries, in one transaction (the page's service)."""
    from workflows.issuance import issue_by_clerk

    access.document(session=session, document_id=document_id, actor=actor)
    issued, queued = issue_by_clerk(session=session, document_id=document_id, actor=actor,
                                    cfg=settings, no_delivery=body.no_delivery,
                                    skip_unreachable=body.skip_unreachable)
    doc = issued.document
    assert doc.number is not None and doc.year is not None
    return IssuedOut(document=DocumentOut.of(doc), number=doc.number, year=doc.year,
                     pdf_sha256=issued.pdf.sha256, deliveries=len(queued))


@router.post("/requests/{request_id}/submission", name="api_submission",
             response_model=SubmissionOut,
             responses={422: {"model": SubmissionOut,
                              "description": "Số liệu chưa đúng; mỗi lỗi nêu chỉ tiêu, cách sửa"},
                        409: {"model": SubmissionOut,
                              "description": "Kỳ báo cáo đã khép lại (báo cáo tổng hợp đã ban "
                                             "hành); gửi báo cáo đính chính có số"}})
def submit(request_id: IdPath, body: SubmissionIn, session: SessionDep,
           actor: PersonDep) -> Any:
    """File the report for the signed-in reporter's own unit; 422 names each wrong indicator,
    409 says the period is closed and how to correct.

    A refused submission stores nothing but its audit line, so the answer is
    returned (not raised): the request's transaction still commits that line.
    """
    from congvan.web.deps import require
    from reporting.submissions import submit_json

    reporter = require(actor, "reporter", "clerk")
    receipt = submit_json(session=session, request_id=request_id,
                          unit_key=reporter.organization.key, values=_nfc(body.values),
                          actor=reporter)
    if receipt.ok:
        return SubmissionOut(ok=True, submission_id=receipt.submission_id,
                             replaced=bool(receipt.replaced), message=receipt.message)
    errors = [IndicatorProblem(field=e.get("indicator"), label=e.get("label"),
                               cell=e.get("cell"), message=e.get("message"))
              for e in receipt.errors]
    out = SubmissionOut(ok=False, detail=receipt.message,
                        field=errors[0].field if errors else None, errors=errors)
    return JSONResponse(out.model_dump(), status_code=409 if receipt.closed_by else 422)
