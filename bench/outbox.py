"""Deliveries per second through the outbox relay to a local aiosmtpd server, with 1 and 4
relays, next to a bare smtplib loop sending the same messages over one connection in the
same run (the baseline), alternating, best of --repeat for each.

The server (aiosmtpd's Sink) runs in its own process. The baseline sends pre-built bytes:
it pays neither for building MIME nor for the database. A relay claims, builds the e-mail,
reads and checks the files, sends and records each row in its own transaction. With 4
relays each is a process of its own, each with its own SMTP connection (PostgreSQL only:
on SQLite claims serialise on the write lock).

    python bench/outbox.py [--messages 400] [--postgres URL]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import random
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench._pg import admin_url, scratch_database  # noqa: E402
from outbox.channels.email import SmtpChannel, build_email  # noqa: E402
from outbox.compose import compose, file_refs, read_files  # noqa: E402
from outbox.enqueue import enqueue_document  # noqa: E402
from outbox.relay import RetryPolicy, relay_until_idle  # noqa: E402
from registry import db, documents, schema  # noqa: E402
from registry.models import (  # noqa: E402
    Delivery,
    DeliveryStatus,
    Direction,
    DocumentFile,
    DocumentStatus,
    Organization,
    Register,
)

FROM = "congvan@kontum.gov.vn"


def start_server() -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"])
    for _ in range(100):
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("aiosmtpd did not start")


def seed(url: str, files: Path, count: int) -> int:
    """A migrated database with one issued công văn to ``count`` units, enqueued for e-mail."""
    engine = db.make_engine(url)
    schema.upgrade(engine)
    rng = random.Random(7)
    with Session(engine) as s, s.begin():
        issuer = Organization(key="bcd", name="BAN CHỈ ĐẠO 138\nTỈNH KON TUM", code="BCĐ",
                              kind="advisory", place="Kon Tum", edxml_id="000.00.00.H34")
        s.add(issuer)
        s.flush()
        s.add(Register(organization_id=issuer.id, code="DI", name="Sổ đi",
                       direction=Direction.OUTGOING, doc_types=[]))
        units = [Organization(key=f"u{i}", name=f"CÔNG AN HUYỆN {i}", code=f"CA{i}",
                              email=f"ca{i}@example.test") for i in range(count)]
        s.add_all(units)
        s.flush()
        doc = documents.create(
            session=s, doc_type="cong_van", issuer=issuer, drafting_unit="NC",
            subject="V/v triển khai thực hiện Hướng dẫn số 22/HD-BCA-V05",
            recipients=[(u.name, u) for u in units], due_date=date(2023, 1, 10),
        )
        # A signed PDF of ~120 kB and a .docx of ~40 kB, incompressible like real ones.
        for kind, size in (("signed_pdf", 120_000), ("docx", 40_000)):
            content = rng.randbytes(size)
            (files / f"{kind}.bin").write_bytes(content)
            doc.files.append(DocumentFile(kind=kind, path=f"{kind}.bin", size=size,
                                          sha256=hashlib.sha256(content).hexdigest()))
        documents.issue_number(session=s, document=doc, on=date(2022, 12, 16))
        doc.status = DocumentStatus.ISSUED
        s.flush()
        enqueue_document(session=s, document_id=doc.id)
        doc_id = doc.id
    engine.dispose()
    return doc_id


def prebuilt(url: str, files: Path) -> list[tuple[str, bytes]]:
    """The same e-mails the relay will send, built up front for the baseline."""
    engine = db.make_engine(url)
    with Session(engine) as s:
        rows = s.scalars(select(Delivery).order_by(Delivery.id)).all()
        attachments = read_files(file_refs(rows[0].document, files))
        out = []
        for row in rows:
            message = compose(row, ack_url=f"https://cv.example.vn/xac-nhan/{row.id}.x")
            email = build_email(message.__class__(**{**vars(message),
                                                     "attachments": attachments}),
                                from_addr=FROM)
            out.append((row.address or "", email.as_bytes()))
    engine.dispose()
    return out


def baseline(port: int, messages: list[tuple[str, bytes]]) -> float:
    """Messages per second for a bare smtplib loop over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for rcpt, data in messages:
            conn.sendmail(FROM, [rcpt], data)
    return len(messages) / (time.perf_counter() - started)


def _relay(url: str, port: int, files: str, go: mp.Event) -> None:  # type: ignore[valid-type]
    engine = db.make_engine(url)
    with SmtpChannel(host="127.0.0.1", port=port, from_addr=FROM) as channel:
        go.wait()  # type: ignore[attr-defined]
        relay_until_idle(engine=engine, channels={"email": channel}, batch_size=50,
                         files_root=Path(files), policy=RetryPolicy())
    engine.dispose()


def relays(url: str, port: int, files: Path, count: int, n: int) -> float:
    """Deliveries per second with ``n`` relay processes started together."""
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    procs = [ctx.Process(target=_relay, args=(url, port, str(files), go)) for _ in range(n)]
    for p in procs:
        p.start()
    time.sleep(3)  # let every process import and connect before the clock starts
    started = time.perf_counter()
    go.set()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    engine = db.make_engine(url)
    with Session(engine) as s:
        sent = s.scalar(select(func.count()).where(Delivery.status == DeliveryStatus.SENT))
    engine.dispose()
    if sent != count:
        raise SystemExit(f"only {sent} of {count} deliveries sent")
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3, help="best of N, alternating")
    parser.add_argument("--postgres", default=admin_url())
    args = parser.parse_args()
    server, port = start_server()
    rows: list[tuple[str, float, float]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for label, kind, n in (("1 relay, SQLite", "sqlite", 1),
                                   ("1 relay, PostgreSQL", "pg", 1),
                                   ("4 relays, PostgreSQL", "pg", 4)):
                rates, bases = [], []
                for rep in range(args.repeat):
                    files = Path(tmp) / f"{kind}{n}-{rep}"
                    files.mkdir()
                    with ExitStack() as stack:
                        if kind == "sqlite":
                            url = f"sqlite:///{files / 'bench.db'}"
                        else:
                            url = stack.enter_context(scratch_database(args.postgres))
                        seed(url, files, args.messages)
                        bases.append(baseline(port, prebuilt(url, files)))
                        rates.append(relays(url, port, files, args.messages, n))
                rows.append((label, max(rates), max(bases)))
    finally:
        server.terminate()
        server.wait()
    print(f"{args.messages} deliveries (PDF 120 kB + DOCX 40 kB each) to aiosmtpd on loopback, "
          f"best of {args.repeat}; {os.cpu_count()} CPUs")
    print(f"{'':24}{'relay/s':>10}{'bare smtplib/s':>16}{'ratio':>8}")
    for label, rate, base in rows:
        print(f"{label:24}{rate:10.0f}{base:16.0f}{rate / base:8.2f}")


if __name__ == "__main__":
    main()
