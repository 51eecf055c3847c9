"""A superior body's guidance, registered as an incoming document with the duties it sets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox.compose import one_line
from outbox.intake import Incoming, find_registered, register_incoming
from registry.calendar import policy_from_dict
from registry.lookup import get_by_key
from registry.models import Organization, ReportingDuty
from reporting.forms import FormDef, ensure_form


class DutyIn(BaseModel):
    """A reporting duty a guidance sets: which form, which periods (the policy), collected by
    whom."""

    model_config = ConfigDict(frozen=True)
    form: dict[str, Any]  # the FormDef as a dict (small, JSON-ready)
    policy: dict[str, Any]  # registry.calendar policy dict: {"kind": "quarterly", "day": 10, …}
    collector_key: str
    description: str = ""


class GuidanceIn(BaseModel):
    """An incoming guidance as the clerk registers it."""

    model_config = ConfigDict(frozen=True)
    receiver_key: str
    sender_key: str
    doc_type: str = "huong_dan"
    original_number: str  # "22/HD-BCA-V05"
    original_date: date
    subject: str
    arrived_on: date
    duties: list[DutyIn] = []


def org_by_key(session: Session, key: str) -> Organization:
    """The organisation with ``key``, or NotFound naming it."""
    return get_by_key(session=session, model=Organization, key=key)


def register_guidance(*, session: Session, guidance: GuidanceIn) -> int:
    """Register the guidance in the receiver's incoming register through the one intake
    service (:func:`outbox.intake.register_incoming`), with its duties; returns its id.

    Idempotent: the same document (sender, number and symbol, date) is registered once and
    its duties stored once; a retried flow finds it and records nothing more.
    """
    sender = org_by_key(session, guidance.sender_key)
    receiver = org_by_key(session, guidance.receiver_key)
    incoming = Incoming(number_symbol=guidance.original_number, subject=guidance.subject,
                        sender_name=one_line(sender.name), original_date=guidance.original_date,
                        doc_type=guidance.doc_type, channel="file")
    existing = find_registered(session=session, organization_id=receiver.id,
                               incoming=incoming, sender=sender)
    if existing is not None:
        return existing.id
    done = register_incoming(
        session=session, organization_id=receiver.id, incoming=incoming, sender=sender,
        arrived_at=datetime.combine(guidance.arrived_on, datetime.min.time(), tzinfo=UTC),
        files_root=Path("."))  # no file: nothing is written
    for duty in guidance.duties:
        add_duty(session=session, source_document_id=done.document.id, duty=duty)
    return done.document.id


def add_duty(*, session: Session, source_document_id: int, duty: DutyIn) -> ReportingDuty:
    """Store one reporting duty of a guidance (its form created if new)."""
    policy_from_dict(duty.policy)  # refuse a bad policy before storing it
    form = ensure_form(session=session, form=FormDef.model_validate(duty.form))
    row = ReportingDuty(source_document_id=source_document_id, form_id=form.id,
                        collector_id=org_by_key(session, duty.collector_key).id,
                        policy=dict(duty.policy), description=duty.description)
    session.add(row)
    session.flush()
    return row


def duties_of(*, session: Session, guidance_id: int) -> list[ReportingDuty]:
    """The duties a guidance set, in order."""
    return list(session.scalars(select(ReportingDuty).where(
        ReportingDuty.source_document_id == guidance_id).order_by(ReportingDuty.id)))
