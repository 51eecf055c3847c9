"""`make scale-demo`: congvan scaled out on one machine, on loopback, and a province's quarterly
cycle run through the deployments.

Brings up: a PostgreSQL registry, a Prefect server on PostgreSQL, the deployments on a process
work pool, 2 process workers (one run at a time each), 2 web processes, 2 outbox relays and a
local SMTP server. Runs the Kon Tum 2023-Q4 cycle through deployment runs (receive the
guidance, draft the instruction, issue it and open requests, collect 8 of 10 workbooks, remind
twice at once, reconcile, aggregate and forward) with the leaders' decisions recorded as data.
Then checks: both workers ran flows; every e-mail delivery arrived exactly once; the outgoing
register holds 1..N with no gap or duplicate; the aggregated figures equal those computed
in-process from the same workbooks. Everything it starts, it stops (also on Ctrl+C).

    python scripts/scale_demo.py [--postgres ADMIN_URL] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

KEY_PASSWORD = "scale-demo"
PERIOD = "2023-Q4"
SIGNER, SUPERIOR = "le-ngoc-tuan", "bca"


class Mailbox:
    """A local SMTP server (aiosmtpd) that keeps every message's delivery key."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        from workflows.prefect_env import free_port

        self.messages: list[Any] = []
        self.port = free_port()
        outer = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                from email import message_from_bytes
                from email.policy import default

                outer.messages.append(message_from_bytes(envelope.content, policy=default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def _pg(admin: str, name: str, drop: bool = False) -> str:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        if drop:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def _process(argv: list[str], env: dict[str, str], log: Path, cwd: Path
             ) -> Iterator[subprocess.Popen[bytes]]:
    from workflows.prefect_env import stop

    with log.open("ab") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)


def _wait(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return bool(r.status < 500)
    except OSError:
        return False


def _workbooks(files: Path, count: int) -> list[dict[str, str]]:
    """Workbooks for the first ``count`` districts' 2023-Q4 requests (in the shared files dir)."""
    from registry import db
    from registry.models import ReportRequest
    from reporting import scenario, xlsx
    from reporting.forms import parse_form
    from workflows import steps

    form = parse_form(scenario.form_dict())
    uploads = []
    for n, (rid, _unit) in enumerate(steps.request_ids(1, PERIOD)[:count]):
        with db.transaction() as s:
            r = s.get(ReportRequest, rid)
            assert r is not None
            wb = xlsx.build_workbook(form, unit_name=r.unit.name, unit_key=r.unit.key,
                                     period_key=r.period, period_label="Quý IV năm 2023",
                                     request_id=r.id, due=str(r.due_date))
            data, unit = xlsx.fill_workbook(wb, scenario.sample_values(n), form), r.unit.key
        path = files / "uploads" / f"{unit}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        uploads.append({"path": str(path), "unit_key": unit})
    return uploads


def run(work: Path, admin_url: str) -> dict[str, Any]:
    """Bring everything up, run the cycle through the deployments, check, stop; returns the
    findings (raises on a failed check)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from registry import db, schema
    from registry.directory import import_file
    from registry.models import Delivery, DeliveryStatus, Document, DocumentStatus, ReportingDuty
    from reporting import scenario
    from signing.keys import create_dev_ca
    from workflows import prefect_env, steps
    from workflows.deployments import trigger

    home = work / "home"
    create_dev_ca(home / "keys", password=KEY_PASSWORD)
    tag = uuid.uuid4().hex[:8]
    registry_url = _pg(admin_url, f"congvan_scale_{tag}")
    prefect_url = _pg(admin_url, f"prefect_scale_{tag}")
    findings: dict[str, Any] = {}
    try:
        engine = db.make_engine(registry_url)
        schema.upgrade(engine)
        engine.dispose()
        db.configure(registry_url)
        with db.transaction() as s:
            import_file(session=s, path=scenario.DIRECTORY_FILE)
        async_url = make_url(prefect_url).set(drivername="postgresql+asyncpg").render_as_string(
            hide_password=False)
        with Mailbox() as mail, prefect_env.local_server(
                home=work / "prefect-server", database_url=async_url) as api, \
                contextlib.ExitStack() as procs:
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("CONGVAN_", "PREFECT_"))}
            env.update(prefect_env.QUIET)
            env.update({
                "PREFECT_API_URL": api, "PREFECT_HOME": str(work / "prefect-client"),
                "CONGVAN_HOME": str(home), "CONGVAN_DATABASE_URL": registry_url,
                "CONGVAN_KEY_PASSWORD": KEY_PASSWORD, "CONGVAN_CHANNELS": '["email"]',
                "CONGVAN_SMTP_HOST": "127.0.0.1", "CONGVAN_SMTP_PORT": str(mail.port),
                "CONGVAN_DEMO": "1",
                "PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_WORKER_PREFETCH_SECONDS": "5"})
            subprocess.run([sys.executable, "-m", "congvan", "flows", "deploy", "--pool",
                            "scale"], env=env, cwd=work, check=True, capture_output=True)
            logs = work / "logs"
            logs.mkdir(exist_ok=True)
            worker_env = dict(env, PREFECT_LOGGING_LEVEL="INFO")
            for i in (1, 2):
                procs.enter_context(_process(
                    [sys.executable, "-m", "congvan", "flows", "worker", "--pool", "scale",
                     "--limit", "1"], worker_env, logs / f"worker-{i}.log", work))
                procs.enter_context(_process(
                    [sys.executable, "-m", "congvan", "outbox", "run", "--loop",
                     "--interval", "1"], env, logs / f"relay-{i}.log", work))
            ports = [prefect_env.free_port() for _ in (1, 2)]
            for port in ports:
                procs.enter_context(_process(
                    [sys.executable, "-m", "congvan", "web", "--port", str(port)], env,
                    logs / f"web-{port}.log", work))
            for port in ports:
                _wait(f"web on {port}", lambda p=port: _http_ok(f"http://127.0.0.1:{p}/"), 120)

            def deployment(name: str, params: dict[str, Any]) -> None:
                with temporary_settings(updates={PREFECT_API_URL: api}):
                    state, message = trigger(name, json.loads(json.dumps(params, default=str)),
                                             timeout=900)
                if state != "COMPLETED":
                    raise RuntimeError(f"{name}: {state} {message}")

            deployment("receive_guidance", {"guidance": scenario.guidance().model_dump()})
            with db.transaction() as s:
                guidance_id = s.scalars(select(Document.id).order_by(Document.id)).first()
            deployment("instruct_units", {"instr": scenario.instruction(
                guidance_id, reporting_unit_keys=scenario.DISTRICTS).model_dump()})
            with db.transaction() as s:
                duty = s.scalars(select(ReportingDuty).order_by(ReportingDuty.id)).first()
                assert duty is not None and duty.instruction_document_id is not None
                instruction_id = duty.instruction_document_id
            steps.record_decision(instruction_id, SIGNER)  # the leader approves and signs
            deployment("issue_instruction", {"instruction_id": instruction_id,
                                             "on": "2022-12-16", "period_keys": [PERIOD]})
            uploads = _workbooks(home / "files", 8)
            deployment("quarterly_cycle", {
                "instruction_id": instruction_id, "period_key": PERIOD, "signer_key": SIGNER,
                "superior_key": SUPERIOR, "today": "2023-12-06", "uploads": uploads})
            # Two reminder runs at once (one per worker): the late units are reminded once.
            from concurrent.futures import ThreadPoolExecutor

            def remind(_: int) -> str:
                # Prefect's settings are per context: each thread enters its own.
                with temporary_settings(updates={PREFECT_API_URL: api}):
                    return trigger("remind_late_units", {
                        "duty_id": 1, "period_key": PERIOD, "today": "2023-12-12"},
                        timeout=900)[0]

            with ThreadPoolExecutor(2) as pool:
                states = list(pool.map(remind, range(2)))
            if states != ["COMPLETED", "COMPLETED"]:
                raise RuntimeError(f"remind_late_units: {states}")
            with db.transaction() as s:
                don_docs = list(s.scalars(select(Document.id).where(
                    Document.status == DocumentStatus.SUBMITTED, Document.doc_type == "cong_van")))
            for doc_id in don_docs:
                steps.record_decision(doc_id, SIGNER)
            deployment("reconcile_approved", {"on": "2023-12-12"})
            deployment("quarterly_cycle", {
                "instruction_id": instruction_id, "period_key": PERIOD, "signer_key": SIGNER,
                "superior_key": SUPERIOR, "today": "2023-12-19"})
            with db.transaction() as s:
                reports = list(s.scalars(select(Document.id).where(
                    Document.status == DocumentStatus.SUBMITTED)))
            for doc_id in reports:
                steps.record_decision(doc_id, SIGNER)
            deployment("reconcile_approved", {"on": "2023-12-20"})

            def drained() -> bool:
                with db.transaction() as s:
                    pending = s.scalar(select(func.count()).select_from(Delivery).where(
                        Delivery.channel == "email",
                        Delivery.status.not_in([DeliveryStatus.SENT, DeliveryStatus.DEAD])))
                return pending == 0

            _wait("the relays deliver every e-mail", drained, 300)
            time.sleep(3)  # a relay's last message is in the mailbox before its row is SENT
        findings.update(_check(work, mail.messages))
        return findings
    finally:
        with contextlib.suppress(Exception):
            db.get_engine().dispose()
        _pg(admin_url, make_url(registry_url).database or "", drop=True)
        _pg(admin_url, make_url(prefect_url).database or "", drop=True)


def _check(work: Path, messages: list[Any]) -> dict[str, Any]:
    """Both workers ran flows; each e-mail delivery arrived once; the register has 1..N; the
    figures equal the in-process aggregation of the same workbooks."""
    import re

    from registry import db
    from registry.models import Delivery, DeliveryStatus, Document, DocumentStatus
    from workflows import steps

    runs = {}
    for i in (1, 2):
        text_ = (work / "logs" / f"worker-{i}.log").read_text(errors="replace")
        runs[f"worker-{i}"] = len(set(re.findall(r"flow run '([0-9a-f-]{36})'", text_)))
    if not all(runs.values()):
        raise AssertionError(f"a worker took no run: {runs}")
    with db.transaction() as s:
        sent = s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.channel == "email", Delivery.status == DeliveryStatus.SENT))
        dead = s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status == DeliveryStatus.DEAD))
        books: dict[str, list[int]] = {}
        for register_id, year, number in s.execute(select(
                Document.register_id, Document.year, Document.number).where(
                Document.status == DocumentStatus.ISSUED, Document.number.is_not(None))):
            books.setdefault(f"sổ {register_id}/{year}", []).append(number)
    ids = [m.get("Message-ID") for m in messages]
    if len(messages) != sent or len(set(ids)) != len(ids):
        raise AssertionError(f"{len(messages)} messages ({len(set(ids))} distinct) for "
                             f"{sent} sent e-mail deliveries")
    for book, numbers in books.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise AssertionError(f"register {book}: numbers {sorted(numbers)}")
    figures = steps.figures(1, PERIOD)
    # The same workbooks' values aggregated in this process, without the server or the door.
    from reporting import aggregation, scenario
    from reporting.forms import parse_form

    form = parse_form(scenario.form_dict())
    expected = aggregation.aggregate_values(form, [scenario.sample_values(n) for n in range(8)])
    if figures.totals != expected or figures.coverage != "8/10":
        raise AssertionError(f"figures {figures.coverage} {figures.totals} != in-process "
                             f"8/10 {expected}")
    return {"runs per worker": runs, "e-mails": len(messages), "dead": dead,
            "numbers": {k: sorted(v) for k, v in books.items()}, "coverage": figures.coverage,
            "totals": figures.totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get(
        "CONGVAN_TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test"))
    parser.add_argument("--keep", type=Path, help="keep logs and files in this directory")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="congvan-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        findings = run(work, args.postgres)
        for key, value in findings.items():
            print(f"{key}: {value}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
