"""A loopback stand-in for the axis gateway, written from the VXP SDK's documented calls.

It checks ``systemid``/``secret``, keeps what was sent (``sendEdoc``, once per
``messageid``), serves what waits for us (``getReceivedEdocList``, ``getEdoc``) and
records ``updateStatus``. Faults can be queued: the next N calls answer a given HTTP
status (503 to test retries, 401 for bad credentials).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Sent:
    """One message the gateway accepted."""

    doc_id: str
    headers: dict[str, str]
    body: bytes


@dataclass
class GatewayState:
    """What the stand-in holds."""

    system_id: str = "vxp.test.01"
    secret: str = "S3cr3t+thu-nghiem/01="
    sent: list[Sent] = field(default_factory=list)
    waiting: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # id -> data
    updates: list[tuple[str, str]] = field(default_factory=list)
    faults: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def offer(self, data: bytes, *, sender: str = "000.00.00.G12", status: bool = False) -> str:
        """Put a message in our inbox at the gateway; its DocID."""
        doc_id = str(uuid.uuid4())
        with self.lock:
            self.waiting[doc_id] = (data, sender, "status" if status else "eDoc")
        return doc_id


class _Handler(BaseHTTPRequestHandler):
    state: GatewayState

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
        return None

    def _answer(self, code: int, payload: Any = None, raw: bytes | None = None) -> None:
        body = raw if raw is not None else json.dumps(payload or {}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if raw is None else
                         "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        state = self.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with state.lock:
            if state.faults:
                self._answer(state.faults.pop(0), {"status": "FAIL", "ErrorDesc": "fault"})
                return
        if (self.headers.get("systemid") != state.system_id
                or self.headers.get("secret") != state.secret):
            self._answer(401, {"status": "FAIL", "ErrorDesc": "Unauthorized"})
            return
        operation = self.path.rstrip("/").rsplit("/", 1)[-1]
        headers = {k.lower(): v for k, v in self.headers.items()}
        with state.lock:
            if operation == "sendEdoc":
                if not body.lstrip().startswith(b"<"):
                    self._answer(200, {"status": "FAIL", "ErrorDesc": "not edXML"})
                    return
                again = next((s for s in state.sent
                              if s.headers.get("messageid") == headers.get("messageid")), None)
                doc_id = again.doc_id if again else str(uuid.uuid4())
                if again is None:
                    state.sent.append(Sent(doc_id, headers, body))
                self._answer(200, {"status": "OK", "ErrorDesc": "", "DocID": doc_id})
            elif operation == "getReceivedEdocList":
                kind = "status" if headers.get("servicetype") == "status" else "eDoc"
                items = [{"id": i, "from": s, "serviceType": k}
                         for i, (_, s, k) in state.waiting.items() if k == kind]
                self._answer(200, {"status": "OK", "ErrorDesc": "", "knobsticks": items})
            elif operation == "getEdoc":
                found = state.waiting.get(headers.get("docid", ""))
                if found is None:
                    self._answer(404, {"status": "FAIL", "ErrorDesc": "no such docId"})
                else:
                    self._answer(200, raw=found[0])
            elif operation == "updateStatus":
                doc_id = headers.get("docid", "")
                state.updates.append((doc_id, headers.get("status", "")))
                if headers.get("status") in ("done", "fail"):
                    state.waiting.pop(doc_id, None)
                self._answer(200, {"status": "OK", "ErrorDesc": ""})
            else:
                self._answer(404, {"status": "FAIL", "ErrorDesc": f"unknown {operation}"})


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
