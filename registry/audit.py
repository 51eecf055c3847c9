"""The audit log: append-only. There is no update or delete path in the code;
on PostgreSQL a trigger refuses UPDATE and DELETE too (see the first migration)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from registry.models import AuditEvent, Person


def record(
    *, session: Session, action: str, object_type: str, object_id: int | None,
    actor: Person | None = None, actor_label: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; flushed with the caller's transaction."""
    event = AuditEvent(**entry(action=action, object_type=object_type, object_id=object_id,
                               actor=actor, actor_label=actor_label, detail=detail))
    session.add(event)
    return event


def entry(
    *, action: str, object_type: str, object_id: int | None,
    actor: Person | None = None, actor_label: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The column values of one event, as :func:`record` stores them (for :func:`record_many`)."""
    return {
        "action": action, "object_type": object_type, "object_id": object_id,
        "actor_id": actor.id if actor is not None else None,
        "actor_label": actor_label or (actor.full_name if actor is not None else "hệ thống"),
        "detail": detail or {},
    }


def record_many(*, session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Append many events (:func:`entry`) in their order with one INSERT, in the caller's
    transaction (a bulk door: one statement for a range of posts, not one per post)."""
    if entries:
        # RETURNING makes it one multi-row INSERT (insertmanyvalues) rather than an
        # executemany, which psycopg runs as one statement per event.
        session.execute(insert(AuditEvent).returning(AuditEvent.id), list(entries))


def history(*, session: Session, object_type: str, object_id: int) -> Sequence[AuditEvent]:
    """Every event of one object, oldest first."""
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)
    ).all()
