"""notices: deliveries carry a document or a notice (reminders through the outbox)

Revision ID: 0006_notices
Revises: 0005
Create Date: 2026-11-22 01:41:27.127944
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_notices"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["sender_id"], ["organizations.id"],
                                name=op.f("fk_notices_sender_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_notices_key")),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch.alter_column("document_id", existing_type=sa.Integer(), nullable=True)
        batch.create_index(batch.f("ix_deliveries_notice_id"), ["notice_id"], unique=False)
        batch.create_foreign_key(batch.f("fk_deliveries_notice_id_notices"), "notices",
                                 ["notice_id"], ["id"])
        batch.create_check_constraint(
            "one_payload", "(document_id IS NULL) <> (notice_id IS NULL)")


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE notice_id IS NOT NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(batch.f("ck_deliveries_one_payload"), type_="check")
        batch.drop_constraint(batch.f("fk_deliveries_notice_id_notices"), type_="foreignkey")
        batch.drop_index(batch.f("ix_deliveries_notice_id"))
        batch.alter_column("document_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("notice_id")
    op.drop_table("notices")
