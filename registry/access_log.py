"""The access log (Phụ lục VI): who opened, viewed, downloaded, printed or exported which
document, when, through which door — and every read that was refused.

Append-only like the audit log: there is no update or delete path in the code, and the
database refuses UPDATE and DELETE (triggers of migration 0013, on PostgreSQL and SQLite).

Every door that shows a document goes through :func:`read` — the web pages, the API and the
CLI — so the rule (registry.access) and the record are the same everywhere. A refused read
raises a ``keep_work`` error: ``registry.db.transaction()`` commits the refusal's row before
the error reaches the user (404 for another organisation's document, 403 for a secret one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from registry import access
from registry.clock import local_day_start, now_utc, to_local
from registry.errors import (
    NotFound,
    PermissionDenied,
    RecordedNotFound,
    RecordedRefusal,
    ValidationError,
)
from registry.labels import ACCESS_ACT, ACCESS_CHANNEL, ACCESS_OBJECT, READ_RIGHT, label
from registry.models import AccessEvent, Document, Organization, Person, Register

ACTS = tuple(ACCESS_ACT)
CHANNELS = tuple(ACCESS_CHANNEL)


@dataclass(frozen=True)
class Door:
    """Who reads and through which door: the person (None: the CLI without --as), the label the
    log shows for them, and the channel (web | api | cli)."""

    actor: Person | None
    channel: str
    label: str = ""

    @property
    def actor_label(self) -> str:
        if self.actor is not None:
            return self.actor.full_name
        return self.label or "không rõ người"


def record(*, session: Session, door: Door, act: str, document_id: int | None,
           allowed: bool = True, file_id: int | None = None,
           detail: dict[str, Any] | None = None, now: datetime | None = None) -> AccessEvent:
    """Append one access event; flushed with the caller's transaction."""
    if act not in ACTS or door.channel not in CHANNELS:
        raise ValueError(f"access act {act!r} / channel {door.channel!r}")
    row = AccessEvent(at=(now or now_utc()).astimezone(UTC),
                      actor_id=door.actor.id if door.actor else None,
                      actor_label=door.actor_label[:200], document_id=document_id,
                      file_id=file_id, act=act, channel=door.channel, allowed=allowed,
                      detail=detail or {})
    session.add(row)
    session.flush()
    return row


def record_many(*, session: Session, door: Door, act: str, document_ids: Sequence[int],
                detail: dict[str, Any] | None = None, now: datetime | None = None) -> int:
    """Append one event per document in one INSERT (a package of 500 documents); returns how
    many."""
    if act not in ACTS or door.channel not in CHANNELS:
        raise ValueError(f"access act {act!r} / channel {door.channel!r}")
    at = (now or now_utc()).astimezone(UTC)
    rows = [{"at": at, "actor_id": door.actor.id if door.actor else None,
             "actor_label": door.actor_label[:200], "document_id": doc_id, "file_id": None,
             "act": act, "channel": door.channel, "allowed": True, "detail": detail or {}}
            for doc_id in document_ids]
    if rows:
        session.execute(insert(AccessEvent), rows)
    return len(rows)


def read(*, session: Session, document_id: int, door: Door, act: str = "open",
         file_id: int | None = None, now: datetime | None = None) -> Document:
    """The document ``door.actor`` reads, with the read on the log.

    Another organisation's document: RecordedNotFound (as if it did not exist). A secret one
    without the right (registry.access.read_right), or read from the CLI without naming the
    person: RecordedRefusal. Both refusals are logged and kept.
    """
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"không có văn bản #{document_id}")
    if door.actor is not None and not access.can_see(session=session, document_id=doc.id,
                                                     actor=door.actor):
        record(session=session, door=door, act=act, document_id=doc.id, allowed=False,
               file_id=file_id, detail={"reason": "other_organisation"}, now=now)
        raise RecordedNotFound(f"không có văn bản #{document_id}")
    try:
        if door.actor is None:
            right = _without_person(doc)
        else:
            right = access.require_read(session=session, document=doc, actor=door.actor)
    except PermissionDenied as exc:
        record(session=session, door=door, act=act, document_id=doc.id, allowed=False,
               file_id=file_id, detail={"reason": "refused", "secrecy": doc.secrecy}, now=now)
        raise RecordedRefusal(str(exc)) from None
    record(session=session, door=door, act=act, document_id=doc.id, file_id=file_id,
           detail={"right": right, **({"secrecy": doc.secrecy} if doc.secrecy else {})},
           now=now)
    return doc


