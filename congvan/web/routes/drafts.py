"""Drafting in the browser: a new draft, its addressees from the directory (with the channel
each will use and a warning for lines the system will not send), edits, submission to
reviewers in order."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.web.deps import IdPath, SessionDep, SettingsDep, StaffDep
from congvan.web.render import page
from registry import access
from registry.doctypes import DOC_TYPES
from registry.errors import ValidationError
from registry.models import Document, Organization, Person, RecipientGroup
from registry.recipients import Choice

router = APIRouter(include_in_schema=False)

LINES = 6  # input rows offered for "Kính gửi" and for "Nơi nhận"
Text = Annotated[str, Form(max_length=20000)]
Line = Annotated[list[str], Form(max_length=400)]


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


@router.get("/van-ban/moi", response_class=HTMLResponse, name="draft_new")
def new_form(request: Request, actor: StaffDep) -> HTMLResponse:
    """The empty draft form."""
    return page(request, "draft_form.html", {"document": None, "doc_types": DOC_TYPES,
                                             "to": [], "cc": [], "lines": LINES,
                                             "error": None, "plan": None, "reviewers": []})


@router.post("/van-ban/moi", name="draft_create")
def create(request: Request, session: SessionDep, actor: StaffDep,
           doc_type: Annotated[str, Form(max_length=40)], subject: Text, body: Text = "",
           drafting_unit: Annotated[str, Form(max_length=40)] = "",
           to: Line = [], cc: Line = []) -> Response:  # noqa: B006 - FastAPI form lists
    """Create the draft for the person's organisation and set its lines; then its edit page."""
    from registry import documents
    from registry import recipients as lines_

    doc = documents.create(session=session, doc_type=doc_type, issuer=actor.organization,
                           subject=_nfc(subject), body=_nfc(body), created_by=actor,
                           drafting_unit=_nfc(drafting_unit) or None)
    lines_.set_lines(session=session, document=doc, actor=actor, to=_choices(to),
                     cc=_choices(cc))
    return RedirectResponse(f"/van-ban/{doc.id}/sua", status_code=303)


@router.get("/van-ban/{document_id}/sua", response_class=HTMLResponse, name="draft_edit")
def edit_form(request: Request, document_id: IdPath, session: SessionDep,
              actor: StaffDep) -> HTMLResponse:
    """The draft with its planned deliveries and the submission form (a read: on the access log;
    a secret draft needs the right)."""
    from registry import access_log

    document = access_log.read(session=session, document_id=document_id, act="open",
                               door=access_log.Door(actor, "web"))
    return _edit_page(request, session, document, actor, None)


@router.post("/van-ban/{document_id}/sua", name="draft_save")
def save(request: Request, document_id: IdPath, session: SessionDep, actor: StaffDep,
         subject: Text, body: Text = "", to: Line = [],  # noqa: B006
         cc: Line = []) -> Response:  # noqa: B006
    """Save the subject, body and lines (drafts and returned drafts only)."""
    from registry import recipients as lines_
    from signing import approvals

    document = access.document(session=session, document_id=document_id, actor=actor)
    approvals.edit(session=session, document_id=document.id, actor=actor,
                   subject=_nfc(subject), body=_nfc(body))
    lines_.set_lines(session=session, document=document, actor=actor, to=_choices(to),
                     cc=_choices(cc))
    return RedirectResponse(f"/van-ban/{document.id}/sua?da_luu=1", status_code=303)


@router.post("/van-ban/{document_id}/trinh", name="draft_submit")
def submit(request: Request, document_id: IdPath, session: SessionDep, settings: SettingsDep,
           actor: StaffDep, reviewer: Line = []) -> Response:  # noqa: B006
    """Submit to the chosen reviewers in order (none: a leader who may sign decides)."""
    from signing import approvals

    document = access.document(session=session, document_id=document_id, actor=actor)
    chosen = [k for k in (_nfc(r) for r in reviewer) if k]
    if len(set(chosen)) != len(chosen):
        raise ValidationError("một người duyệt được chọn hai lần; mỗi người chỉ một bước",
                              field="reviewer")
    people = [_reviewer(session, actor, key) for key in chosen]
    assert settings.files_dir is not None
    approvals.submit(session=session, document_id=document.id, actor=actor,
                     files_root=settings.files_dir, reviewers=people)
    return RedirectResponse(f"/documents/{document.id}", status_code=303)


