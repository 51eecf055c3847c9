"""Handling an incoming document (ND30 art. 22–24): presented, assigned, followed to its answer.

- :func:`present`: the văn thư presents a registered document to a leader.
- :func:`refuse`: the văn thư of the receiving office refuses a registered document that is
  not yet assigned (wrong recipient, unreadable, incomplete): it is marked refused, the reason
  recorded, and an edXML sender gets Status 02 with that reason.
- :func:`assign`: the leader (and only a leader of the receiving office) names the unit or
  person who handles it (chủ trì) with a due date and an opinion (bút phê), and others to
  coordinate (phối hợp) or to be informed (để biết). A new assignment replaces the open one.
- :func:`acknowledge`, :func:`progress`, :func:`done`: only an assignee (the person, or a
  person of the assigned unit) signs for it (ký nhận), records progress, and records the
  result — possibly an outgoing document that answers it (a DocumentLink ``answers``).
- :func:`remind_overdue`: open assignments past their due date are reminded once per
  assignment and due date through the outbox notices the late-report reminders use.
- :func:`register_columns`: the incoming register's "Đơn vị hoặc người nhận", "Ngày chuyển"
  and "Ký nhận" columns.

Every transition writes a :class:`HandlingEvent` and calls the hooks registered with
:func:`on_transition` in the same transaction; a document that arrived through edXML also
gets its Status 04 (assigned), 05 (in progress) or 06 (done) queued back to its sender
(:func:`outbox.edxml.exchange.report_progress`, ``EDXML_STATUS``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from outbox.enqueue import enqueue_notice
from registry import access, audit, documents
from registry.clock import local_date, now_utc, to_local
from registry.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from registry.labels import HANDLING_EVENT, HANDLING_ROLE, HANDLING_STATUS
from registry.lookup import get_by_key
from registry.models import (
    Delivery,
    Direction,
    Document,
    DocumentLink,
    DocumentStatus,
    DocumentText,
    HandlingAssignment,
    HandlingEvent,
    IncomingArrival,
    Organization,
    Person,
    Register,
)
from registry.permissions import require_role
from registry.text import nfc

ROLES = HANDLING_ROLE
STATUS = HANDLING_STATUS
EVENT = HANDLING_EVENT
OPEN = ("assigned", "in_progress")
# QCVN 102:2016 status codes an edXML sender reports back to the issuer for each transition.
EDXML_STATUS = {"assign": "04", "progress": "05", "done": "06"}

Hook = Callable[[Session, HandlingEvent], None]
_hooks: list[Hook] = []


def on_transition(hook: Hook) -> Hook:
    """Call ``hook(session, event)`` after every handling transition, in its transaction."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def remove_hook(hook: Hook) -> None:
    """Stop calling ``hook``."""
    if hook in _hooks:
        _hooks.remove(hook)


@dataclass(frozen=True)
class Assignee:
    """Who an assignment names: a unit or a person (exactly one)."""

    organization: Organization | None = None
    person: Person | None = None

    def __post_init__(self) -> None:
        if (self.organization is None) == (self.person is None):
            raise ValidationError("chọn một đơn vị hoặc một người", field="assignee")


def incoming(*, session: Session, document_id: int) -> Document:
    """The registered incoming document, or an error saying it is not one."""
    doc = documents.get(session=session, document_id=document_id)
    if doc.direction is Direction.INCOMING and doc.status is DocumentStatus.REFUSED:
        raise InvalidTransition(f"văn bản đến số {doc.number or 0:02d} đã bị từ chối tiếp nhận; "
                                "không xử lý tiếp")
    if doc.direction is not Direction.INCOMING or doc.status is not DocumentStatus.RECEIVED:
        raise InvalidTransition(f"văn bản #{doc.id} không phải văn bản đến đã vào sổ")
    return doc


def receiver_of(session: Session, doc: Document) -> Organization:
    """The organisation whose incoming register holds ``doc``."""
    register = session.get(Register, doc.register_id)
    assert register is not None
    return register.organization


def _in_office(person: Person, office: Organization) -> bool:
    """Whether ``person`` works in ``office`` or one of its units."""
    org: Organization | None = person.organization
    while org is not None:
        if org.id == office.id:
            return True
        org = org.parent
    return False


