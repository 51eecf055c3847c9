"""The "Việc cần làm" block at the top of the documents page, by role."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from registry import access
from registry.access import delivery_visible_to
from registry.models import (
    Delivery,
    DeliveryStatus,
    Direction,
    Document,
    DocumentStatus,
    HandlingAssignment,
    HandlingEvent,
    Person,
    ReportRequest,
    RequestStatus,
    ReviewStep,
)


@dataclass
class Todo:
    """What waits for the signed-in person."""

    to_review: Sequence[Document] = ()
    to_sign: Sequence[Document] = ()
    returned: Sequence[Document] = ()
    to_issue: Sequence[Document] = ()
    dead_letters: int = 0
    reports: Sequence[ReportRequest] = ()
    to_assign: Sequence[Document] = ()
    to_present: Sequence[Document] = ()
    assigned_to_me: Sequence[HandlingAssignment] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def documents(self) -> list[Document]:
        """Every document the lists name (their subjects are shown through registry.access)."""
        return [*self.to_review, *self.to_sign, *self.returned, *self.to_issue, *self.to_assign,
                *self.to_present]

    @property
    def empty(self) -> bool:
        """True when nothing waits."""
        return not (self.to_review or self.to_sign or self.returned or self.to_issue
                    or self.dead_letters or self.reports or self.to_assign or self.to_present
                    or self.assigned_to_me)


def for_person(*, session: Session, actor: Person, limit: int = 20) -> Todo:
    """The drafts waiting for this reviewer, what the clerk must issue or fix, the unit's
    reports still owed."""
    roles = set(actor.roles or [])
    todo = Todo()
    mine = access.visible_to(actor)
    if roles & {"leader", "reviewer"}:
        todo.to_review = list(_waiting_for(session, actor, limit))
    if "leader" in roles:
        # Submitted without named reviewers: any leader of the issuer who may sign decides.
        no_steps = ~select(ReviewStep.id).where(ReviewStep.document_id == Document.id).exists()
        todo.to_review = [*todo.to_review, *session.scalars(select(Document).where(
            mine, no_steps, Document.status == DocumentStatus.SUBMITTED,
            Document.issuer_id == actor.organization_id).order_by(Document.id).limit(limit))]
    if "leader" in roles:
        from signing import person

        # Only what this leader may sign (their signing right covers the issuer and type).
        todo.to_sign = [d for d in session.scalars(select(Document).where(
            mine, Document.status == DocumentStatus.APPROVED,
            Document.issuer_id == actor.organization_id).order_by(Document.id).limit(limit))
            if person.may_sign(session=session, document_id=d.id, actor=actor)]
    if roles & {"clerk", "admin"}:
        todo.to_issue = session.scalars(select(Document).where(
            mine, Document.status == DocumentStatus.SIGNED,
            Document.issuer_id == actor.organization_id).order_by(Document.id).limit(limit)).all()
        todo.returned = session.scalars(select(Document).where(
            mine, Document.status == DocumentStatus.RETURNED,
            Document.issuer_id == actor.organization_id).order_by(Document.id).limit(limit)).all()
        todo.dead_letters = int(session.scalar(select(func.count(Delivery.id)).where(
            delivery_visible_to(actor), Delivery.status == DeliveryStatus.DEAD)) or 0)
    _incoming(session, actor, roles, todo, limit)
    if "reporter" in roles:
        todo.reports = session.scalars(select(ReportRequest).where(
            ReportRequest.unit_id == actor.organization_id,
            ReportRequest.status.in_((RequestStatus.OPEN, RequestStatus.REJECTED)))
            .order_by(ReportRequest.due_date).limit(limit)).all()
    return todo


def _incoming(session: Session, actor: Person, roles: set[str], todo: Todo, limit: int) -> None:
    # Incoming documents: presented to this leader and not yet assigned; registered here and
    # not yet presented (for the clerk); open assignments of this person or their unit.
    open_assignment = select(HandlingAssignment.id).where(
        HandlingAssignment.document_id == Document.id,
        HandlingAssignment.status != "replaced").exists()
    received = and_(Document.direction == Direction.INCOMING, access.visible_to(actor))
    if "leader" in roles:
        presented_to_me = select(HandlingEvent.id).where(
            HandlingEvent.document_id == Document.id, HandlingEvent.kind == "present",
            HandlingEvent.to_person_id == actor.id).exists()
        todo.to_assign = session.scalars(select(Document).where(
            received, presented_to_me, ~open_assignment).order_by(Document.id).limit(limit)).all()
    if "clerk" in roles:
        presented = select(HandlingEvent.id).where(HandlingEvent.document_id == Document.id,
                                                   HandlingEvent.kind == "present").exists()
        todo.to_present = session.scalars(select(Document).where(
            received, ~presented, ~open_assignment).order_by(Document.id).limit(limit)).all()
    todo.assigned_to_me = session.scalars(select(HandlingAssignment).where(
        HandlingAssignment.role == "main",
        HandlingAssignment.status.in_(("assigned", "in_progress")),
        or_(HandlingAssignment.person_id == actor.id,
            HandlingAssignment.organization_id == actor.organization_id))
        .order_by(HandlingAssignment.due_date).limit(limit)).all()


def _waiting_for(session: Session, actor: Person, limit: int) -> Sequence[Document]:
    # The current step of a round is its lowest undecided position; it must be this person's.
    current = (select(ReviewStep.document_id, ReviewStep.round,
                      func.min(ReviewStep.position).label("position"))
               .where(ReviewStep.decision.is_(None))
               .group_by(ReviewStep.document_id, ReviewStep.round).subquery())
    return session.scalars(
        select(Document).join(current, current.c.document_id == Document.id)
        .join(ReviewStep, (ReviewStep.document_id == current.c.document_id)
              & (ReviewStep.round == current.c.round)
              & (ReviewStep.position == current.c.position))
        .where(ReviewStep.reviewer_id == actor.id, Document.status == DocumentStatus.SUBMITTED,
               access.visible_to(actor))
        .order_by(Document.id).limit(limit)).all()
