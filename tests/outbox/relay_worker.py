"""A relay in a process of its own, for the crash test (started with multiprocessing 'spawn')."""

from __future__ import annotations

from pathlib import Path

from outbox.channels.email import SmtpChannel
from outbox.relay import RetryPolicy, relay_once
from registry import db


def run(url: str, port: int, files_root: str) -> None:
    """One relay pass over every due delivery, sending to 127.0.0.1:port."""
    engine = db.make_engine(url)
    with SmtpChannel(host="127.0.0.1", port=port, from_addr="congvan@kontum.gov.vn",
                     timeout=60) as channel:
        relay_once(engine=engine, channels={"email": channel}, batch_size=1000,
                   files_root=Path(files_root), policy=RetryPolicy(lease=300))
