"""Bulk JSON posts staged as rows and ingested by id range: the flows carry ids, not posts."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import db, documents
from registry.models import (
    AuditEvent,
    DocumentStatus,
    Organization,
    ReportRequest,
    StagedPost,
    Submission,
)
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


def _stored(s: Session, audit_after: int) -> dict[str, Any]:
    """What ingestion stored, with the ids of new submissions as the staged row that made
    them (the two paths draw different ids from the sequences)."""
    made = {r.submission_id: ("staged", r.position) for r in s.scalars(select(StagedPost))
            if r.submission_id is not None}
    subs = [(made.get(r.id, r.id), r.request_id, r.unit_id, r.values, r.current, r.valid,
             r.channel, r.errors, r.file_path)
            for r in s.scalars(select(Submission).order_by(Submission.id))]
    staged = [(r.position, made.get(r.submission_id), r.errors, r.ingested_at is not None)
              for r in s.scalars(select(StagedPost).order_by(StagedPost.id))]
    audit = [(r.action, r.object_type, r.object_id, r.actor_id, r.actor_label,
              {k: made.get(v, v) if k in ("submission", "replaces") else v
               for k, v in r.detail.items()})
             for r in s.scalars(select(AuditEvent).where(AuditEvent.id > audit_after)
                                .order_by(AuditEvent.id))]
    states = sorted((r.id, r.status.value) for r in s.scalars(select(ReportRequest)))
    return {"submissions": subs, "staged": staged, "audit": audit, "states": states}


class TestBatchedIngest:
    def test_batched_range_stores_what_post_by_post_stores(self, kontum_url: str,
                                                           files_dir: Path) -> None:
        """A range ingested at once stores the same submissions, staged rows, audit lines and
        request states as post by post through the web API's door, and refuses the same bad
        posts with the same Vietnamese messages: another unit's request, an unknown request,
        figures that are not numbers, an unknown indicator, a closed period; a second post
        for a request in the range replaces the first, and a post replaces a submission made
        before."""
        _, reqs, _ = _opened(files_dir)
        (r0, u0), (r1, _), (r2, u2), (r3, u3), (r4, u4), (r5, u5), (r6, u6), (r7, u7) = reqs[:8]
        with db.transaction() as s:
            assert submissions_ok(s, r4, u4)
            bcd = s.scalar(select(Organization).where(Organization.key == "bcd-kontum"))
            assert bcd is not None
            report = documents.create(session=s, doc_type="bao_cao", issuer=bcd,
                                      subject="Kết quả quý IV năm 2023", drafting_unit="NC")
            documents.issue_number(session=s, document=report, on=date(2023, 12, 20))
            report.status = DocumentStatus.ISSUED
            request5 = s.get(ReportRequest, r5)
            assert request5 is not None
            request5.report_document_id = report.id
        posts = [Posted(request_id=r0, unit_key=u0, values=scenario.sample_values(0)),
                 Posted(request_id=r1, unit_key=u0, values=scenario.sample_values(1)),
                 Posted(request_id=999_999, unit_key=u0, values=scenario.sample_values(2)),
                 Posted(request_id=r2, unit_key=u2,
                        values={**scenario.sample_values(2), "participants": "nhiều"}),
                 Posted(request_id=r3, unit_key=u3, values=scenario.sample_values(3)),
                 Posted(request_id=r4, unit_key=u4, values=scenario.sample_values(4)),
                 Posted(request_id=r5, unit_key=u5, values=scenario.sample_values(5)),
                 Posted(request_id=r6, unit_key=u6,
                        values={**scenario.sample_values(6), "so_lieu_khac": 1}),
                 Posted(request_id=r3, unit_key=u3, values=scenario.sample_values(7)),
                 Posted(request_id=r7, unit_key=u7, values=scenario.sample_values(8))]
        batch_id = _stage(posts)
        results = {}
        with db.transaction() as s:
            [(first, last)] = staging.pending_ranges(session=s, batch_id=batch_id)
            audit_after = s.scalar(select(func.max(AuditEvent.id))) or 0
            for ingest in (staging.ingest_range_each, staging.ingest_range):
                nested = s.begin_nested()
                accepted = ingest(session=s, first_id=first, last_id=last)
                s.flush()
                s.expire_all()
                results[ingest.__name__] = accepted, _stored(s, audit_after)
                nested.rollback()
        each, batched = results["ingest_range_each"], results["ingest_range"]
        assert batched == each
        accepted, stored = batched
        assert accepted == 5
        errors = [e[0]["message"] if e else None for _, _, e, _ in stored["staged"]]
        assert errors[0] is None and errors[4] is None and errors[9] is None
        assert errors[1] == (f"yêu cầu báo cáo #{r1} là của đơn vị {reqs[1][1]}, không phải "
                             f"của {u0}; hãy gửi báo cáo theo đúng mẫu đã cấp cho đơn vị mình")
        assert errors[2] == "không có yêu cầu báo cáo #999999; kiểm tra mã yêu cầu trên mẫu"
        assert errors[3] == ("Số người tham gia mô hình: 'nhiều' không phải là số; hãy nhập "
                             "chữ số (ví dụ 12)")
        assert errors[6] is not None and errors[6].startswith(
            "kỳ báo cáo quý IV năm 2023 đã khép lại: số liệu đã được tổng hợp vào Báo cáo số "
            "01/BC-BCĐ ngày 20/12/2023")
        assert errors[7] == "chỉ tiêu 'so_lieu_khac' không có trong mẫu mo-hinh; hãy bỏ trường này"
        current = {sub[1]: sub[0] for sub in stored["submissions"] if sub[4]}
        assert current[r3] == ("staged", 8) and current[r4] == ("staged", 5)
        replaced = [a[5].get("replaces") for a in stored["audit"] if a[0] == "submit"]
        assert replaced[2] not in (None, ("staged", 4)) and replaced[3] == ("staged", 4)
        with db.transaction() as s:  # both rolled back: the range is still pending
            assert staging.pending_ranges(session=s, batch_id=batch_id) == [(first, last)]


def submissions_ok(s: Session, request_id: int, unit_key: str) -> bool:
    from reporting.submissions import submit_json

    return submit_json(session=s, request_id=request_id, unit_key=unit_key,
                       values=scenario.sample_values(40)).ok


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
