"""A unit files its report: through a single-use link or signed in as its reporter.

The link's GET only shows a button (a mail scanner fetching it uses nothing);
the POST uses the link and opens a session limited to that one request.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
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
    return page(request, "report_form.html", {"owed": owed, "values": {}, "errors": {},
                                              "receipt": None, "general": []})


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
    errors = {e.get("indicator"): e.get("message") for e in receipt.errors if e.get("indicator")}
    general = [e.get("message") for e in receipt.errors if not e.get("indicator")]
    return page(request, "report_form.html", {
        "owed": owed, "values": typed, "errors": errors, "general": general,
        "receipt": receipt if receipt.ok else None, "now": datetime.now(UTC),
    }, status_code=200 if receipt.ok else 422)


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
