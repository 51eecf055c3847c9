"""Sign-in by person key — DEMO-GRADE identity (see congvan.web.identity)."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.web import identity
from congvan.web.deps import ActorDep, SessionDep, SettingsDep
from congvan.web.render import page

router = APIRouter()


@router.get("/dang-nhap", response_class=HTMLResponse, name="signin")
def signin_form(request: Request, session: SessionDep, actor: ActorDep,
                next: str = "/") -> HTMLResponse:
    """The person picker."""
    return page(request, "signin.html", {"people": identity.candidates(session=session),
                                         "next": _safe(next), "error": None, "key": ""})


@router.post("/dang-nhap", name="signin_submit")
def signin(request: Request, session: SessionDep, settings: SettingsDep,
           person_key: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    """Remember the chosen person in a signed cookie; an unknown key re-shows the form."""
    key = unicodedata.normalize("NFC", person_key).strip()
    person = identity.find(session=session, person_key=key)
    if person is None:
        request.state.actor = None
        return page(request, "signin.html", {
            "people": identity.candidates(session=session), "next": _safe(next), "key": key,
            "error": f"Không có người dùng đang hoạt động với mã “{key}”. Chọn mã trong danh sách.",
        }, status_code=422)
    response = RedirectResponse(_safe(next), status_code=303)
    response.set_cookie(identity.COOKIE, identity.sign(secret=settings.secret_key,
                                                       person_key=person.key),
                        max_age=identity.MAX_AGE, httponly=True, samesite="lax",
                        secure=settings.public_base_url.startswith("https://"))
    return response


@router.post("/dang-xuat", name="signout")
def signout() -> Response:
    """Forget the chosen person."""
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(identity.COOKIE)
    return response


def _safe(target: str) -> str:
    # Only local paths: the sign-in form must not become an open redirect.
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"
