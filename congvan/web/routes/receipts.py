"""The acknowledgement link of the e-mails: a recipient confirms it has the document."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from congvan.web.deps import SessionDep, SettingsDep
from congvan.web.render import page
from outbox import receipts

router = APIRouter()


@router.get("/ack/{token}", response_class=HTMLResponse, name="ack")
@router.get("/xac-nhan/{token}", response_class=HTMLResponse, include_in_schema=False)
def acknowledge(request: Request, token: str, session: SessionDep,
                settings: SettingsDep) -> HTMLResponse:
    """Record the receipt (idempotent) and thank the recipient; a bad token is a 404 page."""
    now = datetime.now(UTC)
    delivery = receipts.acknowledge(session=session, token=token, secret=settings.secret_key,
                                    at=now)
    return page(request, "ack.html", {"delivery": delivery, "document": delivery.document,
                                      "first_time": delivery.acknowledged_at == now})
