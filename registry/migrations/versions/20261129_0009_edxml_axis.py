"""edxml_axis: signature state of incoming documents; delivery kind (document, revoke, status)

Revision ID: 0009_edxml_axis
Revises: 0008_incoming_handling
Create Date: 2026-11-29 17:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_edxml_axis"
down_revision: str | None = "0008_incoming_handling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("signature_state", sa.String(length=10), nullable=True))
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch.drop_constraint(batch.f("uq_deliveries_document_id_recipient_id_channel"),
                              type_="unique")
        batch.create_unique_constraint(
            batch.f("uq_deliveries_document_id_recipient_id_channel_kind"),
            ["document_id", "recipient_id", "channel", "kind"])


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE kind <> ''")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(batch.f("uq_deliveries_document_id_recipient_id_channel_kind"),
                              type_="unique")
        batch.create_unique_constraint(
            batch.f("uq_deliveries_document_id_recipient_id_channel"),
            ["document_id", "recipient_id", "channel"])
        batch.drop_column("payload")
        batch.drop_column("kind")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("signature_state")
