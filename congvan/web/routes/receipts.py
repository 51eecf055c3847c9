"""The acknowledgement link of the e-mails: a recipient confirms it has the document.

Opening the link (GET) only shows the document and a button: mail scanners and
link previews fetch links, and must not acknowledge. The button POSTs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from congvan.web.deps import SessionDep, SettingsDep, WebSessionDep
from congvan.web.render import page
from outbox import receipts
from outbox.errors import ReceiptError
from registry.models import Delivery

router = APIRouter(include_in_schema=False)


@router.get("/ack/{token}", response_class=HTMLResponse, name="ack")
@router.get("/xac-nhan/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str, session: SessionDep, settings: SettingsDep,
            row: WebSessionDep) -> HTMLResponse:
    """The document the link names and a button to confirm receipt; a bad token is a 404."""
    delivery = session.get(Delivery, receipts.delivery_id_of(secret=settings.secret_key,
                                                              token=token[:200]))
    if delivery is None or delivery.document is None:
        raise ReceiptError("Đường dẫn xác nhận không còn hiệu lực (không có lượt gửi này).")
    return page(request, "ack.html", {"delivery": delivery, "document": delivery.document,
                                      "token": token, "asked": True, "first_time": False})


@router.post("/ack/{token}", response_class=HTMLResponse, name="ack_submit")
@router.post("/xac-nhan/{token}", response_class=HTMLResponse)
def acknowledge(request: Request, token: str, session: SessionDep,
                settings: SettingsDep) -> HTMLResponse:
    """Record the receipt (idempotent) and thank the recipient."""
    now = datetime.now(UTC)
    delivery = receipts.acknowledge(session=session, token=token[:200],
                                    secret=settings.secret_key, at=now)
    return page(request, "ack.html", {"delivery": delivery, "document": delivery.document,
                                      "token": token, "asked": False,
                                      "first_time": delivery.acknowledged_at == now})
