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


def make_templates() -> Jinja2Templates:
    """The templates with our filters and label tables."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.filters.update(vn_date=vn_date, vn_datetime=vn_datetime, vn_number=vn_number,
                       vn_size=vn_size)
    env.globals.update(
        doc_status=lambda s: labels.label(labels.DOCUMENT_STATUS, s),
        delivery_state=lambda s: labels.label(labels.DELIVERY_STATE, s),
        request_status=lambda s: labels.label(labels.REQUEST_STATUS, s),
        channel_label=lambda s: labels.label(labels.CHANNEL, s),
        file_kind=lambda s: labels.label(labels.FILE_KIND, s),
        audit_action=lambda s: labels.label(labels.AUDIT_ACTION, s),
        role_label=lambda s: labels.label(labels.ROLE, s),
        DOCUMENT_STATUS=labels.DOCUMENT_STATUS,
    )
    return templates


def page(request: Request, name: str, context: dict[str, Any] | None = None,
         status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with the request, the signed-in person and ``context``."""
    templates: Jinja2Templates = request.app.state.templates
    ctx = {"actor": getattr(request.state, "actor", None)}
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
