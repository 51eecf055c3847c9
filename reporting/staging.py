"""Bulk JSON posts: staged as rows by the door, ingested later by a flow, chunk by chunk.

The door (:func:`stage_posts`) only stores what came in — one row per post, in the caller's
transaction — and returns the batch id, so a flow never carries the posts as a parameter
(Prefect's server refuses parameters over 512 KiB: ≈ 1,400 posts). The ingest step plans id
ranges of the pending rows (:func:`pending_ranges`) and :func:`ingest_range` takes the rows of
a range through the checks of :func:`reporting.submissions.submit_json` at once
(:func:`reporting.submissions.submit_values_many`), marking them ingested in the same
transaction: a retried or repeated chunk skips what is already done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import ARRAY, Integer, Update, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session, joinedload

from registry.errors import NotFound, PermissionDenied
from registry.models import ReportRequest, StagedPost, SubmissionBatch
from registry.text import nfc
from reporting import submissions
from reporting.batching import CHUNK, chunks


class Posted(BaseModel):
    """One JSON post: the request, the unit that posts, its values."""

    request_id: int
    unit_key: str
    values: dict[str, object]


def stage_posts(*, session: Session, posts: Sequence[Posted], channel: str = "api",
                posted_by: str | None = None) -> int:
    """Store ``posts`` as one batch of pending rows, unchecked; returns the batch id."""
    batch = SubmissionBatch(channel=channel, posted_by=nfc(posted_by))
    session.add(batch)
    session.flush()
    if posts:
        session.execute(insert(StagedPost), [
            {"batch_id": batch.id, "position": n, "request_id": p.request_id,
             "unit_key": nfc(p.unit_key), "values": nfc(dict(p.values)), "errors": []}
            for n, p in enumerate(posts)])
    return batch.id


def pending_ranges(*, session: Session, batch_id: int | None = None,
                   duty_id: int | None = None, period_key: str | None = None,
                   size: int = CHUNK) -> list[tuple[int, int]]:
    """(first id, last id) of each chunk of at most ``size`` pending posts, in id order.

    Filtered by batch, or by the duty and period of the request each post names.
    """
    query = select(StagedPost.id).where(StagedPost.ingested_at.is_(None))
    if batch_id is not None:
        query = query.where(StagedPost.batch_id == batch_id)
    if duty_id is not None or period_key is not None:
        query = query.join(ReportRequest, ReportRequest.id == StagedPost.request_id)
        if duty_id is not None:
            query = query.where(ReportRequest.duty_id == duty_id)
        if period_key is not None:
            query = query.where(ReportRequest.period == period_key)
    ids = list(session.scalars(query.order_by(StagedPost.id)))
    return [(chunk[0], chunk[-1]) for chunk in chunks(ids, size)]


def ingest_range(*, session: Session, first_id: int, last_id: int) -> int:
    """Ingest every pending post with an id in [first_id, last_id]; returns how many posts of
    the range are accepted (now or by an earlier run).

    A post for an unknown request or another unit's request keeps its error on its row and
    does not stop the others. A range planned for one duty may also hold posts for another
    staged at the same time: they are pending too, and are ingested with the rest.

    The range goes through :func:`reporting.submissions.submit_values_many` — the checks and
    stored rows of the web API's door (:func:`ingest_range_each`), with a few statements per
    range instead of several per post — and its rows are marked with one UPDATE (plus one per
    refused post). Staged rows already loaded in ``session`` are not refreshed.
    """
    rows = session.execute(
        select(StagedPost.id, StagedPost.request_id, StagedPost.unit_key, StagedPost.values,
               StagedPost.ingested_at, StagedPost.submission_id)
        .where(StagedPost.id.between(first_id, last_id)).order_by(StagedPost.id)).all()
    pending = [r for r in rows if r.ingested_at is None]
    if not pending:
        return sum(r.submission_id is not None for r in rows)
    now = datetime.now(UTC)
    outcomes = submissions.submit_values_many(session=session, posts=[
        submissions.Post(request_id=r.request_id, unit_key=r.unit_key, values=dict(r.values))
        for r in pending], channel="api", now=now)
    stored: dict[int, int] = {}
    refused: list[dict[str, object]] = []
    for row, outcome in zip(pending, outcomes, strict=True):
        if isinstance(outcome, Exception):
            errors = [{"indicator": None, "cell": None, "message": str(outcome)}]
        elif outcome.submission_id is None:
            errors = outcome.errors
        else:
            stored[row.id] = outcome.submission_id
            continue
        refused.append({"id": row.id, "errors": errors, "ingested_at": now})
    if stored:
        session.execute(_mark_stored(session, stored, now)
                        .execution_options(synchronize_session=False))
    if refused:
        session.execute(update(StagedPost), refused)
    return sum(r.submission_id is not None for r in rows) + len(stored)


def _mark_stored(session: Session, stored: dict[int, int], now: datetime) -> Update:
    """One UPDATE giving each staged row (id → submission id) its submission: on PostgreSQL
    from two arrays (two parameters, whatever the range's size), elsewhere by a CASE (building
    one bound pair per row costs ≈ 0.1 ms each in SQLAlchemy)."""
    done = update(StagedPost).values(errors=[], ingested_at=now)
    if session.get_bind().dialect.name == "postgresql":
        pairs = func.unnest(
            bindparam("staged_ids", list(stored), type_=ARRAY(Integer)),
            bindparam("submission_ids", list(stored.values()), type_=ARRAY(Integer)),
        ).table_valued("staged_id", "submission_id").render_derived(name="stored")
        return (done.values(submission_id=pairs.c.submission_id)
                .where(StagedPost.id == pairs.c.staged_id))
    return (done.values(submission_id=case(stored, value=StagedPost.id))
            .where(StagedPost.id.in_(list(stored))))


def ingest_range_each(*, session: Session, first_id: int, last_id: int) -> int:
    """:func:`ingest_range` post by post, each through
    :func:`reporting.submissions.submit_json` (the web API's door) — as ingestion went before
    it was batched: the reference the batched path is tested and measured against
    (tests/workflows/test_staging.py, bench/ingest.py)."""
    rows = session.scalars(select(StagedPost).where(StagedPost.id.between(first_id, last_id))
                           .order_by(StagedPost.id)).all()
    pending = [r for r in rows if r.ingested_at is None]
    # One query for the chunk's requests with their unit and form, instead of three lookups
    # per post; submit_json then finds them in the session (held here: the identity map only
    # keeps weak references).
    _loaded = session.scalars(select(ReportRequest).where(
        ReportRequest.id.in_({r.request_id for r in pending}))
        .options(joinedload(ReportRequest.unit), joinedload(ReportRequest.form))).all()
    now = datetime.now(UTC)
    for row in pending:
        try:
            receipt = submissions.submit_json(session=session, request_id=row.request_id,
                                              unit_key=row.unit_key, values=dict(row.values))
        except (NotFound, PermissionDenied) as exc:  # raised before anything is written
            row.errors = [{"indicator": None, "cell": None, "message": str(exc)}]
        else:
            row.submission_id, row.errors = receipt.submission_id, receipt.errors
        row.ingested_at = now
    return sum(r.submission_id is not None for r in rows)
