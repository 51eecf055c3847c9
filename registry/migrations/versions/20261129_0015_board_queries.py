"""deadlines board queries: submissions.values as jsonb (PostgreSQL), requests by period

The board sums each indicator of the period's current submissions in SQL; on a json column
PostgreSQL parses the text again for every ->> (17 indicators × 3,321 units: ≈ 0.5 s), on
jsonb it reads the binary form. Every board query selects one period (of one duty, or of
the duties a person may see): an index on (period, duty_id).

Revision ID: 0015_board_queries
Revises: 0014_search_folded
Create Date: 2026-11-29 22:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_board_queries"
down_revision: str | None = "0014_search_folded"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE submissions ALTER COLUMN values TYPE jsonb USING values::jsonb")
    op.create_index("ix_report_requests_period_duty_id", "report_requests",
                    ["period", "duty_id"])


def downgrade() -> None:
    op.drop_index("ix_report_requests_period_duty_id", table_name="report_requests")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE submissions ALTER COLUMN values TYPE json USING values::json")
