"""A unit files its report: through a single-use link or signed in as its reporter.

The link's GET only shows a button (a mail scanner fetching it uses nothing);
the POST uses the link and opens a session limited to that one request.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.web import security
from congvan.web.deps import ActorDep, IdPath, SessionDep, SettingsDep, WebSessionDep
from congvan.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/nop-bao-cao/{token}", response_class=HTMLResponse, name="report_link")
def open_link(request: Request, token: str, session: SessionDep,
              row: WebSessionDep) -> HTMLResponse:
    """What the link opens (unit, period, form, expiry) and the button that uses it."""
    from congvan.auth import links

    link = links.find(session=session, token=token)
    return page(request, "report_link.html", {"link": link, "token": token,
                                              "owed": link.request})


@router.post("/nop-bao-cao/{token}", name="report_link_use")
def use_link(request: Request, token: str, session: SessionDep, settings: SettingsDep,
             row: WebSessionDep) -> Response:
    """Use the link once: a session that opens only its request."""
    from congvan.auth import links, sessions

    link = links.use(session=session, token=token)
    if row is not None:
        sessions.end(session=session, row=row)
    started = sessions.start(session=session, link=link,
                             client=security.client_address(request))
    response = RedirectResponse(f"/bao-cao/{link.request_id}", status_code=303)
    security.set_session_cookie(response, settings, started.token)
    return response


@router.get("/bao-cao/{request_id}", response_class=HTMLResponse, name="report_form")
def report_form(request: Request, request_id: IdPath, session: SessionDep, actor: ActorDep,
                row: WebSessionDep) -> HTMLResponse:
    """The unit's form: one field per indicator."""
    owed = _owed(request, session, request_id, actor)
    return _form_page(request, owed)


@router.get("/bao-cao/{request_id}/mau.xlsx", name="report_workbook")
def report_workbook(request: Request, request_id: IdPath, session: SessionDep, actor: ActorDep,
                    row: WebSessionDep) -> Response:
    """The unit's own form workbook for this period, to fill in and upload back."""
    from registry.calendar import Period
    from reporting.forms import form_of
    from reporting.xlsx import build_workbook

    owed = _owed(request, session, request_id, actor)
    data = build_workbook(form_of(owed.form), unit_name=owed.unit.name, unit_key=owed.unit.key,
                          period_key=owed.period, period_label=Period.from_key(owed.period).label,
                          request_id=owed.id, due=f"{owed.due_date:%d/%m/%Y}")
    name = f"mau-{owed.form.code}-{owed.unit.key}-{owed.period}.xlsx"
    return Response(data, media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/bao-cao/{request_id}/xlsx", response_class=HTMLResponse, name="report_upload")
async def report_upload(request: Request, request_id: IdPath, session: SessionDep,
                        settings: SettingsDep, actor: ActorDep,
                        row: WebSessionDep) -> HTMLResponse:
    """File the report as the filled form workbook: refused files say why next to the upload
    (or the field), over the size limit answers 413; success shows the receipt."""
    from congvan.runtime import files_dir
    from reporting.submissions import submit_upload
    from reporting.xlsx import MAX_FILE_BYTES

    owed = _owed(request, session, request_id, actor)
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("tep")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _form_page(request, owed, upload=True, general=[
            "Chưa chọn tệp: hãy bấm “Chọn tệp”, chọn mẫu .xlsx đã nhập số liệu rồi gửi."],
            status_code=422)
    data = await upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return _form_page(request, owed, upload=True, general=[
            f"Tệp {upload.filename} lớn hơn {MAX_FILE_BYTES // 1024 // 1024} MB, quá lớn với một "
            "mẫu thống kê; hãy gửi đúng tệp mẫu .xlsx đã tải về (thường dưới 50 kB)."],
            status_code=413)
    receipt = submit_upload(session=session, request=owed, data=data, actor=actor,
                            files_dir=files_dir(settings))
    return _answer(request, session, owed, receipt, values={}, upload=True)


@router.post("/bao-cao/{request_id}", response_class=HTMLResponse, name="report_submit")
async def report_submit(request: Request, request_id: IdPath, session: SessionDep,
                        actor: ActorDep, row: WebSessionDep) -> HTMLResponse:
    """File the figures; errors come back next to their fields, success with a receipt."""
    from reporting.submissions import submit_json

    owed = _owed(request, session, request_id, actor)
    form = await request.form()
    typed = {k[2:]: unicodedata.normalize("NFC", str(v)).strip()
             for k, v in form.items() if k.startswith("v_") and isinstance(v, str)}
    # Signed in: the person is checked to belong to the unit; a link's session has no
    # person — the link itself names the unit and the request.
    receipt = submit_json(session=session, request_id=owed.id, unit_key=owed.unit.key,
                          values={k: _number(v) for k, v in typed.items() if v != ""},
                          actor=actor)
    return _answer(request, session, owed, receipt, values=typed)


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _answer(request: Request, session: Session, owed: Any, receipt: Any, *,
            values: dict[str, str], upload: bool = False) -> HTMLResponse:
    """The form again: errors beside their fields (with the workbook cell), or the receipt."""
    errors = {e["indicator"]: (f"Ô {e['cell']}: " if upload and e.get("cell") else "")
              + e["message"] for e in receipt.errors if e.get("indicator")}
    general = [e.get("message") for e in receipt.errors if not e.get("indicator")]
    submitted = _submitted_at(session, receipt.submission_id) if receipt.ok else None
    return _form_page(request, owed, values=values, errors=errors, general=general,
                      receipt=receipt if receipt.ok else None, now=submitted,
                      upload=upload, status_code=200 if receipt.ok else 422)


def _form_page(request: Request, owed: Any, *, values: dict[str, str] | None = None,
               errors: dict[str, str] | None = None, general: list[str] | None = None,
               receipt: Any = None, now: datetime | None = None, upload: bool = False,
               status_code: int = 200) -> HTMLResponse:
    return page(request, "report_form.html", {
        "owed": owed, "values": values or {}, "errors": errors or {}, "general": general or [],
        "receipt": receipt, "now": now or datetime.now(UTC), "upload": upload},
        status_code=status_code)


def _submitted_at(session: Session, submission_id: int | None) -> datetime | None:
    # The receipt's time is the one recorded on the submission, not the page's.
    from registry.models import Submission

    row = session.get(Submission, submission_id) if submission_id else None
    return row.submitted_at if row is not None else None


def _owed(request: Request, session: SessionDep, request_id: IdPath, actor: Any) -> Any:
    from reporting import requests as report_requests

    return report_requests.for_submission(
        session=session, request_id=request_id, actor=actor,
        link_request_id=getattr(request.state, "link_request_id", None))


def _number(text: str) -> Any:
    # Vietnamese writes 1.500 for fifteen hundred and 2,5 for two and a half.
    plain = text.replace(" ", "").replace("\u00a0", "")
    if plain.replace(".", "").lstrip("-").isdigit():
        return int(plain.replace(".", ""))
    try:
        return float(plain.replace(".", "").replace(",", "."))
    except ValueError:
        return text
