"""A loopback stand-in for the axis gateway, written from the VXP SDK's wire format.

What the SDK (SDKVXP 2.0.1, ``com.vpcp.services``) sends and expects, as the stand-in checks
and answers it:

* every call is a POST to ``<endpoint>/<operation>``; its fields come as ``XroadVnpt-<name>``
  headers, listed in ``XroadVnpt-sign-header-key``, gathered as JSON in
  ``XroadVnpt-sign-header`` and authenticated by ``XroadVnpt-hash-header``, the hex
  HMAC-SHA256 of that JSON under the system's secret — the stand-in recomputes it, checks that
  every listed header matches the JSON, and refuses a request that carries the secret itself;
* ``sendEdoc`` takes the edXML as ``application/octet-stream`` with ``hash-file`` (the SDK's
  unpadded hex SHA-256 of the body), keeps it once per ``messageid`` and answers ``DocId``;
* ``getReceivedEdocList`` answers ``data: [{docId, from, serviceType, messageType, …}]``;
* ``getEdoc`` answers ``data`` = base64 of the waiting edXML; ``updateStatus`` records
  ``done``/``fail``/``processing`` (done and fail take the message off the list).

Every answer is JSON with ``status`` (OK/FAIL), ``ErrorCode`` ("0" when fine) and
``ErrorDesc``. Faults can be queued: the next N calls answer a given HTTP status (503 to test
retries); ``raw`` makes getEdoc answer a given ``data`` string as is (not base64, …).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "XroadVnpt-"


@dataclass
class Sent:
    """One message the gateway accepted: its signed fields (names lower-cased) and body."""

    doc_id: str
    headers: dict[str, str]
    body: bytes
    raw_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class GatewayState:
    """What the stand-in holds."""

    system_id: str = "vxp.test.01"
    secret: str = "S3cr3t+thu-nghiem/01="
    sent: list[Sent] = field(default_factory=list)
    waiting: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # id -> data
    updates: list[tuple[str, str]] = field(default_factory=list)
    faults: list[int] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)  # every request's raw headers
    raw: dict[str, str] = field(default_factory=dict)  # docId -> getEdoc's data, as is
    lock: threading.Lock = field(default_factory=threading.Lock)

    def offer(self, data: bytes, *, sender: str = "000.00.00.G12", status: bool = False,
              doc_id: str = "") -> str:
        """Put a message in our inbox at the gateway; its DocID."""
        doc_id = doc_id or str(uuid.uuid4())
        with self.lock:
            self.waiting[doc_id] = (data, sender, "status" if status else "eDoc")
        return doc_id


def sdk_hex(digest: bytes) -> str:
    """``Integer.toHexString(0xFF & b)`` per byte, as the SDK writes hash-file."""
    return "".join(format(b, "x") for b in digest)


class _Handler(BaseHTTPRequestHandler):
    state: GatewayState

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
        return None

    def _answer(self, code: int, payload: dict[str, Any], *, error: str = "") -> None:
        body = json.dumps({"status": "FAIL" if error else "OK", "ErrorCode": "1" if error
                           else "0", "ErrorDesc": error, **payload}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _fields(self) -> dict[str, str] | None:
        """The signed fields (names lower-cased), or None when the signature does not hold."""
        state = self.state
        if any(k.lower() == "secret" or state.secret in v for k, v in self.headers.items()):
            return None  # the secret itself must never travel
        sign_header = self.headers.get(f"{PREFIX}sign-header") or ""
        expected = hmac.new(state.secret.encode(), sign_header.encode(),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, self.headers.get(f"{PREFIX}hash-header") or ""):
            return None
        try:
            signed = json.loads(sign_header)
        except json.JSONDecodeError:
            return None
        names = (self.headers.get(f"{PREFIX}sign-header-key") or "").split(";")
        if not isinstance(signed, dict) or set(signed) != {PREFIX + n for n in names}:
            return None
        if any(self.headers.get(key) != value for key, value in signed.items()):
            return None
        fields = {key[len(PREFIX):].lower(): str(value) for key, value in signed.items()}
        return fields if fields.get("systemid") == state.system_id else None

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        state = self.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with state.lock:
            state.calls.append(dict(self.headers.items()))
            if state.faults:
                self._answer(state.faults.pop(0), {}, error="fault")
                return
        fields = self._fields()
        if fields is None:
            self._answer(401, {}, error="Unauthorized")
            return
        operation = self.path.rstrip("/").rsplit("/", 1)[-1]
        with state.lock:
            self._operate(operation, fields, body)

    def _operate(self, operation: str, fields: dict[str, str], body: bytes) -> None:
        state = self.state
        if operation == "sendEdoc":
            if fields.get("hash-file") != sdk_hex(hashlib.sha256(body).digest()):
                self._answer(200, {}, error="hash-file does not match the content")
                return
            if not body.lstrip().startswith(b"<"):
                self._answer(200, {}, error="not edXML")
                return
            again = next((s for s in state.sent
                          if s.headers.get("messageid") == fields.get("messageid")), None)
            doc_id = again.doc_id if again else str(uuid.uuid4())
            if again is None:
                state.sent.append(Sent(doc_id, fields, body, dict(self.headers.items())))
            self._answer(200, {"DocId": doc_id})
        elif operation == "getReceivedEdocList":
            kind = "status" if fields.get("servicetype") == "status" else "eDoc"
            items = [{"docId": i, "from": s, "serviceType": k,
                      "messageType": "status" if k == "status" else "edoc"}
                     for i, (_, s, k) in state.waiting.items() if k == kind]
            self._answer(200, {"data": items})
        elif operation == "getEdoc":
            found = state.waiting.get(fields.get("docid", ""))
            if fields.get("docid", "") in state.raw:
                self._answer(200, {"data": state.raw[fields["docid"]]})
            elif found is None:
                self._answer(200, {}, error="no such docId")
            else:
                self._answer(200, {"data": base64.b64encode(found[0]).decode()})
        elif operation == "updateStatus":
            doc_id = fields.get("docid", "")
            state.updates.append((doc_id, fields.get("status", "")))
            if fields.get("status") in ("done", "fail"):
                state.waiting.pop(doc_id, None)
            self._answer(200, {})
        else:
            self._answer(404, {}, error=f"unknown {operation}")


class GatewayTestServer:
    """The stand-in on 127.0.0.1 (a free port), as a context manager."""

    def __init__(self) -> None:
        self.state = GatewayState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/vxp``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/vxp"

    def __enter__(self) -> GatewayTestServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
