"""The outbox: counts by state, dead letters, re-queueing one (HTMX)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from congvan.web.deps import ActorDep, ReaderDep, SessionDep, require
from congvan.web.render import page
from outbox import deliveries

router = APIRouter()

ORDER = ("queued", "sending", "sent", "failed", "dead", "acknowledged")


@router.get("/outbox", response_class=HTMLResponse, name="outbox")
def show_outbox(request: Request, session: SessionDep, actor: ReaderDep) -> HTMLResponse:
    """The outbox at a glance."""
    summary = deliveries.summary(session=session)
    return page(request, "outbox.html", {"summary": summary, "order": ORDER,
                                         "total": sum(summary.counts.values())})


@router.post("/outbox/deliveries/{delivery_id}/retry", response_class=HTMLResponse,
             name="retry_delivery")
def retry_delivery(request: Request, delivery_id: int, session: SessionDep,
                   actor: ActorDep) -> HTMLResponse:
    """Put a dead letter back in the queue; answers with the updated table row."""
    clerk = require(actor, "clerk", "admin")
    delivery = deliveries.retry(session=session, delivery_id=delivery_id, actor=clerk)
    return page(request, "_dead_row.html", {"delivery": delivery, "requeued": True})
