# SPDX-License-Identifier: GPL-3.0-or-later
"""Event door mode: events and their guest lists. Check-ins are ledger entries and need no table, only
an index of their own (partial: sales never write to it).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("venue", sa.String(length=120), nullable=False),
        sa.Column("starts_at_us", sa.Integer(), nullable=False),
        sa.Column("ends_at_us", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("invited_tiers", sa.Text(), nullable=False),
        sa.Column("plus_ones", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    op.create_table(
        "invitation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("plus_ones", sa.Integer(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_invitation_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("event_id", "member_id", name=op.f("uq_invitation_event_id_member_id")),
    )
    op.create_index(op.f("ix_invitation_member_id"), "invitation", ["member_id"], unique=False)
    op.create_index(
        "ix_invitation_standing",
        "invitation",
        ["event_id"],
        unique=False,
        sqlite_where=sa.text("NOT cancelled"),
    )
    op.create_index(
        "ix_ledger_entry_check_in",
        "ledger_entry",
        ["invoice_ref", "kind", "member_id", "id"],
        unique=False,
        sqlite_where=sa.text("kind IN ('check_in', 'guest_check_in')"),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entry_check_in", table_name="ledger_entry")
    op.drop_index("ix_invitation_standing", table_name="invitation")
    op.drop_index(op.f("ix_invitation_member_id"), table_name="invitation")
    op.drop_table("invitation")
    op.drop_table("event")
