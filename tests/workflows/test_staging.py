"""Bulk JSON posts staged as rows and ingested by id range: the flows carry ids, not posts."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from registry import db
from registry.models import StagedPost, Submission
from reporting import scenario, staging
from reporting.staging import Posted
from workflows import steps

PERIOD = "2023-Q4"


def _opened(files_dir: Path) -> tuple[int, list[tuple[int, str]], steps.CycleSettings]:
    """A drafted instruction to the ten districts (not issued: nothing is converted) and their
    requests for the period: (instruction id, (request id, unit key), settings)."""
    settings = steps.CycleSettings(files_dir=str(files_dir), channels=["folder"])
    gid = steps.receive_guidance(scenario.guidance())
    iid = steps.draft_instruction(scenario.instruction(gid, reporting_unit_keys=scenario.DISTRICTS),
                                  settings)
    for duty_id, period, units in steps.instruction_plan(iid, [PERIOD]):
        steps.open_requests_chunk(duty_id, period, units)
    return iid, steps.request_ids(1, PERIOD), settings


def _stage(posts: list[Posted]) -> int:
    with db.transaction() as s:
        return staging.stage_posts(session=s, posts=posts)


def _posts(reqs: list[tuple[int, str]]) -> list[Posted]:
    return [Posted(request_id=rid, unit_key=unit, values=scenario.sample_values(n))
            for n, (rid, unit) in enumerate(reqs)]


def _ingest_all(ranges: list[tuple[int, int]]) -> list[int]:
    with db.transaction() as s:
        return [staging.ingest_range(session=s, first_id=a, last_id=b) for a, b in ranges]


def _count(model: type, *where: object) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


class TestStaging:
    def test_stage_stores_pending_rows_only(self, kontum_url: str, files_dir: Path) -> None:
        """Staging stores one pending NFC row per post and no submission."""
        _, reqs, _ = _opened(files_dir)
        decomposed = unicodedata.normalize("NFD", "Thanh Hoá")
        posts = _posts(reqs[:3])
        posts[0].values["notes"] = decomposed
        batch_id = _stage(posts)
        with db.transaction() as s:
            rows = s.scalars(select(StagedPost).where(StagedPost.batch_id == batch_id)
                             .order_by(StagedPost.position)).all()
            assert [(r.request_id, r.ingested_at) for r in rows] == [(rid, None)
                                                                     for rid, _ in reqs[:3]]
            assert rows[0].values["notes"] == "Thanh Hoá"
        assert _count(Submission) == 0

    def test_ingest_by_range_is_idempotent(self, kontum_url: str, files_dir: Path) -> None:
        """Ingesting the same ranges twice stores each post once and reports the same counts."""
        _, reqs, _ = _opened(files_dir)
        batch_id = _stage(_posts(reqs))
        with db.transaction() as s:
            ranges = staging.pending_ranges(session=s, batch_id=batch_id, size=4)
        assert len(ranges) == 3
        assert _ingest_all(ranges) == [4, 4, 2]
        assert _ingest_all(ranges) == [4, 4, 2]  # a retried chunk: nothing new
        assert _count(Submission) == 10 and _count(Submission, Submission.current) == 10
        assert _count(StagedPost, StagedPost.ingested_at.is_(None)) == 0
        with db.transaction() as s:
            assert staging.pending_ranges(session=s, batch_id=batch_id) == []

    def test_refused_posts_keep_their_errors(self, kontum_url: str, files_dir: Path) -> None:
        """Another unit's request, an unknown request and invalid figures are refused on their
        own rows; the other posts of the chunk are stored."""
        _, reqs, _ = _opened(files_dir)
        (rid0, unit0), (rid1, _), (rid2, unit2) = reqs[:3]
        posts = [Posted(request_id=rid0, unit_key=unit0, values=scenario.sample_values(0)),
                 Posted(request_id=rid1, unit_key=unit0, values=scenario.sample_values(1)),
                 Posted(request_id=999_999, unit_key=unit0, values=scenario.sample_values(2)),
                 Posted(request_id=rid2, unit_key=unit2,
                        values={**scenario.sample_values(2), "participants": "nhiều"})]
        batch_id = _stage(posts)
        with db.transaction() as s:
            ranges = staging.pending_ranges(session=s, batch_id=batch_id)
        assert _ingest_all(ranges) == [1]
        with db.transaction() as s:
            rows = s.scalars(select(StagedPost).order_by(StagedPost.position)).all()
            assert [r.submission_id is not None for r in rows] == [True, False, False, False]
            assert all(r.ingested_at is not None for r in rows)
            assert unit0 in rows[1].errors[0]["message"]
            assert "#999999" in rows[2].errors[0]["message"]
            assert rows[3].errors[0]["indicator"] == "participants"
        assert _count(Submission) == 1

    def test_ranges_by_duty_and_period(self, kontum_url: str, files_dir: Path) -> None:
        """A duty's ranges hold only posts naming its requests; a batch's hold all of them."""
        _, reqs, _ = _opened(files_dir)
        batch_id = _stage([*_posts(reqs[:2]),
                           Posted(request_id=999_999, unit_key="x", values={})])
        with db.transaction() as s:
            by_duty = staging.pending_ranges(session=s, duty_id=1, period_key=PERIOD)
            other_period = staging.pending_ranges(session=s, duty_id=1, period_key="2024-Q1")
            by_batch = staging.pending_ranges(session=s, batch_id=batch_id)
            ids = list(s.scalars(select(StagedPost.id).order_by(StagedPost.id)))
        assert by_duty == [(ids[0], ids[1])]
        assert other_period == []
        assert by_batch == [(ids[0], ids[2])]


class TestPrefectIngest:
    def test_cycle_ingests_staged_posts(self, prefect_harness: None, kontum_url: str,
                                        files_dir: Path) -> None:
        """quarterly_cycle, given only ids, ingests the posts staged for its period, once."""
        from workflows.quarterly_cycle import quarterly_cycle

        iid, reqs, settings = _opened(files_dir)
        _stage(_posts(reqs[:8]))
        before_notices = date(2023, 11, 20)
        summary = quarterly_cycle(iid, PERIOD, "le-ngoc-tuan", "bca", today=before_notices,
                                  settings=settings, aggregate=False)
        assert summary["accepted"] == 8 and summary["reports"] == []
        again = quarterly_cycle(iid, PERIOD, "le-ngoc-tuan", "bca", today=before_notices,
                                settings=settings, aggregate=False)
        assert "accepted" not in again  # nothing pending
        assert _count(Submission) == 8
        assert steps.figures(1, PERIOD).coverage == "8/10"

    def test_ingest_posts_flow(self, prefect_harness: None, kontum_url: str,
                               files_dir: Path) -> None:
        """The ingest_posts flow takes a batch id and returns how many posts it accepted."""
        from workflows.collect import ingest_posts

        _, reqs, _ = _opened(files_dir)
        batch_id = _stage(_posts(reqs))
        assert ingest_posts(batch_id) == 10
        assert ingest_posts(batch_id) == 0  # nothing pending
        assert _count(Submission) == 10
