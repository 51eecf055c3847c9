"""Owed reports (báo cáo phải nộp) per period, late ones highlighted."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from congvan.web.deps import IdPath, PersonDep, SessionDep, SettingsDep, StaffDep
from congvan.web.render import page
from registry.clock import local_today
from reporting import requests as report_requests

router = APIRouter(include_in_schema=False)
PAGE = 100  # units per page of the board's table (a province has hundreds, the country 3,321)


@router.get("/requests", response_class=HTMLResponse, name="requests")
def list_requests(request: Request, session: SessionDep, actor: PersonDep,
                  period: Annotated[str | None, Query()] = None,
                  late: Annotated[bool, Query()] = False,
                  trang: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """Requests of one period (default: the newest), with unit, due date and status; the
    totals and figures cover every unit (counted and summed by the database), the table
    shows ``PAGE`` units at a time."""
    periods = report_requests.periods(session=session, actor=actor)
    chosen = period if period in periods else (periods[0] if periods and period is None else None)
    today = local_today()
    totals = report_requests.counts(session=session, today=today, period=chosen,
                                    late_only=late, actor=actor)
    pages = max(1, -(-totals["total"] // PAGE))
    shown = min(trang, pages)
    rows = report_requests.board_rows(session=session, today=today, period=chosen,
                                      late_only=late, actor=actor, limit=PAGE,
                                      offset=(shown - 1) * PAGE)
    context = {"rows": rows, "periods": periods, "period": chosen or "", "late": late,
               "page": shown, "pages": pages, "page_size": PAGE, "totals": totals,
               "today": today, "late_count": totals["late"],
               "staff": bool({"clerk", "leader"} & set(actor.roles or [])),
               "late_days": {r.request.id: (today - r.request.due_date).days
                             for r in rows if r.late},
               "figures": figures(session=session, period=chosen, actor=actor)}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return page(request, "_requests_table.html", context)
    return page(request, "requests.html", context)


@router.get("/requests/luot-chay", response_class=HTMLResponse, name="cycle_runs")
def cycle_runs(request: Request, settings: SettingsDep, actor: StaffDep,
               period: Annotated[str, Query(max_length=20)] = "") -> HTMLResponse:
    """The period's Prefect flow runs with their state (loaded after the board, so a slow or
    absent Prefect server never holds the board up); "not connected" when there is none."""
    from workflows.cycle_runs import runs_for_period

    return page(request, "_flow_runs.html", {
        "period": period, "runs": runs_for_period(period, api_url=settings.prefect_api_url)})


@router.post("/requests/{request_id}/lien-ket", response_class=HTMLResponse, name="make_link")
def make_link(request: Request, request_id: IdPath, session: SessionDep, settings: SettingsDep,
              actor: StaffDep) -> HTMLResponse:
    """A single-use link for the unit to file this report; shown once, to pass on."""
    from congvan.auth import links

    made = links.make(session=session, request_id=request_id, actor=actor,
                      valid_for=timedelta(days=settings.reporter_link_days))
    url = f"{settings.public_base_url.rstrip('/')}/nop-bao-cao/{made.token}"
    return page(request, "_link.html", {"url": url, "link": made.row})


@router.post("/requests/nhac", response_class=HTMLResponse, name="remind_now")
def remind_now(request: Request, session: SessionDep, actor: StaffDep,
               period: Annotated[str, Form(max_length=20)]) -> HTMLResponse:
    """Send the reminder notice now to every unit that still owes the period's report (of the
    duties the person's organisation collects). Once per unit and stage: pressing again
    sends nothing more."""
    from reporting import reminders

    owed = [r.request for r in report_requests.overview(
        session=session, today=local_today(), period=period, actor=actor)
        if report_requests.is_owed(r.request) and r.request.duty is not None
        and r.request.duty.collector_id == actor.organization_id]
    claimed = reminders.claim(session=session, request_ids=[r.id for r in owed], stage="notice")
    reminders.enqueue_notices(session=session, request_ids=claimed, stage="notice",
                              channels=("email", "folder"))
    return page(request, "_message.html", {
        "code": 200, "title": "Đã gửi nhắc",
        "message": f"Đã đưa {len(claimed)} thông báo nhắc vào hộp thư đi"
                   + (f"; {len(owed) - len(claimed)} đơn vị đã được nhắc trước đó."
                      if len(owed) > len(claimed) else ".")})


def figures(*, session: Session, period: str | None, actor: Any) -> list[Any]:
    """The aggregated figures so far of each duty with requests in ``period``."""
    from reporting.aggregation import progress_memo
    from reporting.forms import form_of

    if not period:
        return []
    out = []
    for duty_id, row in report_requests.duty_forms(session=session, period=period, actor=actor):
        form = form_of(row)
        out.append((row.name, form, progress_memo(session=session, duty_id=duty_id,
                                                  period_key=period, form=form,
                                                  form_id=row.id)))
    return out
