"""Migration 0016 (PostgreSQL): the register search's trigram index where pg_trgm can be
created, and a working register — only slower — where it cannot (a role without the right)."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from registry import db, documents, schema, search
from registry.models import Person
from tests import factories
from tests.conftest import _pg_admin, create_pg_database, drop_pg_database

pytestmark = pytest.mark.postgres


def _indexes(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = set(conn.scalars(text("SELECT indexname FROM pg_indexes "
                                      "WHERE tablename = 'documents'")))
    engine.dispose()
    return names


def _search_works(url: str) -> None:
    engine = db.make_engine(url)
    with Session(engine) as s:
        issuer = factories.org(s, code="BCĐ")
        clerk = factories.person(s, issuer, roles=["clerk"])
        documents.create(session=s, doc_type="cong_van", issuer=issuer, created_by=clerk,
                         subject="V/v đôn đốc báo cáo quý IV")
        s.flush()
        actor = s.scalar(select(Person).where(Person.id == clerk.id))
        assert actor is not None
        found = search.search(session=s, actor=actor, query="DON DOC bao cao")
        assert [d.subject for d in found] == ["V/v đôn đốc báo cáo quý IV"]
        assert search.search(session=s, actor=actor, query="don doc xyz") == []
        s.rollback()
    engine.dispose()


def test_trigram_index_made_and_used(fresh_pg_url: str) -> None:
    """As the database's owner (here a superuser) the index is made and serves the search's
    LIKE '%words%' over the folded text (the planner can answer from it; whether it prefers it
    depends on the table's size — bench/web.py shows it chosen for 20,000 documents)."""
    assert {"ix_documents_search_trgm", "ix_documents_day_id"} <= _indexes(fresh_pg_url)
    _search_works(fresh_pg_url)
    engine = create_engine(fresh_pg_url)
    with engine.begin() as conn:
        # No pending list: a search never scans entries GIN has not merged yet.
        assert conn.scalar(text("SELECT reloptions FROM pg_class "
                                "WHERE relname = 'ix_documents_search_trgm'")) == [
            "fastupdate=off"]
        conn.execute(text(
            "INSERT INTO documents (direction, doc_type, status, subject, body, spec) "
            "SELECT 'in', 'cong_van', 'received', 'Về việc số ' || g, '', '{}' "
            "FROM generate_series(1, 2000) g"))
        conn.execute(text("ANALYZE documents"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(conn.scalars(text(
            "EXPLAIN SELECT id FROM documents WHERE search_folded LIKE '%don doc%'")))
        conn.rollback()
    engine.dispose()
    assert "ix_documents_search_trgm" in plan, plan


def test_without_the_right_to_create_the_extension(caplog: pytest.LogCaptureFixture) -> None:
    """A role that may create tables but not extensions migrates to the head with a warning;
    the search works without the index."""
    role = f"congvan_notrgm_{uuid.uuid4().hex[:8]}"
    url = create_pg_database()
    name = make_url(url).database
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN"))
            conn.execute(text(f'GRANT CONNECT ON DATABASE "{name}" TO {role}'))
        owner = create_engine(url, isolation_level="AUTOCOMMIT")
        with owner.connect() as conn:
            conn.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}"))
        owner.dispose()
        limited = make_url(url).set(username=role).render_as_string(hide_password=False)
        engine = db.make_engine(limited)
        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            schema.upgrade(engine)
        engine.dispose()
        assert any("pg_trgm" in r.getMessage() for r in caplog.records)
        made = _indexes(url)
        assert "ix_documents_search_trgm" not in made and "ix_documents_day_id" in made
        _search_works(limited)
    finally:
        drop_pg_database(url)
        with admin.connect() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()
