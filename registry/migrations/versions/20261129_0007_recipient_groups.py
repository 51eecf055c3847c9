"""recipient groups and directory recipients: a draft's lines name an organisation, a group or
a person, each with the channel it goes by

Revision ID: 0007_recipient_groups
Revises: 0006_notices
Create Date: 2026-11-29 17:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_recipient_groups"
down_revision: str | None = "0006_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recipient_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_groups")),
        sa.UniqueConstraint("key", name=op.f("uq_recipient_groups_key")),
    )
    op.create_table(
        "recipient_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["recipient_groups.id"], ondelete="CASCADE",
                                name=op.f("fk_recipient_group_members_group_id_recipient_groups")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_recipient_group_members_organization_id_organizations")),
        sa.PrimaryKeyConstraint("group_id", "organization_id",
                                name=op.f("pk_recipient_group_members")),
    )
    with op.batch_alter_table("document_recipients") as batch:
        batch.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
        batch.create_foreign_key(batch.f("fk_document_recipients_group_id_recipient_groups"),
                                 "recipient_groups", ["group_id"], ["id"])
        batch.create_foreign_key(batch.f("fk_document_recipients_person_id_people"),
                                 "people", ["person_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("document_recipients") as batch:
        batch.drop_constraint(batch.f("fk_document_recipients_person_id_people"),
                              type_="foreignkey")
        batch.drop_constraint(batch.f("fk_document_recipients_group_id_recipient_groups"),
                              type_="foreignkey")
        batch.drop_column("channel")
        batch.drop_column("person_id")
        batch.drop_column("group_id")
    op.drop_table("recipient_group_members")
    op.drop_table("recipient_groups")
