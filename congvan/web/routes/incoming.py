"""Incoming documents (văn bản đến): the list, registration from a file (fields proposed
from its text or a scan's OCR, confirmed by the clerk) or from paper, and handling —
present to a leader, the leader's assignment with a due date, progress, done."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
import unicodedata
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.settings import Settings
from congvan.web.deps import (
    ClerkDep,
    IdPath,
    LeaderDep,
    PersonDep,
    SessionDep,
    SettingsDep,
    StaffDep,
)
from congvan.web.render import page
from registry import access
from registry.errors import ValidationError
from registry.models import Organization, Person

router = APIRouter(include_in_schema=False)

UPLOADS = "tai-len"
STAGED_FOR = dt.timedelta(days=2)  # an upload read but never registered is kept this long
_TOKEN = re.compile(r"[0-9a-f]{32}")
Field = Annotated[str, Form(max_length=2000)]


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


@router.get("/van-ban-den", response_class=HTMLResponse, name="incoming_list")
def incoming_list(request: Request, session: SessionDep, actor: StaffDep,
                  nam: Annotated[int | None, Query(ge=1900, le=2200)] = None,
                  q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """The office's incoming documents of a year with their handling state."""
    from outbox import handling
    from registry.clock import local_today

    year = nam or local_today().year
    rows = handling.listing(session=session, organization_key=actor.organization.key,
                            year=year, reader=actor, search=_nfc(q) or None)
    return page(request, "incoming_list.html", {"rows": rows, "year": year, "q": q})


@router.get("/van-ban-den/moi", response_class=HTMLResponse, name="incoming_new")
def incoming_form(request: Request, actor: ClerkDep) -> HTMLResponse:
    """The registration form: a file to read, or the fields of a paper document."""
    return page(request, "incoming_form.html", {"proposal": None, "token": "", "name": "",
                                                "values": {}, "error": None})


@router.post("/van-ban-den/moi", response_class=HTMLResponse, name="incoming_register")
def incoming_register(
    request: Request, session: SessionDep, settings: SettingsDep, actor: ClerkDep,
    tep: Annotated[UploadFile | None, File()] = None,
    token: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(max_length=20)] = "doc",
    number: Field = "", symbol: Field = "", date: Field = "", issuer: Field = "",
    subject: Annotated[str, Form(max_length=5000)] = "", urgency: Field = "",
    via: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """``action=doc`` reads the uploaded file and proposes its fields; ``action=vao-so``
    registers with the fields as confirmed (a duplicate gets no new number)."""
    from outbox import intake

    values = {"number": number, "symbol": symbol, "date": date, "issuer": issuer,
              "subject": subject, "urgency": urgency, "via": via}
    if tep is not None and tep.filename:
        token, name = _keep_upload(settings, tep)
    else:
        name = _upload_name(settings, token) if token else ""
    incoming = _read_staged(settings, token, name) if token else intake.paper()
    if action != "vao-so":
        proposed = {"number": incoming.number_symbol.partition("/")[0],
                    "symbol": incoming.number_symbol.partition("/")[2],
                    "date": (f"{incoming.original_date:%d/%m/%Y}" if incoming.original_date
                             else ""),  # as the field asks: ngày/tháng/năm
                    "issuer": incoming.sender_name, "subject": incoming.subject,
                    "urgency": incoming.urgency or "", "via": incoming.channel}
        return page(request, "incoming_form.html", {
            "proposal": incoming, "token": token, "name": name, "error": None,
            "values": {k: v or proposed.get(k, "") for k, v in values.items()}})
    typed = {k: _nfc(v) for k, v in values.items()}
    confirmed = intake.corrected(
        incoming, number=typed["number"] or None, symbol=typed["symbol"] or None,
        date_=typed["date"] or None, issuer=typed["issuer"] or None,
        subject=typed["subject"] or None, urgency=typed["urgency"] or None)
    assert settings.files_dir is not None
    registration = intake.register_incoming(
        session=session, organization_id=actor.organization_id, incoming=confirmed,
        arrived_at=dt.datetime.now(dt.UTC), files_root=settings.files_dir, actor=actor,
        channel=typed["via"] or None)
    target = f"/documents/{registration.document.id}"
    # The registry holds the file now; the staged copy and its reading go once the
    # registration is committed (the session commits before the answer leaves).
    return RedirectResponse(target + ("?trung=1" if registration.duplicate else ""),
                            status_code=303,
                            background=BackgroundTask(_discard_upload, settings, token)
                            if token else None)


