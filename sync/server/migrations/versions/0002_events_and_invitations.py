# SPDX-License-Identifier: GPL-3.0-or-later
"""Events and their guest lists, the server's own signing keys (the invitation QR key), and a partial index
of the ledger's event entries (check-ins and reversals, by event id).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# the same predicate as sync.server.models.EVENT_ENTRY_KINDS_SQL, written out: a migration is frozen
EVENT_ENTRY_KINDS = "kind IN ('check_in', 'guest_check_in', 'reversal')"


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("venue", sa.String(length=120), nullable=False),
        sa.Column("starts_at_us", sa.BigInteger(), nullable=False),
        sa.Column("ends_at_us", sa.BigInteger(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("invited_tiers", sa.Text(), nullable=False),
        sa.Column("plus_ones", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    op.create_table(
        "invitation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("plus_ones", sa.Integer(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_invitation_event_id_event")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_invitation_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("event_id", "member_id", name=op.f("uq_invitation_event_id_member_id")),
    )
    op.create_table(
        "server_key",
        sa.Column("key_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("private_key", sa.String(length=64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("retired_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_server_key")),
    )
    op.create_index(
        "ix_ledger_entry_event",
        "ledger_entry",
        ["invoice_ref"],
        unique=False,
        postgresql_where=sa.text(EVENT_ENTRY_KINDS),
        sqlite_where=sa.text(EVENT_ENTRY_KINDS),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entry_event", table_name="ledger_entry")
    op.drop_table("server_key")
    op.drop_table("invitation")
    op.drop_table("event")
