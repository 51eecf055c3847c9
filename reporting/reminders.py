"""Reminders for late units, once per request and stage (the Reminder unique key).

Stages, by working days relative to the due date:

- ``notice``: ``notice_days`` before the due date, an e-mail notice to units that have not
  submitted;
- ``don_doc``: after the due date, a numbered đôn đốc công văn listing the late units;
- ``escalation``: ``escalation_days`` after the due date, a notice to the late unit's superior
  (its parent, else the collector) naming the late unit.

A stage is claimed by inserting its Reminder rows with ON CONFLICT DO NOTHING in the
transaction that does the stage's work: a retried run finds the rows and does nothing.
Notices and escalations are outbox deliveries added in that same transaction
(:func:`enqueue_notices`), so each is recorded once and delivered by the relay, never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from outbox.enqueue import NOTICE_CHANNELS, enqueue_notice
from registry import documents
from registry.calendar import Period, WorkingCalendar
from registry.errors import NotFound
from registry.models import (
    Delivery,
    Organization,
    Person,
    Reminder,
    ReportingDuty,
    ReportRequest,
)
from reporting import drafting
from reporting.aggregation import unit_name
from reporting.forms import form_of
from reporting.requests import OWING

STAGES = ("notice", "don_doc", "escalation")


class ReminderPolicy(BaseModel):
    """When each stage fires, and whether the leader pre-authorised the đôn đốc công văn."""

    notice_days: int = 3
    escalation_days: int = 5
    preauthorise_don_doc: bool = False


def stage_due(stage: str, *, due: date, today: date, calendar: WorkingCalendar,
              policy: ReminderPolicy) -> bool:
    """Whether ``stage`` is due today for a request due on ``due``."""
    if stage == "notice":
        return calendar.add_working_days(due, -policy.notice_days) <= today <= due
    if stage == "don_doc":
        return today > due
    return today >= calendar.add_working_days(due, policy.escalation_days)


def pending(*, session: Session, duty_id: int, period_key: str, stage: str, today: date,
            calendar: WorkingCalendar, policy: ReminderPolicy) -> list[int]:
    """Ids of unsubmitted requests for which ``stage`` is due and not yet sent."""
    sent = select(Reminder.request_id).where(Reminder.stage == stage)
    rows = session.execute(select(ReportRequest.id, ReportRequest.due_date).where(
        ReportRequest.duty_id == duty_id, ReportRequest.period == period_key,
        ReportRequest.status.in_(OWING),
        ReportRequest.id.not_in(sent)).order_by(ReportRequest.id)).all()
    return [rid for rid, due in rows
            if stage_due(stage, due=due, today=today, calendar=calendar, policy=policy)]


def claim(*, session: Session, request_ids: Sequence[int], stage: str,
          document_id: int | None = None) -> list[int]:
    """Insert the Reminder rows of ``stage``; returns the request ids this call claimed."""
    if not request_ids:
        return []
    dialect = session.get_bind().dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_(Reminder).values(
        [{"request_id": rid, "stage": stage, "document_id": document_id} for rid in request_ids]
    ).on_conflict_do_nothing(index_elements=["request_id", "stage"]).returning(Reminder.request_id)
    claimed = [r for (r,) in session.execute(stmt).all()]
    if claimed:
        session.execute(update(ReportRequest).where(
            ReportRequest.id.in_(claimed)).values(
            reminders_sent=ReportRequest.reminders_sent + 1))
    return claimed


def notice_channels(channels: Sequence[str]) -> list[str]:
    """The cycle's channels that carry a plain-text notice; e-mail when none does (edXML only)."""
    return [c for c in channels if c in NOTICE_CHANNELS] or ["email"]


def notice_key(request_id: int, stage: str) -> str:
    """The idempotency key of a stage's notice: one per request and stage, like the Reminder."""
    return f"reminder.{request_id}.{stage}"


@dataclass(frozen=True)
class NoticeText:
    """One notice to enqueue: to whom, from whom, what, under which key."""

    recipient: Organization
    sender: Organization | None
    subject: str
    body: str
    key: str


def notices_for(*, session: Session, request_ids: Sequence[int], stage: str) -> list[NoticeText]:
    """The notices of a stage: to the unit (notice), or naming it to its superior (escalation)."""
    requests = session.scalars(select(ReportRequest).where(ReportRequest.id.in_(request_ids))
                               .order_by(ReportRequest.id))
    return [_escalation(session, r) if stage == "escalation" else _notice(session, r)
            for r in requests]


def enqueue_notices(*, session: Session, request_ids: Sequence[int], stage: str,
                    channels: Sequence[str]) -> list[Delivery]:
    """Enqueue the notices of claimed requests; call it in the transaction that claimed them.

    The Reminder rows and the deliveries commit together, so a notice is recorded once and
    the relay delivers it (retrying until it is sent or a dead letter a clerk can see).
    """
    added: list[Delivery] = []
    for text in notices_for(session=session, request_ids=request_ids, stage=stage):
        added += enqueue_notice(session=session, recipient=text.recipient, sender=text.sender,
                                subject=text.subject, body=text.body, idempotency_key=text.key,
                                channels=notice_channels(channels))
    return added


def _collector(session: Session, request: ReportRequest) -> Organization | None:
    return session.get(Organization, request.duty.collector_id) if request.duty else None


def _signature(sender: Organization | None) -> list[str]:
    who = f" của {sender.name_in_text}" if sender is not None else ""
    return ["", f"Thư gửi tự động từ hệ thống quản lý văn bản{who}."]


