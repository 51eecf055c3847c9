"""Get a row by its stable key (``Organization.key``, ``Person.key``, ``Notice.key``).

One place for "the organisation/person with key X, or a Vietnamese NotFound that
says where the keys are listed".
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from registry.errors import NotFound
from registry.models import Notice, Organization, Person


class _Keyed(Protocol):
    key: Any


K = TypeVar("K", bound=_Keyed)

# What a row of each keyed table is called in a message, and where its keys are listed.
_NOUNS: dict[type[Any], tuple[str, str]] = {
    Organization: ("cơ quan, đơn vị", "xem danh bạ: congvan directory export"),
    Person: ("cán bộ", "xem danh bạ: congvan directory export"),
    Notice: ("thông báo", "xem hộp thư đi: congvan outbox status"),
}


def find_by_key(*, session: Session, model: type[K], key: str,
                active_only: bool = False) -> K | None:
    """The row of ``model`` whose key is ``key`` (surrounding spaces ignored), or None.

    ``active_only`` also requires ``active`` to be true (people who left are kept, inactive).
    """
    column: InstrumentedAttribute[Any] = model.key
    query = select(model).where(column == key.strip())
    if active_only:
        query = query.where(model.active.is_(True))  # type: ignore[attr-defined]
    return session.scalar(query)


def get_by_key(*, session: Session, model: type[K], key: str, active_only: bool = False) -> K:
    """The row of ``model`` whose key is ``key``, or NotFound naming the key and where to look."""
    found = find_by_key(session=session, model=model, key=key, active_only=active_only)
    if found is None:
        noun, hint = _NOUNS.get(model, ("mục", "kiểm tra lại mã"))
        raise NotFound(f"không có {noun} có mã '{key.strip()}' ({hint})")
    return found


__all__ = ["find_by_key", "get_by_key"]
