"""Flow: take submissions — .xlsx files from a folder (or e-mailed), in chunks — and answer each;
ingest staged JSON posts by id range.

The web/API door is :func:`reporting.submissions.submit_json`, a plain function; posts that
arrive in bulk are staged first (:mod:`reporting.staging`) and travel to flows as ids.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from pydantic import BaseModel

from registry import db
from reporting import staging, submissions
from reporting.batching import chunks
from workflows import flow_env, steps


class Upload(BaseModel):
    """One uploaded or e-mailed workbook: where it is and who sent it."""

    path: str
    unit_key: str | None = None
    sender_email: str | None = None


class Answer(BaseModel):
    """The receipt or errors for one upload."""

    path: str
    ok: bool
    message: str


@task(retries=1, retry_delay_seconds=1)
def ingest_chunk(uploads: list[Upload], files_dir: str) -> list[Answer]:
    """Ingest a chunk of uploads, one transaction each (a bad file never blocks the others)."""
    answers = []
    for upload in uploads:
        data = Path(upload.path).read_bytes()
        try:
            with db.transaction() as s:
                if upload.sender_email:
                    receipt = submissions.submit_email(session=s, sender_email=upload.sender_email,
                                                       data=data, files_dir=Path(files_dir))
                else:
                    receipt = submissions.submit_xlsx(session=s, data=data,
                                                      unit_key=upload.unit_key or "",
                                                      files_dir=Path(files_dir))
            answers.append(Answer(path=upload.path, ok=receipt.ok, message=receipt.message))
        except Exception as exc:  # noqa: BLE001 - every upload gets an answer
            answers.append(Answer(path=upload.path, ok=False, message=str(exc)))
    return answers


@flow(name="collect")
def collect(uploads: list[Upload], settings: steps.CycleSettings | None = None
            ) -> list[Answer]:
    """Ingest ``uploads`` in chunks; returns one answer per upload, in order."""
    settings = flow_env.ready(settings)
    futures = [ingest_chunk.submit(chunk, settings.files_dir) for chunk in chunks(uploads, 200)]
    return [a for f in futures for a in f.result()]


@task
def staged_ranges(duty_id: int, period_key: str) -> list[tuple[int, int]]:
    """Id ranges (chunks) of the staged posts still pending for a duty and period."""
    with db.transaction() as s:
        return staging.pending_ranges(session=s, duty_id=duty_id, period_key=period_key)


@task(retries=1, retry_delay_seconds=1)
def ingest_staged_chunk(first_id: int, last_id: int) -> int:
    """Ingest the pending staged posts of one id range in one transaction (idempotent: an
    ingested post is marked so in that transaction); returns how many of the range are
    accepted."""
    with db.transaction() as s:
        return staging.ingest_range(session=s, first_id=first_id, last_id=last_id)


@flow(name="ingest_posts")
def ingest_posts(batch_id: int) -> int:
    """Ingest one staged batch of JSON posts (:func:`reporting.staging.stage_posts`) in chunks;
    returns how many are accepted."""
    flow_env.ready()
    with db.transaction() as s:
        ranges = staging.pending_ranges(session=s, batch_id=batch_id)
    return sum(f.result() for f in [ingest_staged_chunk.submit(a, b) for a, b in ranges])
