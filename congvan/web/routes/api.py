"""The JSON door: a unit's reporter posts the figures of an owed report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from congvan.web.deps import ActorDep, SessionDep, require
from registry.text import nfc as _nfc

router = APIRouter(prefix="/api")


class SubmissionIn(BaseModel):
    """The figures of one report, by indicator key: ``{"values": {"mo_hinh": 12}}``."""

    values: dict[str, Any] = Field(description="Số liệu theo mã chỉ tiêu của mẫu báo cáo")


@router.post("/requests/{request_id}/submission", name="api_submission",
             responses={422: {"description": "Số liệu chưa đúng; mỗi lỗi nêu chỉ tiêu, cách sửa"},
                        409: {"description": "Kỳ báo cáo đã khép lại (báo cáo tổng hợp đã ban "
                                             "hành); gửi báo cáo đính chính có số"}})
def submit(request_id: int, body: SubmissionIn, session: SessionDep,
           actor: ActorDep) -> JSONResponse:
    """File the report for the signed-in reporter's own unit; 422 names each wrong indicator,
    409 says the period is closed and how to correct.

    A refused submission stores nothing but its audit line, so the answer is
    returned (not raised): the request's transaction still commits that line.
    """
    from reporting.submissions import submit_json

    reporter = require(actor, "reporter", "clerk")
    receipt = submit_json(session=session, request_id=request_id,
                          unit_key=reporter.organization.key, values=_nfc(body.values),
                          actor=reporter)
    if receipt.ok:
        return JSONResponse({"ok": True, "submission_id": receipt.submission_id,
                             "replaced": receipt.replaced, "message": receipt.message})
    errors = [{"field": e.get("indicator"), "label": e.get("label"), "cell": e.get("cell"),
               "message": e.get("message")} for e in receipt.errors]
    return JSONResponse({"ok": False, "detail": receipt.message,
                         "field": errors[0]["field"] if errors else None, "errors": errors},
                        status_code=409 if receipt.closed_by else 422)