@router.post("/van-ban-den/{document_id}/trinh", name="incoming_present")
def present(document_id: IdPath, session: SessionDep, actor: ClerkDep,
            leader: Annotated[str, Form(max_length=120)]) -> Response:
    """The clerk presents the document to a leader of the office."""
    from outbox import handling

    access.document(session=session, document_id=document_id, actor=actor)
    handling.present(session=session, document_id=document_id, clerk=actor,
                     leader=_person(session, actor, leader))
    return RedirectResponse(f"/documents/{document_id}#xu-ly", status_code=303)


@router.post("/van-ban-den/{document_id}/giao", name="incoming_assign")
def assign(document_id: IdPath, session: SessionDep, actor: LeaderDep,
           main: Annotated[str, Form(max_length=120)],
           due: Annotated[str, Form(max_length=10)] = "",
           opinion: Annotated[str, Form(max_length=5000)] = "") -> Response:
    """The leader assigns (bút phê): who leads the handling, by when, with an opinion."""
    from outbox import handling

    access.document(session=session, document_id=document_id, actor=actor)
    handling.assign(session=session, document_id=document_id, leader=actor,
                    main=_assignee(session, actor, main), due=_date(due, "han_xu_ly"),
                    opinion=_nfc(opinion))
    return RedirectResponse(f"/documents/{document_id}#xu-ly", status_code=303)


@router.post("/van-ban-den/{document_id}/tien-do", name="incoming_progress")
def progress(document_id: IdPath, session: SessionDep, actor: PersonDep,
             note: Annotated[str, Form(max_length=5000)] = "",
             xong: Annotated[str, Form(max_length=5)] = "",
             answer: Annotated[str, Form(max_length=120)] = "") -> Response:
    """The assignee reports progress, or that the handling is done (with the answer)."""
    from outbox import handling

    access.document(session=session, document_id=document_id, actor=actor)
    if xong:
        answering = None
        if _nfc(answer):
            answering = handling.outgoing_by_number(
                session=session, organization_key=actor.organization.key,
                number_symbol=_nfc(answer))
        handling.done(session=session, document_id=document_id, actor=actor,
                      result=_nfc(note),
                      answer_document_id=answering.id if answering else None)
    else:
        handling.progress(session=session, document_id=document_id, actor=actor,
                          note=_nfc(note))
    return RedirectResponse(f"/documents/{document_id}#xu-ly", status_code=303)


def handling_context(session: Session, document: Any, actor: Person) -> dict[str, Any]:
    """What the document page's handling card shows for an incoming document."""
    from outbox import handling

    office_people = session.scalars(select(Person).where(
        Person.organization_id == actor.organization_id, Person.active.is_(True))
        .order_by(Person.full_name)).all()
    units = session.scalars(select(Organization).where(
        Organization.parent_id == actor.organization_id).order_by(Organization.name)).all()
    return {
        "handling_events": handling.history(session=session, document_id=document.id),
        "arrivals": handling.arrivals(session=session, document_id=document.id),
        "leaders": [p for p in office_people if p.has_role("leader")],
        "assignees": [("p:" + p.key, p.full_name) for p in office_people]
        + [("o:" + u.key, " ".join(u.name.split())) for u in units],
    }


def _person(session: Session, actor: Person, key: str) -> Person:
    person = session.scalar(select(Person).where(Person.key == _nfc(key),
                                                 Person.organization_id == actor.organization_id))
    if person is None:
        raise ValidationError("chọn người trong danh sách của cơ quan", field="leader")
    return person


def _assignee(session: Session, actor: Person, value: str) -> Any:
    from outbox.handling import Assignee

    kind, _, key = _nfc(value).partition(":")
    if kind == "p":
        return Assignee(person=_person(session, actor, key))
    org = session.scalar(select(Organization).where(Organization.key == key))
    if kind != "o" or org is None:
        raise ValidationError("chọn đơn vị hoặc người chủ trì trong danh sách", field="main")
    return Assignee(organization=org)


