"""Typed dependencies: the request's unit of work, the settings, the signed-in person."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from congvan.settings import Settings
from congvan.web import identity
from registry.db import transaction
from registry.errors import PermissionDenied
from registry.models import Person


def get_session() -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    with transaction() as session:
        yield session


# scope="function": commit before the response leaves, so a client never sees an
# answer for a change that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_actor(request: Request, session: SessionDep, settings: SettingsDep) -> Person | None:
    """The person chosen on the sign-in page (demo-grade identity, see congvan.web.identity)."""
    key = identity.unsign(secret=settings.secret_key,
                          value=request.cookies.get(identity.COOKIE))
    person = identity.find(session=session, person_key=key) if key else None
    # A plain copy for the page header: error pages render after the rollback expired the row.
    request.state.actor = identity.Badge.of(person) if person is not None else None
    return person


ActorDep = Annotated[Person | None, Depends(get_actor)]


class SignInRequired(Exception):
    """A page that shows the registry was asked for without a signed-in person."""

    def __init__(self, target: str) -> None:
        self.target = target
        super().__init__("Bạn cần đăng nhập để xem trang này.")


def signed_in(request: Request, actor: ActorDep) -> Person:
    """The signed-in person; pages of the registry are not for anonymous visitors."""
    if actor is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query)
    return actor


ReaderDep = Annotated[Person, Depends(signed_in)]


def require(actor: Person | None, *roles: str) -> Person:
    """The actor if signed in with one of ``roles``; PermissionDenied otherwise."""
    if actor is None:
        raise PermissionDenied("Bạn cần đăng nhập (mục “Đăng nhập” ở góc trên) để làm việc này.")
    if roles and not set(roles) & set(actor.roles or []):
        from congvan.web.labels import ROLE

        needed = " hoặc ".join(ROLE.get(r, r) for r in roles)
        raise PermissionDenied(f"{actor.full_name} không có vai trò {needed} để làm việc này.")
    return actor
