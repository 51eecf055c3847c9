"""Web fixtures: the app created on a fresh migrated database (SQLite and PostgreSQL) with the
scenario of tests/web/scenario.py committed, and a TestClient on it."""

from __future__ import annotations

import re
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from congvan.settings import Settings
from congvan.web import create_app
from registry import db
from tests.web import scenario

SECRET = "web-tests-secret-0f3c9a7e-5b1d2c8a94e6"


def client_class() -> Any:
    """Starlette's TestClient; its import warns that it prefers httpx2 (a UserWarning that
    filterwarnings=error would turn into a collection error), so import it quietly once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient


@dataclass
class Web:
    app: FastAPI
    client: Any
    settings: Settings
    world: scenario.World

    def sign_in(self, login: str, password: str = scenario.PASSWORD) -> None:
        """Sign in on the form (the client keeps the cookie and sends the session's CSRF
        token in X-CSRF-Token from then on)."""
        self.sign_out()
        response = self.client.post("/dang-nhap", data={
            "login": login, "password": password, "csrf_token": self.form_token("/dang-nhap")},
            follow_redirects=False)
        assert response.status_code == 303, response.text
        self.client.headers["X-CSRF-Token"] = self.client.get("/api/session").json()[
            "csrf_token"]

    def form_token(self, path: str) -> str:
        """The CSRF token of the form on the page at ``path``."""
        return csrf_of(self.client.get(path).text)

    def sign_out(self) -> None:
        """Forget the browser's cookies and token (the server session stays as it was)."""
        self.client.cookies.clear()
        self.client.headers.pop("X-CSRF-Token", None)


def csrf_of(html: str) -> str:
    """The value of the first csrf_token field in a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def web_settings(url: str, home: Path, **kw: Any) -> Settings:
    """Settings for a test app on ``url``."""
    values: dict[str, Any] = {"database_url": url, "home": home, "files_dir": home / "files",
                              "secret_key": SECRET, "public_base_url": "http://testserver"}
    values.update(kw)
    return Settings(**values)


@pytest.fixture
def web(fresh_url: str, tmp_path: Path) -> Iterator[Web]:
    """The app on a fresh database of each kind, seeded and committed."""
    settings = web_settings(fresh_url, tmp_path)
    app = create_app(settings)
    assert settings.files_dir is not None
    with db.transaction() as session:
        world = scenario.build(session, settings.files_dir)
    client = client_class()(app)
    result = Web(app, client, settings, world)
    result.sign_in(world.clerk_key)  # pages need a signed-in person; tests may sign out
    try:
        yield result
    finally:
        client.close()
        db.get_engine().dispose()


@contextmanager
def served_scenario(url: str, home: Path) -> Iterator[tuple[str, scenario.World]]:
    """The app with the web scenario on the migrated database ``url``, served by uvicorn on a
    free loopback port; yields (base URL, world) and stops the server after."""
    from tests.outbox.smtp_server import free_port

    settings = web_settings(url, home)
    app = create_app(settings)
    assert settings.files_dir is not None
    with db.transaction() as session:
        world = scenario.build(session, settings.files_dir)
    port = free_port()
    try:
        with serving(app, port):
            yield f"http://127.0.0.1:{port}", world
    finally:
        db.get_engine().dispose()


@contextmanager
def serving(app: FastAPI, port: int) -> Iterator[None]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread for the block."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)
