"""The national axis's HTTP gateway (VXP/LGSP): send edXML, list and fetch what waits, ack it.

The wire format is the VXP SDK's (``SDKVXP-2.0.1.jar``, ``com.vpcp.services``: its
``KnobstickServiceImp`` and ``VnptService`` classes, read from the decompiled jar published with
public integration samples). Every operation is an HTTP POST to ``<endpoint>/<operation>``:

* ``sendEdoc`` — the edXML bytes as ``application/octet-stream``, with ``from``, ``servicetype``
  (``eDoc`` | ``status``), ``messagetype`` (``edoc`` | ``status``) and ``hash-file`` (the SDK's
  hex of the body's SHA-256); answers ``{"status": "OK", "ErrorCode": "0", "ErrorDesc": "",
  "DocId": …}``;
* ``getReceivedEdocList`` — with ``servicetype``/``messagetype``; answers ``{"status", "ErrorCode",
  "ErrorDesc", "data": [{"docId", "from", "to", "serviceType", "messageType", "status",
  "created_time", …}]}``;
* ``getEdoc`` — with ``docId``; answers ``{"status", "ErrorCode", "ErrorDesc", "data": base64 of
  the edXML}``;
* ``updateStatus`` — with ``docId`` and ``status`` (``done`` | ``fail`` | ``processing``).

Authentication is the SDK's HMAC, never the secret itself on the wire: each field ``name`` (and
``timestamp`` ``ddMMyyyy'T'HHmmss+SSSS``, ``systemid``, ``Content-Type``) travels as a header
``XroadVnpt-<name>``; ``XroadVnpt-sign-header`` is the JSON object of those headers,
``XroadVnpt-sign-header-key`` their names joined by ``;``, and ``XroadVnpt-hash-header`` the
hex HMAC-SHA256 of the sign-header under the secret the axis operator issued (with
``XroadVnpt-version: 3.0.201608``). An answer with ``status`` FAIL or a non-zero ``ErrorCode``
is the gateway's refusal.

Failures map onto the outbox: connection errors, timeouts, 5xx and 429 are transient
(retried with backoff); refused credentials and rejected messages are permanent (dead
letter with the gateway's own error text).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from outbox.channels.edxml import package
from outbox.edxml.build import EnvelopeSigner
from outbox.errors import PermanentDeliveryError, TransientDeliveryError
from outbox.message import OutgoingMessage, SendResult
from registry.clock import local_now

MAX_ANSWER = 700 * 1024 * 1024  # a getEdoc answer: 512 MB of edXML in base64, in JSON
_DOC_ID = re.compile(r"[A-Za-z0-9._:-]{1,200}")
MAX_LISTED = 1000  # waiting messages taken from one getReceivedEdocList answer
SDK_VERSION = "3.0.201608"  # XroadVnpt-version of SDKVXP 2.0.1
USER_AGENT = "congvan (XRoad/VPCP)"


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
        content_type = "application/octet-stream" if body else "application/json"
        headers = signed_headers(self.config, {"Content-Type": content_type, **{
            k: v for k, v in fields.items() if v}})
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
        if len(response.content) > MAX_ANSWER:
            raise PermanentDeliveryError(
                f"Trục liên thông trả lời {operation} lớn quá {MAX_ANSWER:,} byte; không nhận.")
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise TransientDeliveryError(
                f"Trục liên thông trả lời {operation} không phải JSON.") from None
        if not isinstance(answer, dict):
            raise TransientDeliveryError(f"Trục liên thông trả lời {operation} không đúng dạng.")
        code = str(answer.get("ErrorCode", "0")).strip() or "0"
        if str(answer.get("status", "")).upper() != "OK" or code != "0":
            desc = str(answer.get("ErrorDesc") or "")[:300]
            raise PermanentDeliveryError(
                f"Trục liên thông từ chối {operation} (ErrorCode {code}): {desc}")
        return answer

    def send_edoc(self, data: bytes, *, sender: str, status: bool, message_id: str) -> str:
        """``sendEdoc``: the gateway's DocId for the message."""
        kind = "status" if status else "edoc"
        answer = self._ok(self._call("sendEdoc", {
            "from": sender, "servicetype": "status" if status else "eDoc", "messagetype": kind,
            "messageid": message_id, "hash-file": sdk_hex(hashlib.sha256(data).digest())},
            data), "sendEdoc")
        return str(answer.get("DocId") or answer.get("DocID") or answer.get("docId") or "")

    def received(self, *, status: bool = False) -> list[Waiting]:
        """``getReceivedEdocList``: what waits for us (documents, or Status messages)."""
        kind = "status" if status else "edoc"
        answer = self._ok(self._call("getReceivedEdocList", {
            "servicetype": "status" if status else "eDoc", "messagetype": kind}),
            "getReceivedEdocList")
        items = answer.get("data") or []
        if not isinstance(items, list):
            raise PermanentDeliveryError("Trục liên thông trả danh sách gói (data) không đúng "
                                         "dạng.")
        # A docId goes back in a header: anything but a plain token is not one of theirs.
        return [Waiting(str(k["docId"]), str(k.get("from") or "")[:100],
                        str(k.get("serviceType") or "")[:20])
                for k in items[:MAX_LISTED]
                if isinstance(k, dict) and _DOC_ID.fullmatch(str(k.get("docId") or ""))]

    def get_edoc(self, doc_id: str) -> bytes:
        """``getEdoc``: the waiting message's edXML bytes (bounded)."""
        answer = self._ok(self._call("getEdoc", {"docId": doc_id}), "getEdoc")
        encoded = answer.get("data")
        if not isinstance(encoded, str) or not encoded:
            raise PermanentDeliveryError(f"Trục liên thông trả gói {doc_id} rỗng.")
        try:
            return base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise PermanentDeliveryError(
                f"Trục liên thông trả gói {doc_id} không phải base64; không nhận.") from None

    def update_status(self, doc_id: str, status: str) -> None:
        """``updateStatus``: ``done``, ``fail`` or ``processing`` for a fetched message."""
        if status not in ("done", "fail", "processing"):
            raise ValueError(status)
        self._ok(self._call("updateStatus", {"docId": doc_id, "status": status}),
                 "updateStatus")


