"""Numbering: consecutive from 01 each year, never twice, no gaps, under real concurrency."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry import db, documents
from registry.errors import NotFound
from registry.models import Direction, Document
from registry.numbering import allocate_number, last_number, register_for
from tests import factories


def _issuer(session: Session):  # type: ignore[no-untyped-def]
    issuer = factories.org(session, code="BCĐ", kind="advisory")
    reg = factories.register(session, issuer)
    return issuer, reg


class TestAllocateNumber:
    def test_starts_at_one_and_counts_up(self, session: Session) -> None:
        """The first number of a register in a year is 1, then 2, 3."""
        _, reg = _issuer(session)
        got = [allocate_number(session=session, register_id=reg.id, on=date(2026, 3, 2))[0]
               for _ in range(3)]
        assert got == [1, 2, 3]
        assert last_number(session=session, register_id=reg.id, year=2026) == 3

    def test_restarts_on_first_of_january_local_time(self, session: Session) -> None:
        """31 Dec 23:59 in Hà Nội belongs to the old year; 1 Jan 00:00 starts again at 1."""
        _, reg = _issuer(session)
        late = datetime(2022, 12, 31, 16, 59, tzinfo=UTC)  # 23:59 +07:00
        early = datetime(2022, 12, 31, 17, 0, tzinfo=UTC)  # 00:00 +07:00 on 1 Jan 2023
        assert allocate_number(session=session, register_id=reg.id, on=late) == (1, 2022)
        assert allocate_number(session=session, register_id=reg.id, on=late) == (2, 2022)
        assert allocate_number(session=session, register_id=reg.id, on=early) == (1, 2023)

    def test_registers_keep_separate_series(self, session: Session) -> None:
        """An advisory body's register and its parent's register do not share numbers."""
        _, reg_a = _issuer(session)
        _, reg_b = _issuer(session)
        allocate_number(session=session, register_id=reg_a.id, on=date(2026, 1, 5))
        assert allocate_number(session=session, register_id=reg_b.id, on=date(2026, 1, 5))[0] == 1

    def test_rolled_back_number_is_given_again(self, session: Session) -> None:
        """A number taken in a transaction that rolls back was never consumed."""
        _, reg = _issuer(session)
        allocate_number(session=session, register_id=reg.id, on=date(2026, 1, 5))
        nested = session.begin_nested()
        assert allocate_number(session=session, register_id=reg.id, on=date(2026, 1, 5))[0] == 2
        nested.rollback()
        assert allocate_number(session=session, register_id=reg.id, on=date(2026, 1, 5))[0] == 2


class TestRegisterFor:
    def test_specific_register_wins_over_catch_all(self, session: Session) -> None:
        """A register that lists the type takes it; other types go to the catch-all."""
        issuer, general = _issuer(session)
        qd = factories.register(session, issuer, code="QD", doc_types=["quyet_dinh"])
        pick = lambda t: register_for(  # noqa: E731
            session=session, organization_id=issuer.id, direction=Direction.OUTGOING, doc_type=t)
        assert pick("quyet_dinh").id == qd.id
        assert pick("cong_van").id == general.id

    def test_secret_documents_need_a_secret_register(self, session: Session) -> None:
        """A secret document never takes a number from the ordinary series."""
        issuer, _ = _issuer(session)
        with pytest.raises(NotFound, match="sổ văn bản đi mật"):
            register_for(session=session, organization_id=issuer.id,
                         direction=Direction.OUTGOING, doc_type="cong_van", secret=True)
        secret = factories.register(session, issuer, code="MAT", secret=True)
        assert register_for(session=session, organization_id=issuer.id,
                            direction=Direction.OUTGOING, doc_type="cong_van",
                            secret=True).id == secret.id


# ------------------------------------------------------------ many real connections


def _setup_issuer(url: str) -> int:
    engine = db.make_engine(url)
    with Session(engine) as s, s.begin():
        issuer = factories.org(s, key="bcd", code="BCĐ", kind="advisory")
        factories.register(s, issuer)
        issuer_id = issuer.id
    engine.dispose()
    return issuer_id


def _issue_many(url: str, issuer_id: int, count: int) -> None:
    engine = db.make_engine(url)
    for _ in range(count):
        with Session(engine) as s, s.begin():
            issuer = s.get(documents.Organization, issuer_id)
            doc = documents.create(session=s, doc_type="cong_van", issuer=issuer,
                                   subject="V/v thử cấp số", drafting_unit="NC")
            documents.issue_number(session=s, document=doc, on=date(2026, 6, 1))
    engine.dispose()


def _numbers(url: str) -> list[int]:
    engine = db.make_engine(url)
    with Session(engine) as s:
        got = list(s.scalars(select(Document.number).where(Document.number.is_not(None))))
    engine.dispose()
    return sorted(got)


def _run_writers(url: str, writers: int, each: int) -> None:
    issuer_id = _setup_issuer(url)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_issue_many, args=(url, issuer_id, each)) for _ in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
        assert p.exitcode == 0


class TestConcurrentIssuing:
    @pytest.mark.postgres
    def test_eight_processes_on_postgresql_get_exactly_1_to_1600(self, fresh_pg_url: str) -> None:
        """8 processes × 200 issues on PostgreSQL give each number 1..1600 exactly once."""
        _run_writers(fresh_pg_url, 8, 200)
        assert _numbers(fresh_pg_url) == list(range(1, 1601))

    def test_eight_processes_on_sqlite_get_exactly_1_to_800(self, fresh_sqlite_url: str) -> None:
        """8 processes × 100 issues on one SQLite file give each number 1..800 exactly once."""
        _run_writers(fresh_sqlite_url, 8, 100)
        assert _numbers(fresh_sqlite_url) == list(range(1, 801))


def _take_and_hang(url: str, issuer_id: int, ready: mp.synchronize.Event) -> None:  # type: ignore[name-defined]
    engine = db.make_engine(url)
    s = Session(engine)
    s.begin()
    issuer = s.get(documents.Organization, issuer_id)
    doc = documents.create(session=s, doc_type="cong_van", issuer=issuer, subject="V/v treo",
                           drafting_unit="NC")
    documents.issue_number(session=s, document=doc, on=date(2026, 6, 1))
    ready.set()
    signal.pause()  # killed here, mid-transaction


class TestKilledWriter:
    def test_number_of_a_killed_transaction_is_not_lost(self, fresh_url: str) -> None:
        """A process killed after taking a number but before commit leaves no gap."""
        issuer_id = _setup_issuer(fresh_url)
        _issue_many(fresh_url, issuer_id, 2)
        ctx = mp.get_context("spawn")
        ready = ctx.Event()
        victim = ctx.Process(target=_take_and_hang, args=(fresh_url, issuer_id, ready))
        victim.start()
        assert ready.wait(60)
        os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
        victim.join()
        _issue_many(fresh_url, issuer_id, 2)
        assert _numbers(fresh_url) == [1, 2, 3, 4]


class TestDatabaseRefusesDuplicates:
    def test_duplicate_number_symbol_issuer_year_is_refused(self, session: Session) -> None:
        """Even written around the service, the database refuses a second 05/BCĐ-NC in 2026."""
        issuer, reg = _issuer(session)
        for _ in range(2):
            session.add(Document(doc_type="cong_van", issuer_id=issuer.id, subject="x",
                                 number=5, year=2026, symbol="BCĐ-NC"))
        with pytest.raises(Exception, match="(?i)unique"):
            session.flush()
        session.rollback()
        assert session.execute(text("SELECT 1")).scalar() == 1