@router.get("/danh-ba", response_class=HTMLResponse, name="directory_options")
def directory_options(request: Request, session: SessionDep, actor: StaffDep,
                      q: Annotated[str, Query(max_length=100)] = "",
                      to: Annotated[str, Query(max_length=100)] = "",
                      cc: Annotated[str, Query(max_length=100)] = "") -> HTMLResponse:
    """Up to 20 directory entries (groups, organisations) matching the typed words, as
    ``<option>`` elements for the addressee inputs' datalist (the input sends its own value
    as ``to`` or ``cc``)."""
    from registry.search import fold

    words = fold(q or to or cc).split()
    options: list[tuple[str, str]] = []
    if words:
        for group in session.scalars(select(RecipientGroup).order_by(RecipientGroup.name)):
            if all(w in fold(f"{group.key} {group.name}") for w in words):
                options.append((group.key, f"{group.name} (nhóm)"))
        query = select(Organization).where(Organization.id != actor.organization_id)
        for word in words[:4]:
            query = query.where(or_(Organization.key.contains(word, autoescape=True),
                                    Organization.text_name.contains(word, autoescape=True),
                                    Organization.name.contains(word, autoescape=True)))
        for org in session.scalars(query.order_by(Organization.name).limit(20)):
            options.append((org.key, f"{' '.join(org.name.split())} — {_channel_hint(org)}"))
        if len(options) < 5:
            for org in session.scalars(select(Organization).where(
                    Organization.id != actor.organization_id).limit(4000)):
                text = fold(f"{org.key} {org.name}")
                if all(w in text for w in words) and all(k != org.key for k, _ in options):
                    options.append((org.key, f"{' '.join(org.name.split())} — "
                                             f"{_channel_hint(org)}"))
                if len(options) >= 20:
                    break
    return page(request, "_directory_options.html", {"options": options[:20]})


def _channel_hint(org: Organization) -> str:
    if org.edxml_id:
        return "trục liên thông (edXML)"
    if org.email:
        return "thư điện tử"
    return "CHƯA gửi được qua hệ thống"


def _choices(values: list[str]) -> list[Choice]:
    return [Choice.parse(v) for v in (_nfc(x) for x in values) if v]


def _reviewer(session: Session, actor: Person, key: str) -> Person:
    person = session.scalar(select(Person).where(Person.key == key,
                                                 Person.organization_id == actor.organization_id,
                                                 Person.active.is_(True)))
    if person is None:
        raise ValidationError(f"không có người duyệt “{key}” trong cơ quan; chọn trong danh "
                              "sách", field="reviewer")
    return person


def _edit_page(request: Request, session: Session, document: Document, actor: Person,
               error: str | None) -> HTMLResponse:
    from outbox import recipients as delivery_plan

    reviewers = session.scalars(select(Person).where(
        Person.organization_id == actor.organization_id, Person.active.is_(True))
        .order_by(Person.full_name)).all()
    reviewers = [p for p in reviewers if {"leader", "reviewer"} & set(p.roles or [])]
    from records import casefiles

    case_files, file_proposals = casefiles.for_document(session=session, document=document,
                                                        actor=actor)
    return page(request, "draft_form.html", {
        "case_files": case_files, "file_proposals": file_proposals, "back": "draft",
        "document": document, "doc_types": DOC_TYPES, "lines": LINES, "error": error,
        "to": [_line_text(r) for r in document.recipients if r.kind == "to"],
        "cc": [_line_text(r) for r in document.recipients if r.kind == "cc"],
        "plan": delivery_plan.plan(session=session, document_id=document.id),
        "reviewers": reviewers, "saved": request.query_params.get("da_luu") == "1",
    })


def _line_text(line: object) -> str:
    from registry.models import DocumentRecipient

    assert isinstance(line, DocumentRecipient)
    key = (line.group.key if line.group else line.person.key if line.person else
           line.organization.key if line.organization else None)
    if key is None:
        return line.label
    return key + (f":{line.channel}" if line.channel else "")
