"""Registers (sổ đăng ký) of outgoing and incoming documents: filters, one search box that
ignores diacritics and case and also matches an exact number/symbol, and the .xlsx export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, Response

from congvan.web.deps import PersonDep, SessionDep, SettingsDep, StaffDep
from congvan.web.register_book import Filters, PrintedBook
from congvan.web.render import page
from registry import access_log
from registry.doctypes import DOC_TYPES
from registry.models import Direction, DocumentStatus, Person

router = APIRouter(include_in_schema=False)
PAGE = 50  # documents per page of the register's result table (newest first)

DIRECTIONS = {"di": Direction.OUTGOING, "den": Direction.INCOMING}


def page_filters(
    q: Annotated[str, Query(max_length=200)] = "",
    huong: Annotated[str, Query(max_length=8)] = "",
    nam: Annotated[str, Query(max_length=4)] = "",
    loai: Annotated[str, Query(max_length=40)] = "",
    trang_thai: Annotated[str, Query(max_length=20)] = "",
    tu_ngay: Annotated[str, Query(max_length=10)] = "",
    den_ngay: Annotated[str, Query(max_length=10)] = "",
    co_quan: Annotated[str, Query(max_length=200)] = "",
) -> Filters:
    """The page's filters; empty or half-typed ones (the form sends every field) are ignored,
    not refused."""
    statuses = {s.value for s in DocumentStatus}
    return Filters(
        query=q, direction=DIRECTIONS.get(huong),
        year=int(nam) if nam.isdigit() and 1900 <= int(nam) <= 2200 else None,
        doc_type=loai if loai in DOC_TYPES else None,
        status=DocumentStatus(trang_thai) if trang_thai in statuses else None,
        date_from=_date(tu_ngay), date_to=_date(den_ngay), party=co_quan or None)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


FiltersDep = Annotated[Filters, Depends(page_filters)]


@router.get("/so-dang-ky", response_class=HTMLResponse, name="registers")
def register_page(request: Request, session: SessionDep, actor: PersonDep,
                  filters: FiltersDep,
                  trang: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """The register with its filters, ``PAGE`` documents a page (page ``trang``); an HTMX
    request gets the result table only."""
    from registry import search
    from registry.access import shown_subjects

    found = search.search(session=session, actor=actor, limit=PAGE + 1,
                          offset=(trang - 1) * PAGE, **filters.search_args())
    rows, more = found[:PAGE], len(found) > PAGE
    huong = next((k for k, v in DIRECTIONS.items() if v is filters.direction), "")
    context = {"rows": rows, "q": filters.query, "huong": huong, "nam": filters.year,
               "loai": filters.doc_type or "",
               "trang_thai": filters.status.value if filters.status else "",
               "tu_ngay": filters.date_from, "den_ngay": filters.date_to,
               "co_quan": filters.party or "", "doc_types": DOC_TYPES,
               "subjects": shown_subjects(session=session, documents=rows, reader=actor),
               "this_year": dt.date.today().year, "page": trang, "more": more,
               "first": (trang - 1) * PAGE + 1,
               "page_query": {k: v for k, v in request.query_params.items()
                              if k != "trang" and v},
               "print_query": {k: v for k, v in request.query_params.items()
                               if k not in ("huong", "trang") and v}}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return page(request, "_register_rows.html", context)
    return page(request, "registers.html", context)


@router.get("/so-dang-ky/in", response_class=HTMLResponse, name="register_print")
def register_print(request: Request, session: SessionDep, actor: PersonDep,
                   filters: FiltersDep) -> HTMLResponse:
    """The register book to print from the browser (A4 landscape print stylesheet): cover and
    the Appendix IV table of the numbered documents the page's filters select."""
    from congvan.web import register_book

    printed = register_book.build(session=session, actor=actor, filters=filters)
    _log_print(session, actor, printed)
    return page(request, "register_print.html", {
        "printed": printed, "book": printed.book, "max_rows": register_book.MAX_ROWS,
        "pdf_query": str(request.query_params)})


@router.get("/so-dang-ky/in.pdf", name="register_print_pdf")
def register_print_pdf(session: SessionDep, settings: SettingsDep, actor: PersonDep,
                       filters: FiltersDep) -> Response:
    """The same register book as PDF, through LibreOffice (doc_templates.register_book)."""
    from congvan.web import document_view, register_book
    from doc_templates.register_book import render_register_book

    printed = register_book.build(session=session, actor=actor, filters=filters)
    _log_print(session, actor, printed)
    docx = render_register_book(printed.book)
    # End the read before LibreOffice works for a second or more (SQLite's write lock).
    session.commit()
    pdf = document_view.convert(settings=settings, docx=docx)
    kind = "di" if printed.direction is Direction.OUTGOING else "den"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="so-{kind}-{printed.book.year}.pdf"'})


