"""Owed reports (báo cáo phải nộp) per period, late ones highlighted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from congvan.web.deps import ReaderDep, SessionDep
from congvan.web.render import page
from registry.clock import local_today
from reporting import requests as report_requests

router = APIRouter()


@router.get("/requests", response_class=HTMLResponse, name="requests")
def list_requests(request: Request, session: SessionDep, actor: ReaderDep,
                  period: Annotated[str | None, Query()] = None,
                  late: Annotated[bool, Query()] = False) -> HTMLResponse:
    """Requests of one period (default: the newest), with unit, due date and status."""
    periods = report_requests.periods(session=session)
    chosen = period if period in periods else (periods[0] if periods and period is None else None)
    today = local_today()
    rows = report_requests.overview(session=session, today=today, period=chosen, late_only=late)
    context = {"rows": rows, "periods": periods, "period": chosen or "", "late": late,
               "today": today, "late_count": sum(1 for r in rows if r.late)}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return page(request, "_requests_table.html", context)
    return page(request, "requests.html", context)
