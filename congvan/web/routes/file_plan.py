"""Hồ sơ pages: the organisation's Danh mục hồ sơ of a year with the files opened from it,
one file's documents, the handler's own open files, and the head's approval of the plan.

Everything shown is the reader's own organisation's (another body's files are not found);
approving goes through records.plan.approve, which checks that the actor heads the body, and
importing the plan from an .xlsx through records.plan (the reader and checks of
`congvan files plan import`), whose import_plan checks who may import.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.web.deps import SessionDep, StaffDep
from congvan.web.render import page
from records import casefiles, plan
from registry.access import shown_subjects
from registry.clock import local_today, now_utc
from registry.errors import ValidationError
from registry.models import CaseFile, CaseFileDocument, FilePlan, Person

router = APIRouter(include_in_schema=False)

IMPORT_ROLES = ("clerk", "leader", "admin")  # as records.plan.import_plan requires

YearQuery = Annotated[int | None, Query(ge=1900, le=2200)]


@router.get("/ho-so", response_class=HTMLResponse, name="file_plan")
def file_plan_page(request: Request, session: SessionDep, actor: StaffDep, nam: YearQuery = None,
                   cua_toi: Annotated[str, Query(alias="cua-toi", max_length=1)] = "",
                   nhap: Annotated[int | None, Query(ge=0, le=plan.MAX_ROWS)] = None
                   ) -> HTMLResponse:
    """The year's file plan of the reader's organisation and the files opened from it (or,
    with ``cua-toi=1``, the reader's own open files); ``nhap`` counts the files just imported."""
    year = nam or local_today().year
    if cua_toi:
        mine = casefiles.mine(session=session, actor=actor)
        return page(request, "file_plan.html", {
            **_years(year), "mine": mine, "counts": _counts(session, [f.id for f in mine])})
    return page(request, "file_plan.html", {**_plan_context(session, actor, year),
                                            "imported": nhap})


def _years(year: int) -> dict[str, Any]:
    this_year = local_today().year
    return {"year": year, "years": range(this_year + 1, this_year - 6, -1)}


def _plan_context(session: Session, actor: Person, year: int) -> dict[str, Any]:
    stored = session.scalar(select(FilePlan).where(
        FilePlan.organization_id == actor.organization_id, FilePlan.year == year))
    files = session.scalars(select(CaseFile).where(
        CaseFile.organization_id == actor.organization_id, CaseFile.year == year)
        .order_by(CaseFile.code)).all()
    planned = {e.code for e in stored.entries} if stored else set()
    return {
        **_years(year), "plan": stored, "files": {f.code: f for f in files},
        "unplanned": [f for f in files if f.code not in planned],
        "counts": _counts(session, [f.id for f in files]),
        "may_approve": stored is not None and stored.status != "approved"
        and plan.is_head(actor, actor.organization_id, session),
        # Who is offered the upload form; records.plan.import_plan decides who may import.
        "may_import": (stored is None or stored.status != "approved")
        and any(actor.has_role(r) for r in IMPORT_ROLES),
        "retention": plan.retention_text}


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


@router.post("/ho-so/nhap", response_class=HTMLResponse, name="file_plan_import")
async def import_plan(request: Request, session: SessionDep, actor: StaffDep) -> Response:
    """The year's Danh mục hồ sơ from an .xlsx (the CLI's `files plan import` reader and
    checks: formulas, zip bombs, size; each refused row named by line and column); nothing is
    stored unless every row is right. records.plan.import_plan checks who may import."""
    form = await request.form(max_files=1, max_fields=5)
    year = _form_year(form.get("nam"))
    upload = form.get("tep")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _refused(request, session, actor, year, [
            ("tệp", "", "chưa chọn tệp: hãy chọn tệp .xlsx của danh mục hồ sơ rồi bấm Nhập")])
    name = PurePath(upload.filename.replace("\\", "/")).name[:120]
    if not name.lower().endswith(".xlsx"):
        return _refused(request, session, actor, year, [
            ("tệp", "", f"tệp {name}: chỉ nhận bảng tính .xlsx (Excel Workbook)")])
    data = await upload.read(plan.MAX_BYTES + 1)
    if len(data) > plan.MAX_BYTES:
        return _refused(request, session, actor, year, [
            ("tệp", "", f"tệp {name} quá lớn (tối đa {plan.MAX_BYTES // 1024 // 1024} MiB)")],
            status_code=413)
    try:
        rows = plan.check_rows(session=session, plan_file=plan.read_xlsx(data, source=name),
                               source=name)
    except plan.PlanFileError as refused:
        return _refused(request, session, actor, year, refused.problems)
    stored = plan.import_plan(session=session, organization=actor.organization, year=year,
                              rows=rows, actor=actor)
    return RedirectResponse(f"/ho-so?nam={year}&nhap={len(stored.entries)}", status_code=303)


def _form_year(value: object) -> int:
    text = value.strip() if isinstance(value, str) else ""
    if not text.isdigit() or not 1900 <= int(text) <= 2200:
        raise ValidationError("năm của danh mục phải là số từ 1900 đến 2200", field="nam")
    return int(text)


def _refused(request: Request, session: Session, actor: Person, year: int,
             problems: Sequence[tuple[str, str, str]], *, status_code: int = 422
             ) -> HTMLResponse:
    """The plan page again with the file's problems above the upload form; nothing stored."""
    return page(request, "file_plan.html", {
        **_plan_context(session, actor, year), "problems": list(problems)[:plan.MAX_REPORTED],
        "more_problems": max(0, len(problems) - plan.MAX_REPORTED)}, status_code=status_code)


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
