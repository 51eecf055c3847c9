"""report_requests.report_document_id: the Báo cáo that aggregated the request

Revision ID: 0003_request_report
Revises: 0002
Create Date: 2026-11-22 02:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_request_report"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_requests") as batch:
        batch.add_column(sa.Column("report_document_id", sa.Integer(), nullable=True))
        batch.create_index("ix_report_requests_report_document_id", ["report_document_id"])
        batch.create_foreign_key("fk_report_requests_report_document_id_documents",
                                 "documents", ["report_document_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("report_requests") as batch:
        batch.drop_constraint("fk_report_requests_report_document_id_documents",
                              type_="foreignkey")
        batch.drop_index("ix_report_requests_report_document_id")
        batch.drop_column("report_document_id")
