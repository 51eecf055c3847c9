"""Register numbers (ND30 art. 15): consecutive from 01 on 1 January, never twice, no gaps.

A number is taken by incrementing the register's counter row for the year
inside the caller's (issuing) transaction. The UPDATE locks that row, so
concurrent issuers queue on it (PostgreSQL row lock; SQLite's write lock taken
by ``BEGIN IMMEDIATE``); if the transaction rolls back, the increment rolls back
with it and the number was never consumed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from registry.clock import VIETNAM, local_date
from registry.errors import NotFound
from registry.models import Direction, Document, Register, RegisterCounter

# local_date and VN_TZ are re-exported for callers written before registry.clock.
__all__ = ["VN_TZ", "allocate_number", "last_number", "local_date", "number_document",
           "register_for"]

VN_TZ = VIETNAM  # re-exported; the zone is named once, in registry.clock


def allocate_number(*, session: Session, register_id: int, on: datetime | date) -> tuple[int, int]:
    """Take the next number of ``register_id`` for the year of ``on``; returns (number, year).

    Must run inside the transaction that records the number on the document.
    """
    year = local_date(on).year
    number = _increment(session, register_id, year)
    if number is None:  # first number of the year: create the counter row, then take it
        _ensure_counter(session, register_id, year)
        number = _increment(session, register_id, year)
    assert number is not None
    return number, year


def number_document(
    *, session: Session, document_id: int, register_id: int, on: datetime | date
) -> tuple[int, int]:
    """Take the next number and write it, the year, the register and the issue date on the
    document row; returns (number, year). Must run inside the issuing transaction.

    On PostgreSQL the increment and the write are one statement, so the counter row stays
    locked only for the commit, not for another round trip.
    """
    issued = local_date(on)
    values = {"year": issued.year, "register_id": register_id, "issue_date": issued}
    if session.get_bind().dialect.name != "postgresql":
        number, year = allocate_number(session=session, register_id=register_id, on=on)
        session.execute(update(Document).where(Document.id == document_id)
                        .values(number=number, **values))
        return number, year
    taken = _increment_into(session, document_id, register_id, values)
    if taken is None:  # first number of the year
        _ensure_counter(session, register_id, issued.year)
        taken = _increment_into(session, document_id, register_id, values)
    assert taken is not None
    number = taken
    return number, issued.year


def _increment_into(
    session: Session, document_id: int, register_id: int, values: dict[str, object]
) -> int | None:
    taken = (
        update(RegisterCounter)
        .where(RegisterCounter.register_id == register_id,
               RegisterCounter.year == values["year"])
        .values(last_number=RegisterCounter.last_number + 1)
        .returning(RegisterCounter.last_number)
        .cte("taken")
    )
    # Core execution on the session's connection: the ORM's bulk-update path would drop RETURNING.
    return session.connection().execute(
        update(Document)
        .where(Document.id == document_id, select(taken.c.last_number).exists())
        .values(number=select(taken.c.last_number).scalar_subquery(), **values)
        .returning(Document.number)
        .add_cte(taken)
    ).scalar_one_or_none()


def _increment(session: Session, register_id: int, year: int) -> int | None:
    # Lock the counter row until commit: two clerks may issue in the same second.
    return session.execute(
        update(RegisterCounter)
        .where(RegisterCounter.register_id == register_id, RegisterCounter.year == year)
        .values(last_number=RegisterCounter.last_number + 1)
        .returning(RegisterCounter.last_number)
    ).scalar_one_or_none()


def _ensure_counter(session: Session, register_id: int, year: int) -> None:
    values = {"register_id": register_id, "year": year, "last_number": 0}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(RegisterCounter).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite_insert(RegisterCounter).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - other engines are not supported yet
        exists = session.get(RegisterCounter, (register_id, year))
        if exists is None:
            session.execute(insert(RegisterCounter).values(values))


def last_number(*, session: Session, register_id: int, year: int) -> int:
    """The last number given in ``year`` (0 when none)."""
    value = session.scalar(
        select(RegisterCounter.last_number).where(
            RegisterCounter.register_id == register_id, RegisterCounter.year == year
        )
    )
    return value or 0


def register_for(
    *, session: Session, organization_id: int, direction: Direction, doc_type: str,
    secret: bool = False,
) -> Register:
    """The register whose series a document of ``doc_type`` takes at this organisation.

    A register listing the type wins over a catch-all one (empty ``doc_types``);
    secret documents take a secret register.
    """
    registers = session.scalars(
        select(Register).where(
            Register.organization_id == organization_id,
            Register.direction == direction,
            Register.secret.is_(secret),
        ).order_by(Register.id)
    ).all()
    specific = [r for r in registers if doc_type in (r.doc_types or [])]
    catch_all = [r for r in registers if not r.doc_types]
    for candidate in specific or catch_all:
        return candidate
    kind = "mật " if secret else ""
    way = "đi" if direction is Direction.OUTGOING else "đến"
    raise NotFound(
        f"cơ quan #{organization_id} chưa có sổ văn bản {way} {kind}cho loại '{doc_type}'; "
        "thêm sổ trong tệp danh bạ (registers) rồi chạy lại `congvan directory import`"
    )
