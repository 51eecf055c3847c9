"""PostgreSQL restarted in the middle of an outbox pass (issue 14, item 4), on a private cluster
of the test's own (tests/private_pg.py): two real relays (``congvan outbox run --loop``) and a
web process keep running; the database stops for a few seconds while messages are being sent
and starts again. Then every delivery is recorded sent, every message arrived, any repeat
carries the same Message-ID and stays within the documented bound (one per relay), both relays
are still running, and the web process answers 503 while the database is away and 200 after,
without a restart. Runs alone with ``pytest -m scale_faults``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from tests import private_pg

pytestmark = [pytest.mark.scale_faults, pytest.mark.postgres, pytest.mark.slow]
DELIVERIES = 240
RELAYS = 2


class Mailbox:
    """aiosmtpd on loopback that keeps each message's Message-ID; a little slow per message so
    a pass lasts long enough to be interrupted."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        from workflows.prefect_env import free_port

        self.ids: list[str] = []
        self.port = free_port()
        outer = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                from email import message_from_bytes
                from email.policy import default

                await asyncio.sleep(0.02)
                message = message_from_bytes(envelope.content, policy=default)
                outer.ids.append(str(message.get("Message-ID")))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


@pytest.fixture(scope="module")
def cluster() -> Iterator[private_pg.Cluster]:
    if private_pg.binaries() is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql")
    with private_pg.cluster() as c:
        yield c


def _seed(c: private_pg.Cluster, home: Path) -> str:
    from bench.issue_load import PASSWORD
    from bench.outbox import seed
    from congvan.auth import passwords
    from registry.models import Organization, Person, UserAccount

    admin = create_engine(c.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "congvan"'))
    admin.dispose()
    url = c.url("congvan")
    files = home / "files"
    files.mkdir(parents=True)
    seed(url, files, DELIVERIES)
    engine = create_engine(url)
    with Session(engine) as s, s.begin():
        org = s.scalars(select(Organization).where(Organization.key == "bcd")).one()
        clerk = Person(key="van-thu", full_name="Trần Thị Văn Thư", title="VĂN THƯ",
                       organization=org, roles=["clerk"])
        s.add(clerk)
        s.flush()
        s.add(UserAccount(person=clerk, login="van-thu", active=True,
                          password_hash=passwords.hash_password(PASSWORD),
                          must_change_password=False))
    engine.dispose()
    return url


@contextlib.contextmanager
def _processes(argvs: list[list[str]], env: dict[str, str], logs: Path
               ) -> Iterator[list[subprocess.Popen[bytes]]]:
    from workflows.prefect_env import stop

    procs = []
    try:
        for n, argv in enumerate(argvs):
            with (logs / f"{n}-{argv[2]}.log").open("ab") as out:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "congvan", *argv[2:]], env=env, cwd=logs,
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True))
        yield procs
    finally:
        for p in procs:
            stop(p)


def _sent(url: str) -> int:
    from registry.models import Delivery, DeliveryStatus

    engine = create_engine(url)
    try:
        with Session(engine) as s:
            return int(s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.status == DeliveryStatus.SENT)) or 0)
    finally:
        engine.dispose()


def test_postgres_restart_mid_outbox_pass(cluster: private_pg.Cluster, tmp_path: Path) -> None:
    import httpx

    from bench.issue_load import WebProcess, sign_in
    from workflows.prefect_env import free_port

    home = tmp_path / "home"
    url = _seed(cluster, home)
    mail = Mailbox()
    mail.controller.start()
    logs = tmp_path / "logs"
    logs.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONGVAN_", "PREFECT_"))}
    env.update({"CONGVAN_HOME": str(home), "CONGVAN_DATABASE_URL": url,
                "CONGVAN_SECRET_KEY": f"pg-restart-{uuid.uuid4().hex}",
                "CONGVAN_SMTP_HOST": "127.0.0.1", "CONGVAN_SMTP_PORT": str(mail.port)})
    relay = ["python", "-m", "outbox", "run", "--loop", "--interval", "1", "--batch-size", "20",
             "--channel", "email"]
    web = ["python", "-m", "web", "--port", str(port)]
    try:
        with _processes([web], env, logs) as (web_proc,):
            site = WebProcess(port, web_proc)
            site.wait_ready(120)
            client = httpx.Client(base_url=site.base, timeout=30, follow_redirects=False)
            sign_in(client, "van-thu")
            assert client.get("/api/documents").status_code == 200
            with _processes([relay] * RELAYS, env, logs) as relays:
                deadline = time.monotonic() + 120
                while len(mail.ids) < 40 and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert len(mail.ids) >= 40, "the relays sent nothing"
                cluster._run("pg_ctl", "-D", str(cluster.data), "-m", "fast", "-w", "stop")
                received_at_stop = len(mail.ids)
                away = client.get("/api/documents")
                time.sleep(3)
                cluster.start()
                back = client.get("/api/documents")
                deadline = time.monotonic() + 180
                while _sent(url) < DELIVERIES and time.monotonic() < deadline:
                    time.sleep(0.5)
                sent = _sent(url)
                alive = [p.poll() is None for p in relays]
            client.close()
    finally:
        mail.controller.stop()
    counts = Counter(mail.ids)
    repeats = sum(n - 1 for n in counts.values())
    print(f"received before the stop {received_at_stop}, total {len(mail.ids)}, distinct "
          f"{len(counts)}, repeats {repeats}; web while away {away.status_code}, after "
          f"{back.status_code}")
    assert sent == DELIVERIES
    assert len(counts) == DELIVERIES  # every delivery's message arrived
    assert repeats <= RELAYS  # the documented bound: one in-flight message per relay
    assert received_at_stop < DELIVERIES  # the stop came in the middle of the pass
    assert alive == [True] * RELAYS  # the relays reconnected, nobody restarted them
    assert away.status_code == 503 and "thử lại" in away.json()["detail"]
    assert back.status_code == 200