def _event(session: Session, doc: Document, kind: str, actor: Person, *, note: str = "",
           assignment: HandlingAssignment | None = None, to_person: Person | None = None,
           now: datetime | None = None) -> HandlingEvent:
    row = HandlingEvent(document_id=doc.id, assignment_id=assignment.id if assignment else None,
                        kind=kind, actor_id=actor.id, to_person_id=to_person.id if to_person
                        else None, note=nfc(note), at=(now or now_utc()).astimezone(UTC))
    session.add(row)
    session.flush()
    audit.record(session=session, action=f"handling.{kind}", object_type="document",
                 object_id=doc.id, actor=actor,
                 detail={"assignment": row.assignment_id, "note": row.note})
    if kind in EDXML_STATUS and _came_by_edxml(session, doc.id):
        from outbox.edxml.exchange import report_progress

        report_progress(session=session, document_id=doc.id, code=EDXML_STATUS[kind],
                        actor=actor, description=row.note[:500], now=now)
    for hook in list(_hooks):
        hook(session, row)
    return row


def _came_by_edxml(session: Session, document_id: int) -> bool:
    # Statuses 04/05/06 go back only to a sender that reached us through the axis.
    return session.scalar(select(IncomingArrival.id).where(
        IncomingArrival.document_id == document_id, IncomingArrival.channel == "edxml")
        .limit(1)) is not None


def present(*, session: Session, document_id: int, clerk: Person, leader: Person,
            now: datetime | None = None) -> HandlingEvent:
    """The văn thư presents the document to a leader of the receiving office."""
    doc = incoming(session=session, document_id=document_id)
    office = receiver_of(session, doc)
    if not clerk.has_role("clerk") or not _in_office(clerk, office):
        raise PermissionDenied(f"chỉ văn thư của {office.name_in_text} trình văn bản đến")
    if not leader.has_role("leader") or not _in_office(leader, office):
        raise PermissionDenied(f"{leader.full_name} không phải lãnh đạo của "
                               f"{office.name_in_text}: trình lãnh đạo của cơ quan nhận")
    return _event(session, doc, "present", clerk, to_person=leader, now=now)


REFUSAL_REASON_LIMIT = 1000


def refuse(*, session: Session, document_id: int, clerk: Person, reason: str,
           now: datetime | None = None) -> HandlingEvent:
    """The văn thư of the receiving office refuses a registered incoming document (từ chối
    tiếp nhận) before it is assigned: the document becomes ``refused``, the reason is in its
    history and the audit log, and a sender that reached us by edXML gets Status 02 with it."""
    doc = documents.get(session=session, document_id=document_id)
    if doc.direction is not Direction.INCOMING:
        raise InvalidTransition(f"văn bản #{doc.id} không phải văn bản đến; chỉ từ chối tiếp "
                                "nhận văn bản đến")
    office = receiver_of(session, doc)
    require_role(clerk, "clerk", action="từ chối tiếp nhận văn bản đến")
    if not _in_office(clerk, office):
        raise PermissionDenied(f"{clerk.full_name} không phải văn thư của {office.name_in_text}; "
                               "chỉ văn thư của cơ quan nhận từ chối tiếp nhận")
    if doc.status is DocumentStatus.REFUSED:
        raise InvalidTransition(f"văn bản đến số {doc.number or 0:02d} đã bị từ chối tiếp nhận "
                                "trước đây")
    if doc.status is DocumentStatus.REVOKED:
        raise InvalidTransition(f"văn bản đến số {doc.number or 0:02d} đã bị nơi gửi thu hồi; "
                                "không cần từ chối")
    taken = _assignments(session, doc.id, open_only=False)
    if taken:
        raise InvalidTransition(
            f"văn bản đến số {doc.number or 0:02d} đã được giao xử lý "
            f"({assignee_label(taken[0])}); văn thư chỉ từ chối văn bản chưa giao — lãnh đạo "
            "giao lại, hoặc đơn vị chủ trì trả lời bằng văn bản")
    note = _reason(reason)
    doc.status = DocumentStatus.REFUSED
    event = _event(session, doc, "refuse", clerk, note=note, now=now)
    if _came_by_edxml(session, doc.id):
        from outbox.edxml.exchange import refuse as status_02

        status_02(session=session, document_id=doc.id, reason=note, actor=clerk, now=now)
    return event


def _reason(text: str) -> str:
    reason = " ".join(nfc(text).split())
    if not reason:
        raise ValidationError("ghi lý do từ chối để báo cho nơi gửi (ví dụ: gửi nhầm cơ quan)",
                              field="--reason")
    if len(reason) > REFUSAL_REASON_LIMIT:
        raise ValidationError(f"lý do dài {len(reason)} ký tự, tối đa {REFUSAL_REASON_LIMIT}; "
                              "rút gọn lại", field="--reason")
    if any(unicodedata.category(c) == "Cc" for c in reason):
        raise ValidationError("lý do có ký tự điều khiển; gõ lại bằng chữ thường",
                              field="--reason")
    return reason


