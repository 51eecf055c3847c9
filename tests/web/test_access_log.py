"""Acknowledgement tokens never appear in the web server's access log (real uvicorn)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from congvan.web.logfilter import log_config, redact
from tests.outbox.smtp_server import free_port

TOKEN = "42.4f3c9a1b2d7e8f60.c2VjcmV0LXNpZ25hdHVyZQ"


async def _ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


class TestRedact:
    @pytest.mark.parametrize(("path", "expected"), [
        (f"/xac-nhan/{TOKEN}", "/xac-nhan/***"),
        (f"/ack/{TOKEN}?lang=vi", "/ack/***?lang=vi"),
        (f"/van-ban?token={TOKEN}&x=1", "/van-ban?token=***&x=1"),
        ("/van-ban/12", "/van-ban/12"),
    ])
    def test_paths(self, path: str, expected: str) -> None:
        """The token segment and token= values are replaced; other paths are kept."""
        assert redact(path) == expected


class TestUvicornAccessLog:
    def test_token_not_logged(self, capfd: pytest.CaptureFixture[str]) -> None:
        """A request to the acknowledgement link is logged with the token replaced."""
        app = Starlette(routes=[Route("/xac-nhan/{token}", _ok), Route("/ack/{token}", _ok)])
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_config=log_config(), log_level="info"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            for _ in range(200):
                if server.started:
                    break
                time.sleep(0.05)
            for path in (f"/xac-nhan/{TOKEN}", f"/ack/{TOKEN}?token={TOKEN}"):
                assert httpx.get(f"http://127.0.0.1:{port}{path}").text == "ok"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        out = capfd.readouterr()
        logged = out.out + out.err
        assert '"GET /xac-nhan/*** HTTP/1.1" 200' in logged
        assert '"GET /ack/***?token=*** HTTP/1.1" 200' in logged
        assert TOKEN not in logged
