"""The application factory."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from congvan.settings import Settings, get_settings
from congvan.web import errors, security
from congvan.web.deps import csrf_guard
from congvan.web.render import STATIC_DIR, make_templates
from congvan.web.routes import (
    accounts,
    api,
    approvals,
    casefiles,
    documents,
    drafts,
    file_plan,
    incoming,
    issuing,
    outbox,
    receipts,
    registers,
    reports,
    requests,
    signin,
    signing,
)

# No inline script, no other origin, no framing (clickjacking of the approve button),
# no Referer leaving the site (acknowledgement and reporter-link tokens sit in URLs).
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; object-src 'self'; frame-src 'self'; "
                                "frame-ancestors 'self'; form-action 'self'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
}


class BodyLimit:
    """Answer 413 to a request body over ``limit`` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(scope, send)
        except BaseExceptionGroup as group:  # raised from inside anyio task groups
            if group.subgroup(_TooLarge) is None or started:
                raise
            await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        mb = self.limit // (1024 * 1024)
        body = (f"Tệp hoặc dữ liệu gửi lên vượt quá {mb} MB; hãy gửi tệp nhỏ hơn (hoặc chia "
                "nhỏ tệp).").encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class Frame:
    """Every answer's frame: the cookies made while answering (security.finish), the security
    headers, ``Vary: HX-Request`` and ``no-store`` on pages; 503 with the fix while the
    database's schema is behind the code.

    A plain ASGI middleware, not ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware
    runs the rest of the app in a task group and copies the body through a stream — a cost on
    every request that showed under 10 concurrent clients (bench/web.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        web: FastAPI = scope["app"]
        request = Request(scope, receive)
        static = scope["path"].startswith("/static/")
        unavailable = web.state.unavailable and not static

        async def framed(message: Message) -> None:
            if message["type"] == "http.response.start":
                shim = Response()
                shim.raw_headers = list(message.get("headers", []))
                if not unavailable:
                    security.finish(request, shim)
                headers = shim.headers
                headers.setdefault("Vary", "HX-Request")
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
                message["headers"] = shim.raw_headers
            await send(message)

        if unavailable:
            await errors.answer(request, 503, web.state.unavailable)(scope, receive, framed)
        else:
            await self.app(scope, receive, framed)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web app: check secrets, open the registry once, mount pages and the API.

    A database whose schema is behind the code does not stop the process: every
    page then answers 503 with the message that names the fix
    (``congvan db upgrade``), so the operator sees it in the browser.
    """
    from congvan.runtime import open_registry
    from registry.errors import SchemaOutOfDate

    settings = settings or get_settings()
    settings.enforce_secrets()
    app = FastAPI(title="Công văn", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json", dependencies=[Depends(csrf_guard)])
    app.state.settings = settings
    app.state.templates = make_templates()
    app.state.unavailable = None
    try:
        open_registry(settings)
    except SchemaOutOfDate as exc:
        app.state.unavailable = str(exc)

    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (documents, drafts, incoming, approvals, outbox, requests, registers,
                   receipts, reports, signin, accounts, signing, issuing, api, casefiles,
                   file_plan):
        app.include_router(module.router)
    app.add_middleware(Frame)
    # Added last, so outermost: the limit holds before any middleware reads the body.
    app.add_middleware(BodyLimit, limit=settings.upload_max_mb * 1024 * 1024)
    return app