def assign(*, session: Session, document_id: int, leader: Person, main: Assignee,
           due: date | None, opinion: str = "", coordinate: Sequence[Assignee] = (),
           inform: Sequence[Assignee] = (), now: datetime | None = None
           ) -> list[HandlingAssignment]:
    """The leader's assignment (bút phê); replaces the open one. Returns the new rows, main
    first."""
    doc = incoming(session=session, document_id=document_id)
    office = receiver_of(session, doc)
    if not leader.has_role("leader") or not _in_office(leader, office):
        raise PermissionDenied(f"chỉ lãnh đạo của {office.name_in_text} giao xử lý văn bản đến"
                               f" ({leader.full_name} không phải)")
    moment = now or now_utc()
    due = due or doc.due_date
    if due is not None and doc.arrived_at is not None and due < local_date(doc.arrived_at):
        raise ValidationError(f"hạn xử lý {due:%d/%m/%Y} trước ngày văn bản đến "
                              f"{local_date(doc.arrived_at):%d/%m/%Y}; chọn ngày sau",
                              field="--due")
    for old in _assignments(session, doc.id, open_only=True):
        old.status = "replaced"
    rows = []
    for role, people in (("main", [main]), ("coordinate", coordinate), ("inform", inform)):
        for who in people:
            rows.append(HandlingAssignment(
                document_id=doc.id, role=role, organization=who.organization, person=who.person,
                due_date=due if role != "inform" else None, opinion=nfc(opinion.strip()),
                assigned_by_id=leader.id, assigned_at=moment.astimezone(UTC),
                status="assigned" if role != "inform" else "done"))
    session.add_all(rows)
    session.flush()
    note = "; ".join(f"{ROLES[r.role]}: {assignee_label(r)}" for r in rows)
    _event(session, doc, "assign", leader, note=f"{note}. {opinion}".strip(),
           assignment=rows[0], now=moment)
    return rows


def _assignments(session: Session, document_id: int, *, open_only: bool = False
                 ) -> list[HandlingAssignment]:
    query = select(HandlingAssignment).where(HandlingAssignment.document_id == document_id)
    if open_only:
        query = query.where(HandlingAssignment.status.in_(OPEN))
    return list(session.scalars(query.order_by(HandlingAssignment.id)))


def assignee_label(row: HandlingAssignment) -> str:
    """The unit or person as the register prints it."""
    if row.person is not None:
        return f"{row.person.full_name} ({row.person.organization.name_in_text})"
    assert row.organization is not None
    return row.organization.name_in_text


def _is_assignee(actor: Person, row: HandlingAssignment) -> bool:
    if row.person is not None:
        return actor.id == row.person.id
    assert row.organization is not None
    return _in_office(actor, row.organization)


def _own(session: Session, document_id: int, actor: Person, *, main_only: bool
         ) -> HandlingAssignment:
    doc = incoming(session=session, document_id=document_id)
    rows = [r for r in _assignments(session, doc.id, open_only=True)
            if _is_assignee(actor, r) and (r.role == "main" or not main_only)]
    if not rows:
        current = [assignee_label(r) for r in _assignments(session, doc.id, open_only=True)
                   if r.role == "main"]
        who = f"người được giao là {current[0]}" if current else "văn bản chưa được giao"
        raise PermissionDenied(f"{actor.full_name} không được giao xử lý văn bản đến số "
                               f"{doc.number:02d} ({who})")
    return rows[0]


def acknowledge(*, session: Session, document_id: int, actor: Person,
                now: datetime | None = None) -> HandlingAssignment:
    """The assignee signs for the document (the register's "Ký nhận")."""
    row = _own(session, document_id, actor, main_only=False)
    if row.acknowledged_at is None:
        _sign_for(row, actor, now)
        _event(session, row.document, "acknowledge", actor, assignment=row, now=now)
    return row


def _sign_for(row: HandlingAssignment, actor: Person, now: datetime | None) -> None:
    row.acknowledged_at = (now or now_utc()).astimezone(UTC)
    row.acknowledged_by_id = actor.id
    row.acknowledged_by = actor


def progress(*, session: Session, document_id: int, actor: Person, note: str,
             now: datetime | None = None) -> HandlingEvent:
    """The handler (chủ trì) records how far the handling has come."""
    text = nfc(note.strip())
    if not text:
        raise ValidationError("ghi nội dung tiến độ", field="--note")
    row = _own(session, document_id, actor, main_only=True)
    if row.acknowledged_at is None:
        _sign_for(row, actor, now)
    row.status = "in_progress"
    return _event(session, row.document, "progress", actor, note=text, assignment=row, now=now)


