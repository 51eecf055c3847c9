"""Owed reports (báo cáo phải nộp) per period, late ones highlighted."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from congvan.web.deps import IdPath, PersonDep, SessionDep, SettingsDep, StaffDep
from congvan.web.render import page
from registry.clock import local_today
from reporting import requests as report_requests

router = APIRouter(include_in_schema=False)


@router.get("/requests", response_class=HTMLResponse, name="requests")
def list_requests(request: Request, session: SessionDep, actor: PersonDep,
                  period: Annotated[str | None, Query()] = None,
                  late: Annotated[bool, Query()] = False) -> HTMLResponse:
    """Requests of one period (default: the newest), with unit, due date and status."""
    periods = report_requests.periods(session=session, actor=actor)
    chosen = period if period in periods else (periods[0] if periods and period is None else None)
    today = local_today()
    rows = report_requests.overview(session=session, today=today, period=chosen, late_only=late,
                                    actor=actor)
    context = {"rows": rows, "periods": periods, "period": chosen or "", "late": late,
               "today": today, "late_count": sum(1 for r in rows if r.late),
               "staff": bool({"clerk", "leader"} & set(actor.roles or []))}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return page(request, "_requests_table.html", context)
    return page(request, "requests.html", context)


@router.post("/requests/{request_id}/lien-ket", response_class=HTMLResponse, name="make_link")
def make_link(request: Request, request_id: IdPath, session: SessionDep, settings: SettingsDep,
              actor: StaffDep) -> HTMLResponse:
    """A single-use link for the unit to file this report; shown once, to pass on."""
    from congvan.auth import links

    made = links.make(session=session, request_id=request_id, actor=actor,
                      valid_for=timedelta(days=settings.reporter_link_days))
    url = f"{settings.public_base_url.rstrip('/')}/nop-bao-cao/{made.token}"
    return page(request, "_link.html", {"url": url, "link": made.row})
