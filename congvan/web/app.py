"""The application factory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from congvan.settings import Settings, get_settings
from congvan.web import errors
from congvan.web.render import STATIC_DIR, make_templates
from congvan.web.routes import api, approvals, documents, outbox, receipts, requests, signin


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
                  openapi_url="/api/openapi.json")
    app.state.settings = settings
    app.state.templates = make_templates()
    app.state.unavailable = None
    try:
        open_registry(settings)
    except SchemaOutOfDate as exc:
        app.state.unavailable = str(exc)

    @app.middleware("http")
    async def _unavailable(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if app.state.unavailable and not request.url.path.startswith("/static/"):
            return errors.answer(request, 503, app.state.unavailable)
        response = await call_next(request)
        response.headers.setdefault("Vary", "HX-Request")
        return response

    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (documents, approvals, outbox, requests, receipts, signin, api):
        app.include_router(module.router)
    return app