def done(*, session: Session, document_id: int, actor: Person, result: str = "",
         answer_document_id: int | None = None, now: datetime | None = None
         ) -> HandlingAssignment:
    """The handler records the result, possibly the issued outgoing document that answers it."""
    row = _own(session, document_id, actor, main_only=True)
    note = nfc(result.strip())
    if answer_document_id is not None:
        answer = documents.get(session=session, document_id=answer_document_id)
        if answer.direction is not Direction.OUTGOING or answer.status is not \
                DocumentStatus.ISSUED:
            raise InvalidTransition(f"văn bản trả lời #{answer.id} phải là văn bản đi đã ban "
                                    "hành; ban hành xong rồi ghi hoàn thành")
        documents.link(session=session, source=answer, target=row.document, kind="answers")
        row.answer_document_id = answer.id
        note = note or f"Trả lời bằng văn bản {answer.number_symbol}"
    if not note:
        raise ValidationError("ghi kết quả xử lý hoặc văn bản trả lời", field="--result")
    if row.acknowledged_at is None:
        _sign_for(row, actor, now)
    row.status, row.result = "done", note
    row.done_at = (now or now_utc()).astimezone(UTC)
    for other in _assignments(session, row.document_id, open_only=True):
        if other.role == "coordinate":
            other.status = "done"
    _event(session, row.document, "done", actor, note=note, assignment=row, now=now)
    return row


def answers_to(*, session: Session, document_id: int) -> list[Document]:
    """Outgoing documents that answer (or cite as their answer) the incoming document."""
    ids = session.scalars(select(DocumentLink.from_id).where(
        DocumentLink.to_id == document_id, DocumentLink.kind == "answers"))
    return [documents.get(session=session, document_id=i) for i in ids]


def overdue(*, session: Session, today: date) -> list[HandlingAssignment]:
    """Open main assignments whose due date has passed."""
    return list(session.scalars(select(HandlingAssignment).where(
        HandlingAssignment.role == "main", HandlingAssignment.status.in_(OPEN),
        HandlingAssignment.due_date < today).order_by(HandlingAssignment.due_date,
                                                      HandlingAssignment.id)))


def reminder_key(row: HandlingAssignment) -> str:
    """One overdue notice per assignment and due date (a new due date gets a new notice)."""
    assert row.due_date is not None
    return f"handling.{row.id}.overdue.{row.due_date:%Y%m%d}"


def remind_overdue(*, session: Session, today: date, channels: Sequence[str] = ("email",)
                   ) -> list[Delivery]:
    """Enqueue an overdue notice to each late handler, once per assignment and due date."""
    added: list[Delivery] = []
    for row in overdue(session=session, today=today):
        doc = row.document
        office = receiver_of(session, doc)
        unit = row.organization or (row.person.organization if row.person else office)
        days = (today - row.due_date).days if row.due_date else 0
        body = "\n".join([
            f"Kính gửi: {assignee_label(row)}", "",
            f"Văn bản đến số {doc.number:02d} ({doc.original_number} của {doc.sender_name}: "
            f"{doc.subject}) được giao xử lý với hạn {row.due_date:%d/%m/%Y}, đã quá hạn "
            f"{days} ngày.",
            f"Ý kiến chỉ đạo: {row.opinion}" if row.opinion else "",
            "Đề nghị hoàn thành và cập nhật kết quả (congvan incoming done).", "",
            f"Thư gửi tự động từ hệ thống quản lý văn bản của {office.name_in_text}."])
        added += enqueue_notice(
            session=session, recipient=unit, sender=office, idempotency_key=reminder_key(row),
            subject=f"Quá hạn xử lý văn bản đến số {doc.number:02d}", body=body,
            channels=channels)
    return added


