"""`congvan web`: how it starts uvicorn."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from congvan.cli import app
from congvan.cli.web import KEEP_ALIVE_SECONDS


@pytest.mark.parametrize(("args", "keep_alive"), [([], KEEP_ALIVE_SECONDS),
                                                  (["--keep-alive", "90"], 90)])
def test_idle_connections_outlive_the_proxys(monkeypatch: pytest.MonkeyPatch, args: list[str],
                                             keep_alive: int) -> None:
    """An idle keep-alive connection stays open longer than nginx's upstream
    keepalive_timeout (60 s) and httpx's pool (5 s): the client closes first, so no request
    is sent on a connection the web process is closing (uvicorn's default is 5 s)."""
    import uvicorn

    import congvan.settings
    import congvan.web

    started: dict[str, Any] = {}
    monkeypatch.setattr(congvan.settings, "get_settings", lambda: None)
    monkeypatch.setattr(congvan.web, "create_app",
                        lambda settings: SimpleNamespace(state=SimpleNamespace(unavailable=None)))
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: started.update(kw))
    result = CliRunner().invoke(app, ["web", "--port", "8123", *args])
    assert result.exit_code == 0, result.output
    assert started["port"] == 8123 and started["timeout_keep_alive"] == keep_alive
    assert KEEP_ALIVE_SECONDS > 60
