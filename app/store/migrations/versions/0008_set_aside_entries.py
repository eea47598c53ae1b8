# SPDX-License-Identifier: GPL-3.0-or-later
"""Other devices' entries that the club server set aside: their places in their devices' chains, so that
`ledger verify` follows a chain across them instead of reporting a hole (app.store.replica).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "set_aside_entry",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("server_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_set_aside_entry_device_id_device")
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_set_aside_entry")),
        sa.UniqueConstraint("device_id", "device_seq", name=op.f("uq_set_aside_entry_device_id_device_seq")),
    )


def downgrade() -> None:
    op.drop_table("set_aside_entry")
