"""The leader's signing agent: holds the USB token on the leader's machine and signs a document
digest only after the leader confirms what it is.

``congvan sign-agent`` runs :class:`SignAgent` on 127.0.0.1 (never another address). The server
side (``congvan draft sign --agent URL``, the web sign page) prepares the person's signature
(:func:`signing.person.begin_external`), asks the agent for its certificate, sends the document's
label, subject and digest; the agent shows them to the leader, and only on confirmation returns
a PAdES CMS signature made on the token (pyHanko ``PKCS11Signer.async_sign``). The server embeds
it (:func:`signing.person.complete_external`) after checking the certificate is the leader's own.

Protocol (JSON over HTTP, loopback only)::

    GET  /certificate  → {"certificate": PEM, "subject": "..."}
    POST /sign {"document": "#12 (cong_van)", "subject": "V/v …", "digest": hex,
                "md_algorithm": "sha256"}
                       → 200 {"cms": base64}  | 403 {"error": "..."} when the leader declines
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from signing.errors import SigningError

LOOPBACK = "127.0.0.1"
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class SignRequest:
    """What the leader is asked to confirm."""

    document: str
    subject: str
    digest: str
    md_algorithm: str


class AgentError(SigningError):
    """The agent refused or could not be reached."""


class SignAgent:
    """An HTTP agent on 127.0.0.1 around one opened signer (the token's pyHanko signer).

    ``confirm`` decides each request (the CLI asks the leader in the terminal); only a
    ``True`` signs. ``port=0`` picks a free port (see :attr:`url`).
    """

    def __init__(self, backend: Any, *, confirm: Callable[[SignRequest], bool],
                 host: str = LOOPBACK, port: int = 0) -> None:
        if host != LOOPBACK:
            raise AgentError(f"Tác tử ký chỉ nghe trên {LOOPBACK} (máy của người ký), không "
                             f"nghe trên {host}.")
        self._backend = backend
        self._confirm = confirm
        self._lock = threading.Lock()  # one question to the leader at a time
        agent = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path != "/certificate":
                    self._reply(404, {"error": "không có"})
                    return
                cert = agent._backend.signing_cert
                pem = ("-----BEGIN CERTIFICATE-----\n"
                       + base64.encodebytes(cert.dump()).decode("ascii")
                       + "-----END CERTIFICATE-----\n")
                self._reply(200, {"certificate": pem, "subject": cert.subject.human_friendly})

            def do_POST(self) -> None:  # noqa: N802
                if self.path != "/sign":
                    self._reply(404, {"error": "không có"})
                    return
                if self.headers.get("Origin"):
                    # A web page in the leader's browser must not drive the token.
                    self._reply(403, {"error": "không nhận yêu cầu từ trang web"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if length <= 0 or length > MAX_BODY:
                    self._reply(400, {"error": "yêu cầu rỗng hoặc quá lớn"})
                    return
                try:
                    data = json.loads(self.rfile.read(length))
                    request = SignRequest(document=str(data["document"]),
                                          subject=str(data["subject"]),
                                          digest=str(data["digest"]).lower(),
                                          md_algorithm=str(data.get("md_algorithm", "sha256")))
                    digest = bytes.fromhex(request.digest)
                except (ValueError, KeyError, TypeError) as exc:
                    self._reply(400, {"error": f"yêu cầu không hợp lệ: {exc}"})
                    return
                if request.md_algorithm != "sha256" or len(digest) != 32:
                    self._reply(400, {"error": "chỉ ký mã băm SHA-256 (32 byte)"})
                    return
                with agent._lock:
                    if not agent._confirm(request):
                        self._reply(403, {"error": "người ký không đồng ý ký"})
                        return
                    try:
                        cms = asyncio.run(agent._backend.async_sign(
                            digest, "sha256", use_pades=True))
                    except Exception as exc:  # the token's own errors
                        self._reply(500, {"error": f"token không ký được: {exc!r}"})
                        return
                self._reply(200, {"cms": base64.b64encode(cms.dump()).decode("ascii")})

            def _reply(self, code: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)

    @property
    def url(self) -> str:
        """Where the agent listens."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve_forever(self) -> None:
        """Answer requests until :meth:`shutdown`."""
        self._server.serve_forever()

    def start(self) -> threading.Thread:
        """Serve in a background thread (tests, embedding)."""
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread

    def shutdown(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


def _call(url: str, *, data: dict[str, Any] | None = None, timeout: float) -> dict[str, Any]:
    if not url.startswith(f"http://{LOOPBACK}:"):
        raise AgentError(f"Địa chỉ tác tử ký phải là http://{LOOPBACK}:CỔNG (máy của người ký), "
                         f"không phải {url}.")
    body = json.dumps(data).encode("utf-8") if data is not None else None
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return dict(json.loads(response.read(MAX_BODY)))
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read(MAX_BODY)).get("error", "")
        except ValueError:
            reason = exc.reason
        raise AgentError(f"Tác tử ký từ chối: {reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise AgentError(f"Không kết nối được tác tử ký tại {url}: {exc}; hãy chạy "
                         "`congvan sign-agent` trên máy của người ký.") from exc


def agent_certificate(url: str, *, timeout: float = 10.0) -> bytes:
    """The PEM certificate of the key the agent holds."""
    return str(_call(url.rstrip("/") + "/certificate", timeout=timeout)["certificate"]).encode()


def agent_sign(url: str, *, document: str, subject: str, digest_hex: str,
               timeout: float = 300.0) -> bytes:
    """Ask the agent to sign ``digest_hex``; the CMS (DER) once the leader confirms."""
    answer = _call(url.rstrip("/") + "/sign", data={
        "document": document, "subject": subject, "digest": digest_hex,
        "md_algorithm": "sha256"}, timeout=timeout)
    try:
        return base64.b64decode(answer["cms"], validate=True)
    except (KeyError, ValueError) as exc:
        raise AgentError(f"Tác tử ký trả về dữ liệu không hợp lệ: {exc}") from exc
