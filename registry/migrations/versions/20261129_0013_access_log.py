"""access log: access_events (append-only, as audit_events) and document_grants

Revision ID: 0013_access_log
Revises: 0012_records
Create Date: 2026-11-29 21:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_access_log"
down_revision: str | None = "0012_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("act", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.CheckConstraint("act <> ''", name=op.f("ck_access_events_act_not_empty")),
        sa.ForeignKeyConstraint(["actor_id"], ["people.id"],
                                name=op.f("fk_access_events_actor_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_events")),
    )
    op.create_index(op.f("ix_access_events_actor_id"), "access_events", ["actor_id"])
    op.create_index("ix_access_events_document_at", "access_events", ["document_id", "at"])
    op.create_table(
        "document_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", TZ, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE",
                                name=op.f("fk_document_grants_document_id_documents")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_document_grants_person_id_people")),
        sa.ForeignKeyConstraint(["granted_by_id"], ["people.id"],
                                name=op.f("fk_document_grants_granted_by_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_grants")),
        sa.UniqueConstraint("document_id", "person_id",
                            name=op.f("uq_document_grants_document_id")),
    )
    op.create_index(op.f("ix_document_grants_document_id"), "document_grants", ["document_id"])

    # The access log is append-only, as the audit log: the database refuses UPDATE and DELETE.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION congvan_access_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'access_events is append-only (% refused)', TG_OP;
            END;
            $$ LANGUAGE plpgsql;
            """
        )
        op.execute(
            "CREATE TRIGGER access_events_append_only BEFORE UPDATE OR DELETE ON access_events "
            "FOR EACH ROW EXECUTE FUNCTION congvan_access_append_only()"
        )
        # Row triggers do not fire on TRUNCATE; refuse it too.
        op.execute(
            "CREATE TRIGGER access_events_no_truncate BEFORE TRUNCATE ON access_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION congvan_access_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER access_events_no_update BEFORE UPDATE ON access_events "
            "BEGIN SELECT RAISE(ABORT, 'access_events is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER access_events_no_delete BEFORE DELETE ON access_events "
            "BEGIN SELECT RAISE(ABORT, 'access_events is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_events_no_truncate ON access_events")
        op.execute("DROP TRIGGER IF EXISTS access_events_append_only ON access_events")
        op.execute("DROP FUNCTION IF EXISTS congvan_access_append_only()")
    op.drop_index(op.f("ix_document_grants_document_id"), table_name="document_grants")
    op.drop_table("document_grants")
    op.drop_index("ix_access_events_document_at", table_name="access_events")
    op.drop_index(op.f("ix_access_events_actor_id"), table_name="access_events")
    op.drop_table("access_events")
