"""Jinja2 environment of the pages: Vietnamese dates (ND30), numbers (Babel, vi), labels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from congvan.web import labels
from doc_templates.formatting import format_number, nd30_date
from registry.clock import to_local

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")


def vn_date(value: dt.date | dt.datetime | None) -> str:
    """``ngày 16 tháng 12 năm 2022``; a datetime is first moved to Vietnam's time."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return nd30_date(value)


def local(value: dt.datetime) -> dt.datetime:
    """The moment in Asia/Ho_Chi_Minh; naive values are UTC (SQLite drops the zone)."""
    return to_local(value)


def vn_datetime(value: dt.datetime | None) -> str:
    """``14:05 ngày 16 tháng 12 năm 2022`` in Vietnam's time."""
    if value is None:
        return "—"
    moment = local(value)
    return f"{moment:%H:%M} {nd30_date(moment.date())}"


def vn_number(value: int | float | None) -> str:
    """15972 → ``15.972`` (Babel, locale vi)."""
    return "—" if value is None else format_number(value)


def vn_size(size: int | None) -> str:
    """A file size in bytes, kB or MB with a decimal comma."""
    if size is None:
        return "—"
    if size < 1024:
        return f"{format_number(size)} byte"
    if size < 1024 * 1024:
        return f"{format_number(round(size / 1024, 1))} kB"
    return f"{format_number(round(size / 1024 / 1024, 1))} MB"


LABEL_FUNCTIONS = {
    "doc_status": labels.DOCUMENT_STATUS,
    "case_file_status": labels.CASE_FILE_STATUS,
    "delivery_state": labels.DELIVERY_STATE,
    "request_status": labels.REQUEST_STATUS,
    "channel_label": labels.CHANNEL,
    "file_kind": labels.FILE_KIND,
    "audit_action": labels.AUDIT_ACTION,
    "role_label": labels.ROLE,
    "handling_status": labels.HANDLING_STATUS,
    "handling_event": labels.HANDLING_EVENT,
    "handling_role": labels.HANDLING_ROLE,
    "flow_label": labels.FLOW,
    "run_state": labels.FLOW_RUN_STATE,
    "access_act": labels.ACCESS_ACT,
    "access_channel": labels.ACCESS_CHANNEL,
    "read_right": labels.READ_RIGHT,
}


def make_templates() -> Jinja2Templates:
    """The templates with our filters; labels and ``_`` are bound per request (its language)."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.filters.update(vn_date=vn_date, vn_datetime=vn_datetime, vn_number=vn_number,
                       vn_size=vn_size)
    env.globals["DOCUMENT_STATUS"] = labels.DOCUMENT_STATUS
    return templates


def language_context(lang: str) -> dict[str, Any]:
    """``_``, ``gettext``, ``ngettext`` and the label functions in ``lang``."""
    from congvan.web.i18n import gettext_for

    tr = gettext_for(lang)
    ctx: dict[str, Any] = {"_": tr.gettext, "gettext": tr.gettext, "ngettext": tr.ngettext,
                           "lang": lang}
    for name, table in LABEL_FUNCTIONS.items():
        ctx[name] = (lambda t: lambda key: tr.gettext(labels.label(t, key)))(table)
    return ctx


def page(request: Request, name: str, context: dict[str, Any] | None = None,
         status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with the request, the signed-in person, the CSRF token and ``context``."""
    from congvan.web.i18n import choose
    from congvan.web.security import csrf_token

    templates: Jinja2Templates = request.app.state.templates
    lang = choose(request)
    ctx = language_context(lang)
    ctx.update({"actor": getattr(request.state, "actor", None),
                "csrf_token": csrf_token(request)})
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if request.query_params.get("lang") == lang:
        response.set_cookie("ngon_ngu", lang, samesite="lax", max_age=365 * 86400)
    return response
