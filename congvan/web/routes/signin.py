"""Sign-in with a login and password, sign-out, and changing one's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.web import security
from congvan.web.deps import PersonDep, SessionDep, SettingsDep, WebSessionDep
from congvan.web.render import page

router = APIRouter(include_in_schema=False)

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng (hoặc tài khoản đã bị khoá)."


@router.get("/dang-nhap", response_class=HTMLResponse, name="signin")
def signin_form(request: Request, row: WebSessionDep, next: str = "/") -> HTMLResponse:
    """The sign-in form (its CSRF token comes from a pre-session cookie)."""
    return page(request, "signin.html", {"next": _safe(next), "error": None, "login": ""})


@router.post("/dang-nhap", name="signin_submit")
def signin(request: Request, session: SessionDep, settings: SettingsDep, row: WebSessionDep,
           login: Annotated[str, Form(max_length=200)] = "",
           password: Annotated[str, Form(max_length=1000)] = "",
           next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    """Check the password (slowed after repeated failures); a new session on success."""
    from congvan.auth import accounts, sessions, throttle

    name = accounts.normalise_login(login)[:120]
    client = security.client_address(request)
    wait = throttle.wait_seconds(session=session, login=name, client=client,
                                 per_login=settings.signin_failures_per_login,
                                 per_client=settings.signin_failures_per_client)
    if wait:
        slowed = _form(request, name, next,
                       f"Đã đăng nhập sai nhiều lần liên tiếp. Hãy đợi {wait} giây rồi thử lại.",
                       429)
        slowed.headers["Retry-After"] = str(wait)
        return slowed
    account = accounts.authenticate(session=session, login=name, password=password)
    if account is None:
        throttle.record_failure(session=session, login=name, client=client)
        return _form(request, name, next, WRONG, 401)
    throttle.clear(session=session, login=name)
    if row is not None:
        sessions.end(session=session, row=row)  # never promote a session made before sign-in
    started = sessions.start(session=session, account=account, client=client)
    target = "/doi-mat-khau" if account.must_change_password else _safe(next)
    response = RedirectResponse(target, status_code=303)
    security.set_session_cookie(response, settings, started.token)
    return response


def _form(request: Request, login: str, next: str, error: str, code: int) -> HTMLResponse:
    request.state.actor = None
    return page(request, "signin.html", {"next": _safe(next), "login": login, "error": error},
                status_code=code)


@router.post("/dang-xuat", name="signout")
def signout(session: SessionDep, settings: SettingsDep, row: WebSessionDep) -> Response:
    """End the session on the server (the cookie is dead even if kept) and clear it."""
    from congvan.auth import sessions

    if row is not None:
        sessions.end(session=session, row=row)
    response = RedirectResponse("/dang-nhap", status_code=303)
    security.clear_session_cookie(response, settings)
    return response


@router.get("/doi-mat-khau", response_class=HTMLResponse, name="password_form")
def password_form(request: Request, actor: PersonDep) -> HTMLResponse:
    """The form to change one's own password."""
    return page(request, "password.html", {"error": None, "done": False})


@router.post("/doi-mat-khau", response_class=HTMLResponse, name="password_change")
def password_change(request: Request, session: SessionDep, settings: SettingsDep,
                    actor: PersonDep, row: WebSessionDep,
                    current: Annotated[str, Form(max_length=1000)] = "",
                    new: Annotated[str, Form(max_length=1000)] = "",
                    again: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """Change the password; every other session of the account ends, this one is renewed."""
    from congvan.auth import accounts, sessions
    from registry.errors import ValidationError

    assert row is not None and row.account is not None
    if new != again:
        return page(request, "password.html", {"error": "mat_khau_moi: hai lần nhập mật khẩu "
                                               "mới không giống nhau; hãy nhập lại",
                                               "done": False}, status_code=422)
    try:
        accounts.change_password(session=session, account=row.account, current=current, new=new)
    except ValidationError as exc:
        return page(request, "password.html", {"error": str(exc), "done": False},
                    status_code=422)
    started = sessions.start(session=session, account=row.account,
                             client=security.client_address(request))
    security.remember(request, settings, started.row)
    response = page(request, "password.html", {"error": None, "done": True})
    security.set_session_cookie(response, settings, started.token)
    return response


def _safe(target: str) -> str:
    # Only local paths: the sign-in form must not become an open redirect.
    ok = target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target
    return target if ok and not any(ord(c) < 32 for c in target) else "/"
