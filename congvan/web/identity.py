"""Who is using the pages — DEMO-GRADE identity.

The data model has no passwords yet, so "signing in" means choosing a person
by key; the choice is kept in a cookie signed with HMAC-SHA256 under
``settings.secret_key`` so that it cannot be forged or edited. It proves only
that this browser chose that person, not who sits at it: put the service
behind the agency's single sign-on (or add credentials) before real use.
Outside the demo, :meth:`Settings.enforce_secrets` refuses a placeholder key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.lookup import find_by_key
from registry.models import Person

COOKIE = "congvan_nguoi_dung"
MAX_AGE = 8 * 3600  # one working day


@dataclass(frozen=True)
class Badge:
    """What the page header shows of the signed-in person."""

    key: str
    full_name: str
    title: str | None

    @classmethod
    def of(cls, person: Person) -> Badge:
        """A detached copy of ``person``'s name and title."""
        return cls(person.key, person.full_name, person.title)


def _mac(secret: str, person_key: str) -> str:
    digest = hmac.new(secret.encode(), f"person:{person_key}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def sign(*, secret: str, person_key: str) -> str:
    """The cookie value naming ``person_key``."""
    return f"{person_key}.{_mac(secret, person_key)}"


def unsign(*, secret: str, value: str | None) -> str | None:
    """The person key a cookie names, or None when absent, malformed or forged."""
    if not value:
        return None
    key, _, mac = value.rpartition(".")
    if not key or not hmac.compare_digest(mac, _mac(secret, key)):
        return None
    return key


def find(*, session: Session, person_key: str) -> Person | None:
    """The active person with that key, or None."""
    return find_by_key(session=session, model=Person, key=person_key, active_only=True)


def candidates(*, session: Session, limit: int = 300) -> Sequence[Person]:
    """People offered on the sign-in page: leaders and clerks first."""
    people = session.scalars(select(Person).where(Person.active.is_(True))
                             .order_by(Person.full_name).limit(limit)).all()
    return sorted(people, key=lambda p: (not ({"leader", "clerk"} & set(p.roles or [])),
                                         p.full_name))