def _notice(session: Session, request: ReportRequest) -> NoticeText:
    unit, sender = request.unit, _collector(session, request)
    period = Period.from_key(request.period).in_sentence
    collector = sender.name_in_text if sender is not None else "cơ quan tổng hợp"
    body = [f"Kính gửi: {unit.name_in_text}", "",
            f"Hạn gửi báo cáo {period} là ngày {request.due_date:%d/%m/%Y}. Đến nay {collector} "
            "chưa nhận được báo cáo của đơn vị.",
            f"Đề nghị đơn vị gửi báo cáo đúng hạn (mã yêu cầu báo cáo: {request.id}).",
            *_signature(sender)]
    return NoticeText(unit, sender, f"Nhắc hạn gửi báo cáo {period}", "\n".join(body),
                      notice_key(request.id, "notice"))


def _escalation(session: Session, request: ReportRequest) -> NoticeText:
    unit, sender = request.unit, _collector(session, request)
    superior = unit.parent or sender or unit
    period = Period.from_key(request.period).in_sentence
    reminded = session.scalar(select(Reminder.id).where(
        Reminder.request_id == request.id, Reminder.stage == "don_doc")) is not None
    body = [f"Kính gửi: {superior.name_in_text}", "",
            f"{unit.name_in_text} chưa gửi báo cáo {period}, đã quá hạn ngày "
            f"{request.due_date:%d/%m/%Y}{', dù đã được đôn đốc' if reminded else ''}.",
            f"Đề nghị {superior.name_in_text} chỉ đạo đơn vị gửi báo cáo ngay "
            f"(mã yêu cầu báo cáo: {request.id}).",
            *_signature(sender)]
    return NoticeText(superior, sender, f"{unit.name_in_text} chậm gửi báo cáo {period}",
                      "\n".join(body), notice_key(request.id, "escalation"))


def send_notices(*, session: Session, duty_id: int, period_key: str, stage: str, today: date,
                 calendar: WorkingCalendar, policy: ReminderPolicy, channels: Sequence[str],
                 request_ids: Sequence[int] | None = None) -> int:
    """Notice or escalation stage: claim the pending requests (or ``request_ids``, a chunk of
    them) and enqueue their notices, in the caller's transaction; returns how many this call
    claimed (0 for a retry: the Reminder rows are already there)."""
    ids = list(request_ids) if request_ids is not None else pending(
        session=session, duty_id=duty_id, period_key=period_key, stage=stage, today=today,
        calendar=calendar, policy=policy)
    claimed = claim(session=session, request_ids=ids, stage=stage)
    enqueue_notices(session=session, request_ids=claimed, stage=stage, channels=channels)
    return len(claimed)


def draft_don_doc(*, session: Session, duty_id: int, period_key: str, today: date,
                  signer: Person, calendar: WorkingCalendar, policy: ReminderPolicy,
                  files_root: Path) -> int | None:
    """Claim the late units and draft one numbered đôn đốc công văn listing them, in the
    caller's transaction.

    Routed to ``signer`` (submitted); pre-authorised (``policy.preauthorise_don_doc``), it is
    approved at once. Returns the draft's id, or None when nobody is late or everybody late
    was already reminded. The campaign's words come from the duty's form (``wording``).
    """
    ids = pending(session=session, duty_id=duty_id, period_key=period_key, stage="don_doc",
                  today=today, calendar=calendar, policy=policy)
    claimed = claim(session=session, request_ids=ids, stage="don_doc")
    if not claimed:
        return None
    duty = session.get(ReportingDuty, duty_id)
    if duty is None or duty.instruction_document_id is None:
        raise NotFound(f"nhiệm vụ báo cáo #{duty_id} chưa có công văn hướng dẫn đã ban hành")
    wording = form_of(duty.form).wording
    instruction = documents.get(session=session, document_id=duty.instruction_document_id)
    issuer = instruction.issuer
    assert issuer is not None
    late = list(session.scalars(select(ReportRequest).where(ReportRequest.id.in_(claimed))
                                .order_by(ReportRequest.unit_id)))
    period = Period.from_key(period_key)
    names = [unit_name(r.unit) for r in late]
    body = "\n".join([
        f"Thực hiện Công văn số {instruction.number_symbol} ngày "
        f"{instruction.issue_date:%d/%m/%Y} của {issuer.name_in_text}, "
        f"đến hết ngày {late[0].due_date:%d/%m/%Y} (hạn gửi báo cáo {period.in_sentence}), "
        f"các đơn vị sau chưa gửi báo cáo {wording.topic} kèm mẫu thống kê:",
        "", *[f"- {n};" for n in names], "",
        "Đề nghị các đơn vị trên khẩn trương gửi báo cáo theo đúng mẫu thống kê trước ngày "
        f"{calendar.add_working_days(today, 3):%d/%m/%Y} để tổng hợp, báo cáo cấp trên.",
    ])
    spec = drafting.base_spec(
        session=session, doc_type="cong_van", issuer=issuer, signer=signer,
        subject=f"{wording.reminder_subject} {period.in_sentence}", body=body,
        recipients=names, distribution=["Như trên"], drafting_unit=instruction.drafting_unit)
    doc = drafting.create_draft(session=session, spec=spec, issuer=issuer,
                                units=[r.unit for r in late], signer=signer)
    documents.link(session=session, source=doc, target=instruction, kind="reminds")
    session.execute(update(Reminder).where(Reminder.request_id.in_(claimed),
                                           Reminder.stage == "don_doc").values(document_id=doc.id))
    drafting.submit(session=session, document_id=doc.id, files_root=files_root,
                    reviewers=[signer], signer=signer)
    if policy.preauthorise_don_doc:
        drafting.decide(session=session, document_id=doc.id, approver=signer, preauthorised=True)
    return doc.id
