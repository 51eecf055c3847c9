"""The leader signs the approved draft from the browser (ký duyệt), with their own key only:

- with the PIN of their token held by the server (``POST /documents/{id}/ky``): the server
  opens the token carrying the leader's registered certificate with the PIN just typed, for
  this request; a wrong PIN or a locked token is a Vietnamese message and nothing is written;
- through ``congvan sign-agent`` on their machine (``POST /documents/{id}/ky-ngoai``): the
  server prepares the signature and shows the document, subject and digest; the leader's
  agent signs it after the leader confirms (``congvan sign-request``), and the CMS pasted or
  uploaded here is checked (certificate, digest, document unchanged) before it is embedded.

signing.person decides who may sign (status, leader role, signing right, certificate owner).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.settings import Settings
from congvan.web import keys, signing_view
from congvan.web.deps import IdPath, LeaderDep, SessionDep, SettingsDep
from congvan.web.render import page
from registry import access
from registry.errors import ValidationError
from registry.models import Person
from signing.errors import BadPassword, SigningError

router = APIRouter(include_in_schema=False)

CMS_MAX = 64 * 1024  # a CMS signature with its chain is a few kB
Pin = Annotated[str, Form(max_length=keys.PIN_MAX)]


@router.post("/documents/{document_id}/ky", name="sign_pin")
def sign_with_pin(request: Request, document_id: IdPath, session: SessionDep,
                  settings: SettingsDep, actor: LeaderDep, pin: Pin = "") -> Response:
    """Sign with the PIN of the leader's own token on the server."""
    from signing import keyring, person

    access.document(session=session, document_id=document_id, actor=actor)
    person.require_may_sign(session=session, document_id=document_id, actor=actor)
    assert settings.files_dir is not None
    actor_id = actor.id
    try:
        keys.require_pin_tries_left(session=session, actor=actor)
        source = keys.person_token(session=session, settings=settings, actor=actor, pin=pin)
        image = keyring.signature_image(keys.signature_png(settings, actor))
        with keyring.opened_signer(source, tsa_url=settings.tsa_url) as signer:
            person.sign_with_key(session=session, document_id=document_id, actor=actor,
                                 signer=signer, signature=image,
                                 converter=signing_view.Converter(settings),
                                 files_root=settings.files_dir)
    except SigningError as exc:
        session.rollback()
        message = str(exc)
        if isinstance(exc, BadPassword) and "không đúng" in message:
            keys.record_pin_refused(document_id=document_id, actor_id=actor_id)
            message += (" Gõ lại mã PIN rồi bấm Ký số; nhập sai nhiều lần liên tiếp sẽ tạm "
                        "ngừng ký bằng mã PIN (và có thể khoá token).")
        return _sign_panel(request, session, settings, document_id, actor, message)
    return _back(request, document_id)


@router.post("/documents/{document_id}/ky-ngoai", response_class=HTMLResponse,
             name="sign_agent_begin")
def begin_agent(request: Request, document_id: IdPath, session: SessionDep,
                settings: SettingsDep, actor: LeaderDep,
                certificate: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Prepare the signature for the leader's agent and show what it must sign."""
    from signing import certificates, keyring, person

    access.document(session=session, document_id=document_id, actor=actor)
    person.require_may_sign(session=session, document_id=document_id, actor=actor)
    rows = certificates.usable_of(session=session, person=actor)
    chosen = next((r for r in rows if r.fingerprint == certificate), rows[0] if rows else None)
    try:
        if chosen is None:
            raise SigningError(f"{actor.full_name} chưa có chứng thư số còn hiệu lực đăng ký "
                               "trong hệ thống; nhờ quản trị đăng ký (congvan keys register).")
        image = keyring.signature_image(keys.signature_png(settings, actor))
        pending = person.begin_external(session=session, document_id=document_id, actor=actor,
                                        certificate=chosen.der, signature=image,
                                        converter=signing_view.Converter(settings))
    except SigningError as exc:
        session.rollback()
        return _sign_panel(request, session, settings, document_id, actor, str(exc))
    target = f"/documents/{document_id}/ky-ngoai/{pending.id}"
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/documents/{document_id}/ky-ngoai/{pending_id}", response_class=HTMLResponse,
            name="sign_agent_page")
