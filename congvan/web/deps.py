"""Typed dependencies: the request's unit of work, the settings, the session, who acts.

``ActorDep`` is the signed-in person or None; ``PersonDep`` requires one;
``ClerkDep``, ``LeaderDep``, ``ReporterDep`` and ``AdminDep`` also require the
role (403 otherwise). The services check again — the dependency only makes
"who may call this" part of a route's signature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from congvan.settings import Settings
from congvan.web import security
from registry.db import transaction
from registry.errors import PermissionDenied
from registry.models import Person, WebSession

# Row ids in paths: a positive 32-bit integer (larger ones overflow the database driver).
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647)]


def get_session() -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    with transaction() as session:
        yield session


# scope="function": commit before the response leaves, so a client never sees an
# answer for a change that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


# Dependencies that only read what is already in memory are ``async``: FastAPI runs a plain
# ``def`` dependency in its thread pool, and every such hop waits for the GIL behind the
# other requests' threads — under 10 concurrent clients that was a visible share of a page.


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_web_session(request: Request, session: SessionDep,
                    settings: SettingsDep) -> WebSession | None:
    """The live server-side session the cookie names (or the trusted proxy's user), or None."""
    from congvan.auth import sessions

    row = sessions.resume(session=session,
                          token=request.cookies.get(security.cookie_name(settings)),
                          idle=timedelta(minutes=settings.session_idle_minutes),
                          max_age=timedelta(hours=settings.session_max_hours))
    row = security.from_trusted_proxy(request, session, settings, row)
    security.remember(request, settings, row)
    return row


WebSessionDep = Annotated[WebSession | None, Depends(get_web_session)]


async def get_actor(row: WebSessionDep) -> Person | None:
    """The signed-in person (None for visitors and for a reporter link's session)."""
    if row is None or row.account is None:
        return None
    return row.account.person


ActorDep = Annotated[Person | None, Depends(get_actor)]


class SignInRequired(Exception):
    """A page that shows the registry was asked for without a signed-in person."""

    def __init__(self, target: str) -> None:
        self.target = target
        super().__init__("Bạn cần đăng nhập để xem trang này.")


async def signed_in(request: Request, actor: ActorDep) -> Person:
    """The signed-in person; pages of the registry are not for anonymous visitors."""
    if actor is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query)
    return actor


PersonDep = Annotated[Person, Depends(signed_in)]
ReaderDep = PersonDep


def with_role(*roles: str) -> Callable[[Person], Awaitable[Person]]:
    """A dependency: the signed-in person if they have one of ``roles``; 403 otherwise."""
    async def check(actor: PersonDep) -> Person:
        return require(actor, *roles)
    return check


ClerkDep = Annotated[Person, Depends(with_role("clerk"))]
LeaderDep = Annotated[Person, Depends(with_role("leader"))]
ReviewerDep = Annotated[Person, Depends(with_role("leader", "reviewer"))]
ReporterDep = Annotated[Person, Depends(with_role("reporter"))]
AdminDep = Annotated[Person, Depends(with_role("admin"))]
StaffDep = Annotated[Person, Depends(with_role("clerk", "leader", "reviewer", "admin"))]


def require(actor: Person | None, *roles: str) -> Person:
    """The actor if signed in with one of ``roles``; PermissionDenied otherwise."""
    if actor is None:
        raise PermissionDenied("Bạn cần đăng nhập (mục “Đăng nhập” ở góc trên) để làm việc này.")
    if roles and not set(roles) & set(actor.roles or []):
        from congvan.web.labels import ROLE

        needed = " hoặc ".join(ROLE.get(r, r) for r in roles)
        raise PermissionDenied(f"{actor.full_name} không có vai trò {needed} để làm việc này.")
    return actor


async def csrf_guard(request: Request, row: WebSessionDep, settings: SettingsDep) -> None:
    """Every POST/PUT/PATCH/DELETE carries the page's token and comes from our own origin."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    await security.check_csrf(request, settings, row)
