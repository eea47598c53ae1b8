# SPDX-License-Identifier: GPL-3.0-or-later
"""Sync: the outbox of members, cards, revocations and photos; outcomes on ledger acknowledgements;
offline grants, the restricted list, wanted photos and sync problems; phone numbers no longer unique.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_item",
        sa.Column("position", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_outbox_item")),
        sa.UniqueConstraint("id", name=op.f("uq_outbox_item_id")),
    )
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_item_subject"), ["subject"], unique=False)

    op.create_table(
        "outbox_ack",
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("server_seq", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at_us", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["outbox_item.id"], name=op.f("fk_outbox_ack_item_id_outbox_item")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_outbox_ack")),
    )
    op.create_table(
        "member_grant",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("after_seq", sa.Integer(), nullable=False),
        sa.Column("issued_at_us", sa.Integer(), nullable=False),
        sa.Column("expires_at_us", sa.Integer(), nullable=False),
        sa.Column("for_entry", sa.String(length=36), nullable=True),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("received_at_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_grant")),
    )
    op.create_table(
        "member_restriction",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("server_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_restriction")),
    )
    op.create_table(
        "photo_wanted",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_photo_wanted")),
    )
    op.create_table(
        "sync_problem",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at_us", sa.Integer(), nullable=False),
        sa.Column("problem", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("device_seq", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_problem")),
    )
    # ledger_ack is rebuilt (SQLite alters by copying); nothing refers to it and it has no triggers
    with op.batch_alter_table("ledger_ack", schema=None) as batch_op:
        batch_op.alter_column("server_seq", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column("outcome", sa.String(length=16), server_default="accepted", nullable=False)
        )
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
    # member is rebuilt too: ledger entries, cards and balances refer to it, so this runs with foreign keys
    # off (migrations/env.py) and checks them before committing
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_constraint("uq_member_phone", type_="unique")
        batch_op.create_index(batch_op.f("ix_member_phone"), ["phone"], unique=False)
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"rebuilding tables left rows pointing nowhere: {broken[:5]}")


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_phone"))
        batch_op.create_unique_constraint("uq_member_phone", ["phone"])
    with op.batch_alter_table("ledger_ack", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("outcome")
        batch_op.alter_column("server_seq", existing_type=sa.Integer(), nullable=False)
    op.drop_table("sync_problem")
    op.drop_table("photo_wanted")
    op.drop_table("member_restriction")
    op.drop_table("member_grant")
    op.drop_table("outbox_ack")
    with op.batch_alter_table("outbox_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_item_subject"))
    op.drop_table("outbox_item")