def agent_page(request: Request, document_id: IdPath, pending_id: IdPath, session: SessionDep,
               actor: LeaderDep) -> HTMLResponse:
    """What the agent needs (document, subject, digest, the request file) and the CMS form."""
    return _agent_page(request, session, document_id, pending_id, actor, None)


@router.get("/documents/{document_id}/ky-ngoai/{pending_id}/yeu-cau.json",
            name="sign_agent_request")
def agent_request(document_id: IdPath, pending_id: IdPath, session: SessionDep,
                  actor: LeaderDep) -> Response:
    """The signing request as a file for ``congvan sign-request``."""
    from signing import person

    access.document(session=session, document_id=document_id, actor=actor)
    pending = person.pending(session=session, pending_id=pending_id, actor=actor)
    body = {"document": pending.document_label, "subject": pending.subject,
            "digest": pending.digest_hex, "md_algorithm": pending.md_algorithm}
    return Response(json.dumps(body, ensure_ascii=False, indent=2),
                    media_type="application/json",
                    headers={"Content-Disposition":
                             f'attachment; filename="yeu-cau-ky-{document_id}.json"'})


@router.post("/documents/{document_id}/ky-ngoai/{pending_id}", name="sign_agent_complete")
def complete_agent(request: Request, document_id: IdPath, pending_id: IdPath,
                         session: SessionDep, settings: SettingsDep, actor: LeaderDep,
                         cms: Annotated[str, Form(max_length=CMS_MAX * 2)] = "",
                         cms_file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Embed the CMS the agent returned (pasted as base64/PEM, or the file it wrote)."""
    raw = cms_file.file.read(CMS_MAX + 1) if cms_file is not None and cms_file.filename else b""
    return _complete(request, session, settings, document_id, pending_id, actor,
                     raw or cms.encode("ascii", "replace"))


def _complete(request: Request, session: Session, settings: Settings, document_id: int,
              pending_id: int, actor: Person, data: bytes) -> Response:
    from signing import person

    access.document(session=session, document_id=document_id, actor=actor)
    assert settings.files_dir is not None
    try:
        der = _cms_bytes(data)
        person.complete_external(session=session, pending_id=pending_id, actor=actor, cms=der,
                                 files_root=settings.files_dir)
    except (SigningError, ValidationError) as exc:
        session.rollback()
        return _agent_page(request, session, document_id, pending_id, actor, str(exc),
                           status_code=422)
    return _back(request, document_id)


def _cms_bytes(data: bytes) -> bytes:
    """The CMS in DER from what was pasted or uploaded: DER, PEM or base64."""
    if len(data) > CMS_MAX:
        raise ValidationError(f"chữ ký dài quá {CMS_MAX // 1024} kB; hãy dán đúng nội dung tệp "
                              "chữ ký tác tử ký trả về", field="cms")
    if data[:1] == b"\x30":  # DER SEQUENCE: the file itself
        return data
    text = data.decode("ascii", "replace")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("-----")]
    try:
        der = base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError):
        der = b""
    if not der:
        raise ValidationError("chưa có chữ ký: dán nội dung (base64) hoặc chọn tệp chữ ký mà "
                              "lệnh congvan sign-request ghi ra", field="cms")
    return der


def _agent_page(request: Request, session: Session, document_id: int, pending_id: int,
                actor: Person, error: str | None, status_code: int = 200) -> HTMLResponse:
    from signing import person

    document = access.document(session=session, document_id=document_id, actor=actor)
    pending = person.pending(session=session, pending_id=pending_id, actor=actor)
    return page(request, "sign_agent.html", {"document": document, "pending": pending,
                                             "error": error}, status_code=status_code)


def _sign_panel(request: Request, session: Session, settings: Settings, document_id: int,
                actor: Person, error: str) -> HTMLResponse:
    document = access.document(session=session, document_id=document_id, actor=actor)
    context = signing_view.context(session=session, settings=settings, document=document,
                                   actor=actor)
    context.update({"document": document, "sign_error": error})
    name = "_sign_panel.html" if request.headers.get("HX-Request") else "sign_page.html"
    return page(request, name, context, status_code=422)


def _back(request: Request, document_id: int) -> Response:
    target = f"/documents/{document_id}"
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)

