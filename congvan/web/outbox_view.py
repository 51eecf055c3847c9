"""What the outbox page shows, limited to the signed-in person's organisation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outbox.deliveries import PENDING, Summary
from registry.access import delivery_visible_to
from registry.models import Delivery, DeliveryStatus, Person


def summary(*, session: Session, actor: Person, dead_limit: int = 50) -> Summary:
    """Counts by status, the oldest pending delivery and the dead letters of the actor's side."""
    mine = delivery_visible_to(actor)
    counts = {s.value: 0 for s in DeliveryStatus}
    for status, count in session.execute(
            select(Delivery.status, func.count()).where(mine).group_by(Delivery.status)).tuples():
        counts[DeliveryStatus(status).value] = count
    oldest: datetime | None = session.scalar(
        select(func.min(Delivery.created_at)).where(mine, Delivery.status.in_(PENDING)))
    dead = session.scalars(select(Delivery).where(mine, Delivery.status == DeliveryStatus.DEAD)
                           .order_by(Delivery.id).limit(dead_limit)).all()
    return Summary(counts, oldest, dead)