def _log_print(session: Session, actor: Person, printed: PrintedBook) -> None:
    """A printed register book is on the access log (act "print", no document id)."""
    access_log.record(session=session, door=access_log.Door(actor, "web"), act="print",
                      document_id=None, detail={
                          "register": "di" if printed.direction is Direction.OUTGOING else "den",
                          "year": printed.book.year, "rows": len(printed.book.rows)})


@router.get("/so-dang-ky/xlsx", name="register_xlsx")
def register_xlsx(session: SessionDep, actor: PersonDep,
                  huong: Annotated[str, Query(max_length=8)] = "di",
                  nam: Annotated[int, Query(ge=1900, le=2200)] = 2026) -> Response:
    """The organisation's register of one year as an .xlsx workbook (Appendix IV columns)."""
    from outbox import registers

    direction = DIRECTIONS.get(huong, Direction.OUTGOING)
    if direction is Direction.OUTGOING:
        rows = registers.outgoing_rows(session=session, organization_id=actor.organization_id,
                                       year=nam, reader=actor)
        columns = registers.OUTGOING_COLUMNS
    else:
        rows = registers.incoming_rows(session=session, organization_id=actor.organization_id,
                                       year=nam, reader=actor)
        columns = registers.INCOMING_COLUMNS
    title = f"{registers.TITLES[direction]} năm {nam}"
    data = registers.to_xlsx(title=title, columns=columns, rows=rows)
    access_log.record(session=session, door=access_log.Door(actor, "web"), act="export",
                      document_id=None, detail={"register": huong, "year": nam,
                                                "rows": len(rows)})
    name = f"so-{'di' if direction is Direction.OUTGOING else 'den'}-{nam}.xlsx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# The Appendix VI reports (reporting.appendix6): what ``loai`` names.
APPENDIX6 = {"den": "handling-in", "di": "handling-out", "van-ban": "document-index",
             "ho-so": "file-index"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/so-dang-ky/phu-luc-vi", response_class=HTMLResponse, name="appendix6")
def appendix6_page(request: Request, actor: StaffDep) -> HTMLResponse:
    """The Appendix VI reports of the person's organisation: pick one, a period, a format."""
    from registry.clock import local_today

    year = local_today().year
    return page(request, "appendix6.html", {"this_year": year, "years": range(year, year - 6, -1)})


@router.get("/so-dang-ky/phu-luc-vi/tai", name="appendix6_file")
def appendix6_file(
    session: SessionDep, actor: StaffDep,
    loai: Annotated[str, Query(pattern="^(den|di|van-ban|ho-so)$")],
    nam: Annotated[int, Query(ge=1900, le=2200)],
    ky: Annotated[str, Query(pattern="^(|Q[1-4]|H1)$")] = "",
    dang: Annotated[str, Query(pattern="^(xlsx|docx)$")] = "xlsx",
) -> Response:
    """One report as .xlsx or as the Báo cáo .docx; on the access log as an export."""
    from registry.calendar import Period
    from registry.clock import local_today
    from reporting import appendix6, handling_stats, indexes

    organization = actor.organization
    today = local_today()
    period = Period.from_key(f"{nam}-{ky}" if ky else str(nam))
    name = f"phu-luc-vi-{loai}-{period.key}"
    if loai in ("den", "di"):
        build = handling_stats.incoming if loai == "den" else handling_stats.outgoing
        report = build(session=session, organization=organization, start=period.start,
                       end=period.end, today=today)
        data = (appendix6.handling_xlsx(report) if dang == "xlsx" else _docx(
            appendix6.handling_spec(session=session, report=report, on=today,
                                    signer=appendix6.default_signer(session, organization)),
            today))
    else:
        index = (indexes.document_index(session=session, organization=organization, year=nam,
                                        reader=actor)
                 if loai == "van-ban" else
                 indexes.file_index(session=session, organization=organization, year=nam))
        name = f"phu-luc-vi-{loai}-{nam}"
        data = (appendix6.index_xlsx(index) if dang == "xlsx" else _docx(
            appendix6.index_spec(session=session, index=index, on=today,
                                 signer=appendix6.default_signer(session, organization)),
            today))
    access_log.record(session=session, door=access_log.Door(actor, "web"), act="export",
                      document_id=None, detail={"report": APPENDIX6[loai], "year": nam,
                                                "start": period.start.isoformat(),
                                                "end": period.end.isoformat()})
    return Response(data, media_type=XLSX if dang == "xlsx" else DOCX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.{dang}"'})


def _docx(spec: Any, today: dt.date) -> bytes:
    from doc_templates.render import render_docx

    return render_docx(spec, today=today)
