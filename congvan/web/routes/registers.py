"""Registers (sổ đăng ký) of outgoing and incoming documents: filters, one search box that
ignores diacritics and case and also matches an exact number/symbol, and the .xlsx export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, Response

from congvan.web.deps import PersonDep, SessionDep
from congvan.web.render import page
from registry.doctypes import DOC_TYPES
from registry.models import Direction, DocumentStatus

router = APIRouter(include_in_schema=False)

DIRECTIONS = {"di": Direction.OUTGOING, "den": Direction.INCOMING}


@router.get("/so-dang-ky", response_class=HTMLResponse, name="registers")
def register_page(
    request: Request, session: SessionDep, actor: PersonDep,
    q: Annotated[str, Query(max_length=200)] = "",
    huong: Annotated[str, Query(max_length=8)] = "",
    nam: Annotated[str, Query(max_length=4)] = "",
    loai: Annotated[str, Query(max_length=40)] = "",
    trang_thai: Annotated[str, Query(max_length=20)] = "",
    tu_ngay: Annotated[str, Query(max_length=10)] = "",
    den_ngay: Annotated[str, Query(max_length=10)] = "",
    co_quan: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The register with its filters; an HTMX request gets the result table only.

    Empty or half-typed filters (the form sends every field) are ignored, not refused.
    """
    from registry import search

    status = DocumentStatus(trang_thai) if trang_thai in {s.value for s in DocumentStatus} \
        else None
    year = int(nam) if nam.isdigit() and 1900 <= int(nam) <= 2200 else None
    start, end = _date(tu_ngay), _date(den_ngay)
    rows = search.search(session=session, actor=actor, query=q,
                         direction=DIRECTIONS.get(huong), year=year,
                         doc_type=loai if loai in DOC_TYPES else None, status=status,
                         date_from=start, date_to=end, party=co_quan or None)
    context = {"rows": rows, "q": q, "huong": huong if huong in DIRECTIONS else "", "nam": year,
               "loai": loai, "trang_thai": status.value if status else "",
               "tu_ngay": start, "den_ngay": end, "co_quan": co_quan,
               "doc_types": DOC_TYPES, "this_year": dt.date.today().year}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return page(request, "_register_rows.html", context)
    return page(request, "registers.html", context)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/so-dang-ky/xlsx", name="register_xlsx")
def register_xlsx(session: SessionDep, actor: PersonDep,
                  huong: Annotated[str, Query(max_length=8)] = "di",
                  nam: Annotated[int, Query(ge=1900, le=2200)] = 2026) -> Response:
    """The organisation's register of one year as an .xlsx workbook (Appendix IV columns)."""
    from outbox import registers

    direction = DIRECTIONS.get(huong, Direction.OUTGOING)
    if direction is Direction.OUTGOING:
        rows = registers.outgoing_rows(session=session, organization_id=actor.organization_id,
                                       year=nam)
        columns = registers.OUTGOING_COLUMNS
    else:
        rows = registers.incoming_rows(session=session, organization_id=actor.organization_id,
                                       year=nam)
        columns = registers.INCOMING_COLUMNS
    title = f"{registers.TITLES[direction]} năm {nam}"
    data = registers.to_xlsx(title=title, columns=columns, rows=rows)
    name = f"so-{'di' if direction is Direction.OUTGOING else 'den'}-{nam}.xlsx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