def _without_person(doc: Document) -> str:
    # The CLI runs with the registry's own credentials; a secret document needs a named person.
    if access.is_secret(doc):
        raise PermissionDenied(f"văn bản #{doc.id} là văn bản {doc.secrecy}: hãy cho biết ai đọc "
                               "bằng --as KHOÁ_CÁN_BỘ (người có quyền đọc văn bản mật)")
    return "visible"


def for_document(*, session: Session, document_id: int, limit: int = 200
                 ) -> Sequence[AccessEvent]:
    """The newest access events of one document, newest first."""
    return session.scalars(select(AccessEvent).where(AccessEvent.document_id == document_id)
                           .order_by(AccessEvent.id.desc()).limit(limit)).all()


def entries(*, session: Session, date_from: date | None = None, date_to: date | None = None,
            document_id: int | None = None, person: Person | None = None,
            refused_only: bool = False, organization: Organization | None = None,
            limit: int = 100_000) -> Sequence[AccessEvent]:
    """Access events oldest first, filtered by Vietnam calendar days (inclusive), document,
    person and refusals. With ``organization``: only that office's events — by its people, or
    on documents it issued or registered."""
    if date_from and date_to and date_from > date_to:
        raise ValidationError("ngày bắt đầu sau ngày kết thúc: đổi --from hoặc --to",
                              field="--from")
    query = select(AccessEvent)
    if date_from is not None:
        query = query.where(AccessEvent.at >= local_day_start(date_from))
    if date_to is not None:
        query = query.where(AccessEvent.at < local_day_start(date_to + timedelta(days=1)))
    if document_id is not None:
        query = query.where(AccessEvent.document_id == document_id)
    if person is not None:
        query = query.where(AccessEvent.actor_id == person.id)
    if refused_only:
        query = query.where(AccessEvent.allowed.is_(False))
    if organization is not None:
        staff = select(Person.id).where(Person.organization_id == organization.id)
        held = select(Document.id).where(or_(
            Document.issuer_id == organization.id,
            Document.register_id.in_(select(Register.id).where(
                Register.organization_id == organization.id))))
        query = query.where(or_(AccessEvent.actor_id.in_(staff),
                                AccessEvent.document_id.in_(held)))
    return session.scalars(query.order_by(AccessEvent.id).limit(limit)).all()


# The export's columns: (row key, header, width in millimetres).
COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("luc", "Thời gian", 34), ("nguoi", "Người", 45), ("viec", "Việc", 26),
    ("van_ban", "Văn bản", 40), ("do_mat", "Độ mật", 18), ("qua", "Qua", 22),
    ("quyen", "Quyền / kết quả", 45), ("ghi_chu", "Ghi chú", 50),
)


def export_rows(*, session: Session, events: Sequence[AccessEvent]) -> list[dict[str, str]]:
    """The events as rows of text (Vietnam time, labels, the document's number or id)."""
    ids = {e.document_id for e in events if e.document_id is not None}
    docs = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
    rows = []
    for event in events:
        doc = docs.get(event.document_id) if event.document_id is not None else None
        detail = event.detail or {}
        if not event.allowed:
            outcome = READ_RIGHT["refused"]
        elif event.document_id is None:
            outcome = ""
        else:
            outcome = label(READ_RIGHT, detail.get("right", "visible"))
        note = ", ".join(f"{k}: {detail[k]}" for k in ("organization", "year", "start", "end",
                                                        "file", "rows") if detail.get(k))
        if event.file_id is not None:
            note = f"tệp #{event.file_id}" + (f"; {note}" if note else "")
        rows.append({
            "luc": f"{to_local(event.at):%d/%m/%Y %H:%M:%S}", "nguoi": event.actor_label,
            "viec": label(ACCESS_ACT, event.act),
            "van_ban": _document_name(doc, event.document_id, detail),
            "do_mat": str(detail.get("secrecy") or ""),
            "qua": label(ACCESS_CHANNEL, event.channel), "quyen": outcome, "ghi_chu": note,
        })
    return rows


def _document_name(doc: Document | None, document_id: int | None,
                   detail: dict[str, Any]) -> str:
    if document_id is None:
        what = str(detail.get("report") or detail.get("register") or "")
        return label(ACCESS_OBJECT, what) if what else "sổ đăng ký"
    if doc is None:
        return f"#{document_id}"
    return f"{doc.number_symbol or '#' + str(doc.id)} — {doc.subject[:120]}"


__all__ = ["ACTS", "CHANNELS", "COLUMNS", "Door", "entries", "export_rows", "for_document", "read",
           "record", "record_many"]
