"""Flow: take submissions — .xlsx files from a folder (or e-mailed), in chunks — and answer each.

The web/API door is :func:`workflows.submissions.submit_json`, a plain function.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from registry import db
from registry.models import ReportRequest
from workflows import steps, submissions
from workflows.batching import chunks


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
def collect(uploads: list[Upload], settings: steps.CycleSettings = steps.DEFAULT_SETTINGS
            ) -> list[Answer]:
    """Ingest ``uploads`` in chunks; returns one answer per upload, in order."""
    futures = [ingest_chunk.submit(chunk, settings.files_dir) for chunk in chunks(uploads, 200)]
    return [a for f in futures for a in f.result()]


class Posted(BaseModel):
    """One JSON post: the request, the unit that posts, its values."""

    request_id: int
    unit_key: str
    values: dict[str, object]


@task(retries=1, retry_delay_seconds=1)
def ingest_json_chunk(posts: list[Posted]) -> int:
    """Ingest a chunk of JSON posts in one transaction; returns how many were accepted."""
    accepted = 0
    with db.transaction() as s:
        # One query for the chunk's requests with their unit and form, instead of three
        # lookups per post; submit_json then finds them in the session (held here: the
        # identity map only keeps weak references).
        _loaded = s.scalars(select(ReportRequest).where(
            ReportRequest.id.in_([p.request_id for p in posts]))
            .options(joinedload(ReportRequest.unit), joinedload(ReportRequest.form))).all()
        for post in posts:
            receipt = submissions.submit_json(session=s, request_id=post.request_id,
                                              unit_key=post.unit_key, values=dict(post.values))
            accepted += receipt.ok
    return accepted
