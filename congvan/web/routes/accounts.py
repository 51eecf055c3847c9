"""The admin's accounts page: list, reset a password, disable or enable an account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from congvan.web.deps import AdminDep, SessionDep
from congvan.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/quan-tri/tai-khoan", response_class=HTMLResponse, name="accounts")
def list_accounts(request: Request, session: SessionDep, admin: AdminDep,
                  done: str | None = None) -> HTMLResponse:
    """Every account with its person, organisation and state."""
    from congvan.auth import accounts

    rows = accounts.list_(session=session, actor=admin)
    return page(request, "accounts.html", {"accounts": rows, "done": (done or "")[:200]})


@router.post("/quan-tri/tai-khoan/{login}/dat-lai", name="account_reset")
def reset(login: str, session: SessionDep, admin: AdminDep,
          password: Annotated[str, Form(max_length=1000)]) -> Response:
    """Set a new password the person must change at the next sign-in."""
    from congvan.auth import accounts

    accounts.reset_password(session=session, login=login, new=password, actor=admin)
    return RedirectResponse("/quan-tri/tai-khoan?done=reset", status_code=303)


@router.post("/quan-tri/tai-khoan/{login}/khoa", name="account_disable")
def disable(login: str, session: SessionDep, admin: AdminDep) -> Response:
    """Disable the account; its sessions end at once."""
    from congvan.auth import accounts

    accounts.set_active(session=session, login=login, active=False, actor=admin)
    return RedirectResponse("/quan-tri/tai-khoan?done=disabled", status_code=303)


@router.post("/quan-tri/tai-khoan/{login}/mo-khoa", name="account_enable")
def enable(login: str, session: SessionDep, admin: AdminDep) -> Response:
    """Enable a disabled account."""
    from congvan.auth import accounts

    accounts.set_active(session=session, login=login, active=True, actor=admin)
    return RedirectResponse("/quan-tri/tai-khoan?done=enabled", status_code=303)