def register_columns(*, session: Session, document_ids: Iterable[int]
                     ) -> dict[int, dict[str, str]]:
    """The handling columns of the incoming register: "don_vi_nhan", "ngay_chuyen",
    "ky_nhan" (and a note for "ghi_chu") per document."""
    ids = list(document_ids)
    rows = session.scalars(select(HandlingAssignment).where(
        HandlingAssignment.document_id.in_(ids), HandlingAssignment.status != "replaced")
        .order_by(HandlingAssignment.id).options(
        selectinload(HandlingAssignment.person), selectinload(HandlingAssignment.organization),
        selectinload(HandlingAssignment.acknowledged_by)))
    out: dict[int, dict[str, str]] = {}
    for row in rows:
        cols = out.setdefault(row.document_id, {"don_vi_nhan": "", "ngay_chuyen": "",
                                                "ky_nhan": "", "ghi_chu": ""})
        who = f"{assignee_label(row)} ({ROLES[row.role]})"
        cols["don_vi_nhan"] = "\n".join(x for x in (cols["don_vi_nhan"], who) if x)
        cols["ngay_chuyen"] = cols["ngay_chuyen"] or f"{to_local(row.assigned_at):%d/%m/%Y}"
        if row.acknowledged_at is not None and row.acknowledged_by is not None:
            signed = (f"{row.acknowledged_by.full_name} "
                      f"{to_local(row.acknowledged_at):%H:%M %d/%m/%Y}")
            cols["ky_nhan"] = "\n".join(x for x in (cols["ky_nhan"], signed) if x)
        if row.role == "main":
            state = STATUS[row.status] + (f", hạn {row.due_date:%d/%m/%Y}" if row.due_date
                                          else "")
            cols["ghi_chu"] = state
    return out


@dataclass(frozen=True)
class Entry:
    """One incoming document with its current main assignment (None until assigned)."""

    document: Document
    main: HandlingAssignment | None
    presented: bool
    subject: str = ""  # what the reader may see (registry.access.shown_subject)


def listing(*, session: Session, organization_key: str, year: int, reader: Person | None,
            search: str | None = None) -> list[Entry]:
    """The office's incoming documents of ``year`` in number order, optionally those whose
    subject, sender, number/symbol or full text (a scan's OCR included) contains ``search``.
    A secret document ``reader`` may not read matches on its sender and number only (its
    subject and text are not searched for them); each entry carries the subject to show."""
    org = get_by_key(session=session, model=Organization, key=organization_key)
    docs = list(session.scalars(
        select(Document).join(Register, Register.id == Document.register_id)
        .where(Register.organization_id == org.id, Register.direction == Direction.INCOMING,
               Document.year == year, Document.number.is_not(None))
        .order_by(Register.id, Document.number)))
    if search:
        needle = nfc(search).casefold()
        texts = dict(session.execute(select(DocumentText.document_id, DocumentText.text).where(
            DocumentText.document_id.in_([d.id for d in docs]))).tuples().all())
        docs = [d for d in docs if needle in " ".join(
            (d.subject, d.sender_name or "", d.original_number or "", texts.get(d.id, ""))
            if access.may_see_subject(session=session, document=d, reader=reader)
            else (d.sender_name or "", d.original_number or "")).casefold()]
    ids = [d.id for d in docs]
    mains = {r.document_id: r for r in session.scalars(select(HandlingAssignment).where(
        HandlingAssignment.document_id.in_(ids), HandlingAssignment.role == "main",
        HandlingAssignment.status != "replaced"))}
    presented = set(session.scalars(select(HandlingEvent.document_id).where(
        HandlingEvent.document_id.in_(ids), HandlingEvent.kind == "present")))
    return [Entry(d, mains.get(d.id), d.id in presented,
                  access.shown_subject(session=session, document=d, reader=reader))
            for d in docs]


def arrivals(*, session: Session, document_id: int) -> list[IncomingArrival]:
    """Every arrival of the document, the registering one first."""
    return list(session.scalars(select(IncomingArrival).where(
        IncomingArrival.document_id == document_id).order_by(IncomingArrival.id)))


def history(*, session: Session, document_id: int) -> list[HandlingEvent]:
    """The handling events of the document in order."""
    return list(session.scalars(select(HandlingEvent).where(
        HandlingEvent.document_id == document_id).order_by(HandlingEvent.id)))


def outgoing_by_number(*, session: Session, organization_key: str, number_symbol: str,
                       year: int | None = None) -> Document:
    """The office's issued outgoing document ``05/BCĐ-NC`` of ``year`` (default: the latest)."""
    org = get_by_key(session=session, model=Organization, key=organization_key)
    number, _, symbol = nfc(number_symbol).strip().partition("/")
    if not number.strip().isdigit() or not symbol:
        raise ValidationError(f"«{number_symbol}»: viết số/ký hiệu, ví dụ 05/BCĐ-NC",
                              field="--answer")
    query = select(Document).where(
        Document.direction == Direction.OUTGOING, Document.issuer_id == org.id,
        Document.number == int(number), Document.symbol == symbol.strip().upper())
    if year is not None:
        query = query.where(Document.year == year)
    doc = session.scalar(query.order_by(Document.year.desc()).limit(1))
    if doc is None:
        raise NotFound(f"{org.name_in_text} không có văn bản đi {number_symbol}"
                       f"{f' năm {year}' if year else ''}")
    return doc
