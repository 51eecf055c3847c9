"""The national axis's HTTP gateway (VXP/LGSP): send edXML, list and fetch what waits, ack it.

The operations are those the public VXP SDK exposes (``KnobstickServiceImp``):

* ``sendEdoc`` — one edXML message; the gateway answers ``{"status": "OK", "DocID": …}``;
* ``getReceivedEdocList`` — the messages waiting for us: ``{"status": "OK", "knobsticks":
  [{"id", "from", "serviceType", …}]}``;
* ``getEdoc`` — one waiting message's edXML bytes, by ``docId``;
* ``updateStatus`` — ``done`` / ``fail`` / ``processing`` for a fetched message, by ``docId``.

Each call is an HTTP POST to ``<endpoint>/<operation>`` authenticated by the ``systemId``
and ``secret`` the axis operator issued, carried with the SDK's JSON header fields
(``from``, ``servicetype`` eDoc|status, ``messagetype`` edoc|status, ``docId``, ``status``)
as HTTP headers. The SDK's own jar is closed source: paths and header names follow its
documented calls and must be checked against the operator's gateway before going live.

Failures map onto the outbox: connection errors, timeouts, 5xx and 429 are transient
(retried with backoff); refused credentials and rejected messages are permanent (dead
letter with the gateway's own error text).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from outbox.channels.edxml import package
from outbox.edxml.build import EnvelopeSigner
from outbox.errors import PermanentDeliveryError, TransientDeliveryError
from outbox.message import OutgoingMessage, SendResult

MAX_MESSAGE = 512 * 1024 * 1024  # what we accept back from getEdoc


@dataclass(frozen=True)
class GatewayConfig:
    """Where the gateway is and who we are to it."""

    endpoint: str
    system_id: str
    secret: str
    timeout: float = 60.0


@dataclass(frozen=True)
class Waiting:
    """A message waiting at the gateway for us."""

    doc_id: str
    sender: str = ""
    service_type: str = ""


class GatewayClient:
    """The four SDK operations over HTTP."""

    def __init__(self, config: GatewayConfig, *, transport: httpx.BaseTransport | None = None
                 ) -> None:
        if not config.endpoint.startswith(("https://", "http://")):
            raise PermanentDeliveryError(
                f"Địa chỉ trục liên thông «{config.endpoint}» phải bắt đầu bằng https:// "
                "(CONGVAN_GATEWAY_URL).")
        if not config.system_id or not config.secret:
            raise PermanentDeliveryError(
                "Chưa cấu hình mã hệ thống và khoá bí mật của trục liên thông "
                "(CONGVAN_GATEWAY_SYSTEM_ID, CONGVAN_GATEWAY_SECRET).")
        if not (config.system_id + config.secret).isascii():
            raise PermanentDeliveryError(
                "Mã hệ thống hoặc khoá bí mật của trục liên thông có ký tự ngoài ASCII; chép lại "
                "đúng giá trị đơn vị vận hành cấp (CONGVAN_GATEWAY_SYSTEM_ID, "
                "CONGVAN_GATEWAY_SECRET).")
        self.config = config
        self._http = httpx.Client(base_url=config.endpoint.rstrip("/") + "/",
                                  timeout=config.timeout, transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, operation: str, fields: dict[str, str], body: bytes = b"") -> httpx.Response:
        headers = {"systemid": self.config.system_id, "secret": self.config.secret,
                   "Content-Type": "application/xml" if body else "application/json"}
        headers.update({k: v for k, v in fields.items() if v})
        try:
            response = self._http.post(operation, content=body, headers=headers)
        except httpx.TimeoutException as error:
            raise TransientDeliveryError(
                f"Trục liên thông không trả lời {operation} trong {self.config.timeout:g} giây: "
                f"{error}") from error
        except httpx.TransportError as error:
            raise TransientDeliveryError(
                f"Không kết nối được trục liên thông ({operation}): {error}") from error
        if response.status_code in (401, 403):
            raise PermanentDeliveryError(
                f"Trục liên thông từ chối mã hệ thống/khoá bí mật ({response.status_code}); "
                "kiểm tra CONGVAN_GATEWAY_SYSTEM_ID và CONGVAN_GATEWAY_SECRET.")
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientDeliveryError(
                f"Trục liên thông lỗi tạm thời {response.status_code} ({operation}): "
                f"{response.text[:200]}")
        if response.status_code >= 400:
            raise PermanentDeliveryError(
                f"Trục liên thông từ chối {operation} ({response.status_code}): "
                f"{response.text[:300]}")
        return response

    @staticmethod
    def _ok(response: httpx.Response, operation: str) -> dict[str, Any]:
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise TransientDeliveryError(
                f"Trục liên thông trả lời {operation} không phải JSON.") from None
        if not isinstance(answer, dict) or str(answer.get("status", "")).upper() != "OK":
            desc = answer.get("ErrorDesc") if isinstance(answer, dict) else answer
            raise PermanentDeliveryError(f"Trục liên thông từ chối {operation}: {desc}")
        return answer

    def send_edoc(self, data: bytes, *, sender: str, status: bool, message_id: str) -> str:
        """``sendEdoc``: the gateway's DocID for the message."""
        kind = "status" if status else "edoc"
        answer = self._ok(self._call("sendEdoc", {
            "from": sender, "servicetype": "status" if status else "eDoc", "messagetype": kind,
            "messageid": message_id}, data), "sendEdoc")
        return str(answer.get("DocID") or answer.get("docId") or "")

    def received(self, *, status: bool = False) -> list[Waiting]:
        """``getReceivedEdocList``: what waits for us (documents, or Status messages)."""
        kind = "status" if status else "edoc"
        answer = self._ok(self._call("getReceivedEdocList", {
            "from": self.config.system_id, "servicetype": "status" if status else "eDoc",
            "messagetype": kind}), "getReceivedEdocList")
        return [Waiting(str(k.get("id")), str(k.get("from") or ""),
                        str(k.get("serviceType") or ""))
                for k in answer.get("knobsticks") or [] if isinstance(k, dict) and k.get("id")]

    def get_edoc(self, doc_id: str) -> bytes:
        """``getEdoc``: the waiting message's edXML bytes (bounded)."""
        response = self._call("getEdoc", {"docid": doc_id})
        if len(response.content) > MAX_MESSAGE:
            raise PermanentDeliveryError(
                f"Gói {doc_id} lớn quá {MAX_MESSAGE:,} byte; không nhận.")
        return response.content

    def update_status(self, doc_id: str, status: str) -> None:
        """``updateStatus``: ``done``, ``fail`` or ``processing`` for a fetched message."""
        if status not in ("done", "fail", "processing"):
            raise ValueError(status)
        self._ok(self._call("updateStatus", {"docid": doc_id, "status": status}),
                 "updateStatus")


class GatewayChannel:
    """Sends each delivery's edXML (signed when a signer is given) through the gateway."""

    def __init__(self, client: GatewayClient, *, signer: EnvelopeSigner | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.client = client
        self._signer = signer
        self._clock = clock

    def send(self, message: OutgoingMessage) -> SendResult:
        """Build the message and hand it to the gateway; its DocID is the message id."""
        data = package(message, signer=self._signer, now=self._clock() if self._clock else None)
        doc_id = self.client.send_edoc(
            data, sender=message.sender.organ_id or "", status=message.status is not None,
            message_id=message.idempotency_key)
        return SendResult(message_id=f"gateway:{doc_id}")
