"""register search by trigram index (PostgreSQL); registers and the board's page by index

The register search asks that every folded word of the query appear in
documents.search_folded (LIKE '%word%'). Without an index PostgreSQL reads and tests every
document of the table: 8–10 ms for 20,000 documents, the most of a search's time under
10 clients (bench/web.py). pg_trgm's GIN index answers LIKE '%word%' for words of three
letters or more from the index. pg_trgm ships with PostgreSQL (Debian's postgresql package;
the "contrib" package elsewhere) and is a trusted extension (PostgreSQL 13+): the database's
owner may create it. Where it cannot be created (not installed, or a role without the right)
the migration logs a warning and goes on: the search stays correct, only slower. Installed
later, the index is two statements by an administrator (docs/deploy.md):
``CREATE EXTENSION pg_trgm;`` and :data:`TRIGRAM_INDEX`.

Both engines: the register and its pages read the documents newest first by the day
(issued or, for incoming, the sender's date) then id; an index in that order lets the
first page stop after 50 rows instead of sorting the whole table. The deadlines board's
table is a period's requests by due date then id, 100 a page: an index on (period, due_date,
id) reads those 100 and joins their units, instead of joining all 3,321 units and sorting
(3.5 ms → 0.3 ms).

Revision ID: 0016_search_trigram
Revises: 0015_board_queries
Create Date: 2026-11-30 01:10:00
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0016_search_trigram"
down_revision: str | None = "0015_board_queries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# fastupdate off: documents are written at a clerk's pace, searched all day; with GIN's
# pending list every search also scanned the entries not yet merged (after a bulk load of
# 20,000 documents the symbol search took 10 ms instead of 3 until a VACUUM).
TRIGRAM_INDEX = ("CREATE INDEX IF NOT EXISTS ix_documents_search_trgm ON documents "
                 "USING gin (search_folded gin_trgm_ops) WITH (fastupdate = off)")
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _trigram(bind)
    op.execute("CREATE INDEX ix_documents_day_id ON documents "
               "((coalesce(issue_date, original_date)) DESC NULLS LAST, id DESC)"
               if bind.dialect.name == "postgresql" else
               "CREATE INDEX ix_documents_day_id ON documents "
               "(coalesce(issue_date, original_date) DESC, id DESC)")
    op.create_index("ix_report_requests_period_due_id", "report_requests",
                    ["period", "due_date", "id"])


def _trigram(bind) -> None:  # type: ignore[no-untyped-def]
    available = bind.scalar(text("SELECT count(*) FROM pg_available_extensions "
                                 "WHERE name = 'pg_trgm'"))
    if not available:
        log.warning("pg_trgm is not installed on this PostgreSQL server: the register search "
                    "works without its index, more slowly (docs/deploy.md)")
        return
    nested = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception as exc:  # noqa: BLE001 - a role without the right: go on without it
        nested.rollback()
        log.warning("pg_trgm could not be created (%s): the register search works without "
                    "its index, more slowly (docs/deploy.md)", str(exc).splitlines()[0])
        return
    nested.commit()
    bind.execute(text(TRIGRAM_INDEX))


def downgrade() -> None:
    op.drop_index("ix_report_requests_period_due_id", table_name="report_requests")
    op.drop_index("ix_documents_day_id", table_name="documents")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_documents_search_trgm")