def _date(text: str, field: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError("ngày phải có dạng năm-tháng-ngày, ví dụ 2026-12-15",
                              field=field) from None


def _uploads(settings: Settings) -> Path:
    assert settings.files_dir is not None
    return settings.files_dir / UPLOADS


def _safe_name(raw: str) -> str:
    # Only the last path component, no control characters: "../../x.pdf" becomes "x.pdf".
    name = Path(raw.replace("\\", "/")).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if ch.isprintable())
    name = name.lstrip(".")[:120]
    return name or "tep"


def _discard_upload(settings: Settings, token: str) -> None:
    """Remove a staged upload and the fields read from it (after its registration)."""
    if not _TOKEN.fullmatch(token):
        return
    shutil.rmtree(_uploads(settings) / token, ignore_errors=True)
    (_uploads(settings) / f"{token}.json").unlink(missing_ok=True)


def _sweep_uploads(settings: Settings, *, older_than: dt.timedelta = STAGED_FOR) -> int:
    """Remove staged uploads nobody registered (a form left open, a browser closed) once they
    are older than ``older_than``; run at each new upload. Returns how many went."""
    folder = _uploads(settings)
    if not folder.is_dir():
        return 0
    limit = dt.datetime.now().timestamp() - older_than.total_seconds()
    gone = 0
    for entry in folder.iterdir():
        token = entry.name.removesuffix(".json")
        try:
            old = _TOKEN.fullmatch(token) is not None and entry.stat().st_mtime < limit
        except OSError:
            continue
        if old:
            _discard_upload(settings, token)
            gone += 1
    return gone


def _keep_upload(settings: Settings, upload: UploadFile) -> tuple[str, str]:
    _sweep_uploads(settings)
    token = secrets.token_hex(16)
    folder = _uploads(settings) / token
    folder.mkdir(parents=True)
    name = _safe_name(upload.filename or "")
    target = (folder / name).resolve()
    if not target.is_relative_to(folder.resolve()):
        raise ValidationError("tên tệp không hợp lệ", field="tep")
    with target.open("wb") as out:
        while chunk := upload.file.read(1024 * 1024):
            out.write(chunk)
    return token, name


def _upload_name(settings: Settings, token: str) -> str:
    if not _TOKEN.fullmatch(token):
        raise ValidationError("tệp đã tải lên không còn; hãy chọn lại tệp", field="tep")
    folder = _uploads(settings) / token
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    if len(names) != 1:
        raise ValidationError("tệp đã tải lên không còn; hãy chọn lại tệp", field="tep")
    return names[0]


def _read_staged(settings: Settings, token: str, name: str) -> Any:
    """The fields read from the staged upload: those proposed when the clerk pressed "Đọc
    tệp", kept beside it under the file's SHA-256, else read now (and kept). Reading a scan
    runs OCR (seconds); "Vào sổ" must not run it again on the same bytes."""
    from outbox import intake
    from registry.files import sha256

    path = _upload_path(settings, token, name)
    if path.suffix.lower() in (".xml", ".edxml"):  # a package: its own files, cheap to parse
        return intake.read_file(path)
    data = path.read_bytes()
    digest = sha256(data)
    kept = _uploads(settings) / f"{token}.json"
    try:
        saved = json.loads(kept.read_text(encoding="utf-8"))
        if saved["sha256"] == digest and saved["name"] == name:
            return intake.from_proposal(saved["fields"], name=name, data=data)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none kept yet (or unreadable): read the file
    incoming = intake.read_file(path)
    kept.write_text(json.dumps({"sha256": digest, "name": name,
                                "fields": intake.proposal_fields(incoming)},
                               ensure_ascii=False), encoding="utf-8")
    return incoming


def _upload_path(settings: Settings, token: str, name: str) -> Path:
    if not _TOKEN.fullmatch(token):
        raise ValidationError("tệp đã tải lên không còn; hãy chọn lại tệp", field="tep")
    return _uploads(settings) / token / _safe_name(name)
