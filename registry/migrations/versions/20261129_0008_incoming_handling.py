"""incoming handling: one registration per document (incoming_key), arrivals, texts, assignments,
events

Revision ID: 0008_incoming_handling
Revises: 0007_recipient_groups
Create Date: 2026-11-29 17:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_incoming_handling"
down_revision: str | None = "0007_recipient_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("incoming_key", sa.String(length=400), nullable=True))
        batch.create_unique_constraint(batch.f("uq_documents_incoming_key"), ["incoming_key"])
    op.create_table(
        "document_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE",
                                name=op.f("fk_document_texts_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_texts")),
        sa.UniqueConstraint("document_id", name=op.f("uq_document_texts_document_id")),
    )
    op.create_table(
        "incoming_arrivals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE",
                                name=op.f("fk_incoming_arrivals_document_id_documents")),
        sa.ForeignKeyConstraint(["received_by_id"], ["people.id"],
                                name=op.f("fk_incoming_arrivals_received_by_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_arrivals")),
    )
    op.create_index(op.f("ix_incoming_arrivals_document_id"), "incoming_arrivals",
                    ["document_id"], unique=False)
    op.create_table(
        "handling_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("answer_document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("(organization_id IS NOT NULL) OR (person_id IS NOT NULL)",
                           name=op.f("ck_handling_assignments_has_assignee")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_handling_assignments_document_id_documents")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_handling_assignments_organization_id_organizations")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_handling_assignments_person_id_people")),
        sa.ForeignKeyConstraint(["assigned_by_id"], ["people.id"],
                                name=op.f("fk_handling_assignments_assigned_by_id_people")),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["people.id"],
                                name=op.f("fk_handling_assignments_acknowledged_by_id_people")),
        sa.ForeignKeyConstraint(["answer_document_id"], ["documents.id"],
                                name=op.f("fk_handling_assignments_answer_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handling_assignments")),
    )
    op.create_index(op.f("ix_handling_assignments_document_id"), "handling_assignments",
                    ["document_id"], unique=False)
    op.create_index("ix_handling_assignments_open", "handling_assignments",
                    ["status", "due_date"], unique=False)
    op.create_table(
        "handling_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("to_person_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"],
                                name=op.f("fk_handling_events_document_id_documents")),
        sa.ForeignKeyConstraint(["assignment_id"], ["handling_assignments.id"],
                                name=op.f("fk_handling_events_assignment_id_handling_assignments")),
        sa.ForeignKeyConstraint(["actor_id"], ["people.id"],
                                name=op.f("fk_handling_events_actor_id_people")),
        sa.ForeignKeyConstraint(["to_person_id"], ["people.id"],
                                name=op.f("fk_handling_events_to_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handling_events")),
    )
    op.create_index(op.f("ix_handling_events_document_id"), "handling_events",
                    ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_handling_events_document_id"), table_name="handling_events")
    op.drop_table("handling_events")
    op.drop_index("ix_handling_assignments_open", table_name="handling_assignments")
    op.drop_index(op.f("ix_handling_assignments_document_id"), table_name="handling_assignments")
    op.drop_table("handling_assignments")
    op.drop_index(op.f("ix_incoming_arrivals_document_id"), table_name="incoming_arrivals")
    op.drop_table("incoming_arrivals")
    op.drop_table("document_texts")
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint(batch.f("uq_documents_incoming_key"), type_="unique")
        batch.drop_column("incoming_key")
