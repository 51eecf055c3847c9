"""The outbox: counts by state, dead letters, re-queueing one (HTMX) — the clerk's own side."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from congvan.web import outbox_view
from congvan.web.deps import ClerkDep, IdPath, SessionDep
from congvan.web.render import page
from outbox import deliveries
from registry import access

router = APIRouter(include_in_schema=False)

ORDER = ("queued", "sending", "sent", "failed", "dead", "acknowledged")


@router.get("/outbox", response_class=HTMLResponse, name="outbox")
def show_outbox(request: Request, session: SessionDep, actor: ClerkDep) -> HTMLResponse:
    """The outbox of the clerk's organisation at a glance."""
    summary = outbox_view.summary(session=session, actor=actor)
    return page(request, "outbox.html", {"summary": summary, "order": ORDER,
                                         "total": sum(summary.counts.values())})


@router.post("/outbox/deliveries/{delivery_id}/retry", response_class=HTMLResponse,
             name="retry_delivery")
def retry_delivery(request: Request, delivery_id: IdPath, session: SessionDep,
                   actor: ClerkDep) -> HTMLResponse:
    """Put a dead letter back in the queue; answers with the updated table row."""
    access.delivery(session=session, delivery_id=delivery_id, actor=actor)
    delivery = deliveries.retry(session=session, delivery_id=delivery_id, actor=actor)
    return page(request, "_dead_row.html", {"delivery": delivery, "requeued": True})
