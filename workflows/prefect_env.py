"""Prefect's environment, set before ``import prefect``: no telemetry, quiet logs, a home under
CONGVAN_HOME; and a Prefect server on loopback for tests, benchmarks and the scale demo."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

QUIET = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def default_home() -> Path:
    """Prefect's home: CONGVAN_HOME/prefect (absolute), else ./var/prefect."""
    home = os.environ.get("CONGVAN_HOME") or "var"
    return (Path(home).expanduser() / "prefect").absolute()


def prepare(home: Path | str | None = None) -> None:
    """Set DO_NOT_TRACK, analytics off, WARNING logs and PREFECT_HOME (default
    CONGVAN_HOME/prefect) — and keep the server's UI build out of the installed package
    (PREFECT_UI_STATIC_DIRECTORY under PREFECT_HOME)."""
    for key, value in QUIET.items():
        os.environ.setdefault(key, value)
    target = Path(home) if home is not None else default_home()
    os.environ.setdefault("PREFECT_HOME", str(target.absolute()))
    prefect_home = Path(os.environ["PREFECT_HOME"])
    prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_UI_STATIC_DIRECTORY", str(prefect_home / "ui"))


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(*, home: Path, database_url: str, extra: dict[str, str] | None = None
               ) -> dict[str, str]:
    """The environment of a Prefect server whose database is ``database_url`` (an
    ``postgresql+asyncpg://`` URL), whose files live in ``home`` and whose UI is off."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(QUIET)
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": database_url,
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_UI_STATIC_DIRECTORY": str(home / "ui"),
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    })
    env.update(extra or {})
    return env


def stop(proc: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """Stop ``proc`` and its process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def wait_healthy(api_url: str, proc: subprocess.Popen[bytes] | None = None, *,
                 timeout: float = 90.0, log: Path | None = None) -> None:
    """Wait until ``api_url``/health answers; raise with the log's tail if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
    raise RuntimeError(f"Prefect server at {api_url} did not become healthy:\n{tail}")


class LocalServer:
    """A Prefect server on 127.0.0.1 (its own process group) that can be stopped and started
    again on the same port and database — what a server outage looks like to workers."""

    def __init__(self, *, home: Path, database_url: str, port: int | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home, self.database_url, self.extra_env = home, database_url, extra_env
        self.port = port or free_port()
        self.log = home / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        """The API URL."""
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, timeout: float = 90.0) -> None:
        """Start the server and wait until it is healthy."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                env=server_env(home=self.home, database_url=self.database_url,
                               extra=self.extra_env),
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=self.home)
        try:
            wait_healthy(self.api, self.proc, timeout=timeout, log=self.log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """Started for the block (the API URL), stopped on exit."""
        self.start()
        try:
            yield self.api
        finally:
            self.stop()


@contextlib.contextmanager
def local_server(*, home: Path, database_url: str, port: int | None = None,
                 extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """A Prefect server on 127.0.0.1 (its own process group), stopped on exit; yields the API
    URL. Its output goes to ``home``/server.log."""
    with LocalServer(home=home, database_url=database_url, port=port,
                     extra_env=extra_env).running() as api:
        yield api