def sdk_hex(digest: bytes) -> str:
    """The SDK's ``hash-file``: each byte in hex *without* its leading zero (``0x0a`` → ``a``),
    as ``Integer.toHexString(0xFF & b)`` writes it — what the gateway compares."""
    return "".join(format(b, "x") for b in digest)


def sdk_timestamp(moment: datetime) -> str:
    """``ddMMyyyy'T'HHmmss+SSSS`` (Java: SSSS = milliseconds on four digits), Vietnam time."""
    return f"{moment:%d%m%YT%H%M%S}+{moment.microsecond // 1000:04d}"


def signed_headers(config: GatewayConfig, fields: dict[str, str], *,
                   now: datetime | None = None) -> dict[str, str]:
    """The SDK's request headers: every field as ``XroadVnpt-<name>``, the JSON they make
    (sign-header), its keys, and its HMAC-SHA256 under the secret (hash-header)."""
    values = {"timestamp": sdk_timestamp(now or local_now()), "systemid": config.system_id,
              **fields}
    signed = {f"XroadVnpt-{name}": value for name, value in values.items()}
    sign_header = json.dumps(signed, ensure_ascii=True, separators=(",", ":"))
    digest = hmac.new(config.secret.encode(), sign_header.encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": fields["Content-Type"], **signed,
            "XroadVnpt-sign-header-key": ";".join(values),
            "XroadVnpt-sign-header": sign_header, "XroadVnpt-hash-header": digest,
            "XroadVnpt-version": SDK_VERSION, "User-Agent": USER_AGENT}


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
