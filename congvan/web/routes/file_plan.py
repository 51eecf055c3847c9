"""Hồ sơ pages: the organisation's Danh mục hồ sơ of a year with the files opened from it,
one file's documents, the handler's own open files, and the head's approval of the plan.

Everything shown is the reader's own organisation's (another body's files are not found);
approving goes through records.plan.approve, which checks that the actor heads the body.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from sqlalchemy import func, select
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.web.deps import SessionDep, StaffDep
from congvan.web.render import page
from records import casefiles, plan
from registry.access import shown_subjects
from registry.clock import local_today, now_utc
from registry.models import CaseFile, CaseFileDocument, FilePlan

router = APIRouter(include_in_schema=False)

YearQuery = Annotated[int | None, Query(ge=1900, le=2200)]


@router.get("/ho-so", response_class=HTMLResponse, name="file_plan")
def file_plan_page(request: Request, session: SessionDep, actor: StaffDep, nam: YearQuery = None,
                   cua_toi: Annotated[str, Query(alias="cua-toi", max_length=1)] = ""
                   ) -> HTMLResponse:
    """The year's file plan of the reader's organisation and the files opened from it (or,
    with ``cua-toi=1``, the reader's own open files)."""
    year = nam or local_today().year
    this_year = local_today().year
    common = {"year": year, "years": range(this_year + 1, this_year - 6, -1)}
    if cua_toi:
        mine = casefiles.mine(session=session, actor=actor)
        return page(request, "file_plan.html", {
            **common, "mine": mine, "counts": _counts(session, [f.id for f in mine])})
    stored = session.scalar(select(FilePlan).where(
        FilePlan.organization_id == actor.organization_id, FilePlan.year == year))
    files = session.scalars(select(CaseFile).where(
        CaseFile.organization_id == actor.organization_id, CaseFile.year == year)
        .order_by(CaseFile.code)).all()
    planned = {e.code for e in stored.entries} if stored else set()
    return page(request, "file_plan.html", {
        **common, "plan": stored, "files": {f.code: f for f in files},
        "unplanned": [f for f in files if f.code not in planned],
        "counts": _counts(session, [f.id for f in files]),
        "may_approve": stored is not None and stored.status != "approved"
        and plan.is_head(actor, actor.organization_id, session),
        "retention": plan.retention_text})


def _counts(session: SessionDep, ids: list[int]) -> dict[int, int]:
    """Documents per file."""
    if not ids:
        return {}
    rows = session.execute(select(CaseFileDocument.case_file_id, func.count()).where(
        CaseFileDocument.case_file_id.in_(ids)).group_by(CaseFileDocument.case_file_id)).all()
    return {file_id: count for file_id, count in rows}


@router.post("/ho-so/duyet", name="file_plan_approve")
def approve_plan(session: SessionDep, actor: StaffDep,
                 nam: Annotated[int, Form(ge=1900, le=2200)]) -> Response:
    """The head approves the year's plan (records.plan.approve checks who may)."""
    stored = plan.get_plan(session=session, organization=actor.organization, year=nam)
    plan.approve(session=session, plan=stored, actor=actor, now=now_utc())
    return RedirectResponse(f"/ho-so?nam={nam}", status_code=303)


@router.get("/ho-so/{code:path}", response_class=HTMLResponse, name="case_file")
def case_file_page(request: Request, session: SessionDep, actor: StaffDep,
                   code: Annotated[str, Path(min_length=1, max_length=casefiles.CODE_MAX)],
                   nam: YearQuery = None) -> HTMLResponse:
    """One file of the reader's organisation: its fields, state and documents (a secret
    document's trích yếu only for a reader with the right)."""
    year = nam or local_today().year
    found = casefiles.get(session=session, organization_id=actor.organization_id, year=year,
                          code=code)
    links = casefiles.items(session=session, case_file=found)
    return page(request, "case_file.html", {
        "f": found, "links": links,
        "retention": plan.retention_text,
        "subjects": shown_subjects(session=session, documents=[x.document for x in links],
                                   reader=actor)})
