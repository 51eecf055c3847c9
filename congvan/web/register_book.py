"""The printed register book of the registers page: the outgoing or incoming register (ND30
Appendix IV columns) of the signed-in person's organisation, cut by the page's filters.

The rows are the register rows of :mod:`outbox.registers` (the same as the .xlsx export and
``congvan registers book``), of the numbered documents the page's search finds, in register
order; the book (cover, table, page numbers) is :mod:`doc_templates.register_book`, printed
as HTML (the page's print stylesheet) or as PDF through LibreOffice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from doc_templates.register_book import Column, RegisterBook
from registry.clock import local_date
from registry.doctypes import DOC_TYPES
from registry.labels import DOCUMENT_STATUS
from registry.models import Direction, Document, DocumentStatus, Person

MAX_ROWS = 5000  # a year of a busy body's register; more is printed year by year


@dataclass(frozen=True)
class Filters:
    """The registers page's filters, parsed (empty or half-typed ones are None)."""

    query: str = ""
    direction: Direction | None = None
    year: int | None = None
    doc_type: str | None = None
    status: DocumentStatus | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    party: str | None = None

    def search_args(self) -> dict[str, Any]:
        """Keyword arguments of :func:`registry.search.search`."""
        return {"query": self.query, "direction": self.direction, "year": self.year,
                "doc_type": self.doc_type, "status": self.status, "date_from": self.date_from,
                "date_to": self.date_to, "party": self.party}

    def described(self) -> str:
        """The filters that cut the book, in words (empty for the whole year's register)."""
        parts = []
        if self.query:
            parts.append(f"tìm “{self.query}”")
        if self.doc_type:
            parts.append(f"loại {DOC_TYPES[self.doc_type].name}")
        if self.status is not None:
            parts.append(f"trạng thái {DOCUMENT_STATUS[self.status.value].lower()}")
        if self.party:
            parts.append(f"cơ quan “{self.party}”")
        if self.date_from:
            parts.append(f"từ ngày {self.date_from:%d/%m/%Y}")
        if self.date_to:
            parts.append(f"đến ngày {self.date_to:%d/%m/%Y}")
        return ("Trích sổ theo: " + "; ".join(parts)) if parts else ""


@dataclass(frozen=True)
class PrintedBook:
    """The book and what the page says about it."""

    book: RegisterBook
    direction: Direction
    truncated: bool


def build(*, session: Session, actor: Person, filters: Filters) -> PrintedBook:
    """The register book of ``actor``'s organisation for the filters' direction (outgoing when
    none), with the numbered documents the filters select, in register order."""
    from outbox import registers
    from registry import search

    direction = filters.direction or Direction.OUTGOING
    found = search.search(session=session, actor=actor, limit=MAX_ROWS + 1, full=True,
                          **(filters.search_args() | {"direction": direction}))
    docs = sorted((d for d in found if _in_register(d, actor, direction)),
                  key=lambda d: (d.year or 0, d.register_id or 0, d.number or 0))
    truncated = len(found) > MAX_ROWS
    docs = docs[:MAX_ROWS]
    if direction is Direction.OUTGOING:
        rows, columns, key = (registers.outgoing_rows_of(session=session, documents=docs,
                                                          reader=actor),
                              registers.OUTGOING_COLUMNS, "so_ky_hieu")
    else:
        rows, columns, key = (registers.incoming_rows_of(session=session, documents=docs,
                                                          reader=actor),
                              registers.INCOMING_COLUMNS, "so_den")
    days = [d for d in (_day(doc) for doc in docs) if d is not None]
    org = actor.organization
    book = RegisterBook(
        body_name=org.name.replace("\n", " "), parent_name=org.header_parent or "",
        title=registers.TITLES[direction],
        year=filters.year or (days[0].year if days else dt.date.today().year),
        columns=tuple(Column(c.key, c.header, c.width_mm) for c in columns), rows=tuple(rows),
        first_number=rows[0][key] if rows else "", last_number=rows[-1][key] if rows else "",
        date_from=filters.date_from or (min(days) if days else None),
        date_to=filters.date_to or (max(days) if days else None), note=filters.described())
    return PrintedBook(book, direction, truncated)


def _in_register(doc: Document, actor: Person, direction: Direction) -> bool:
    register = doc.register
    return (doc.number is not None and register is not None
            and register.organization_id == actor.organization_id
            and register.direction is direction)


def _day(doc: Document) -> dt.date | None:
    if doc.direction is Direction.INCOMING and doc.arrived_at is not None:
        return local_date(doc.arrived_at)
    return doc.issue_date or doc.original_date
