# SPDX-License-Identifier: GPL-3.0-or-later
"""NTAG 424 DNA cards (issue 19): a terminal's wrap key, the generations of each branch's chip keys, and the
chip cards terminals accepted (for clone detection).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("device", sa.Column("wrap_public_key", sa.String(length=64), nullable=True))
    op.create_table(
        "chip_key_generation",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("revoked_device_id", sa.String(length=36), nullable=True),
        sa.Column("retired_at_us", sa.BigInteger(), nullable=True),
        sa.Column("retired_by", sa.String(length=160), nullable=True),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_chip_key_generation_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("branch_id", "generation", name=op.f("pk_chip_key_generation")),
    )
    op.create_table(
        "card_tap",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=19), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("used_at_us", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("chip", sa.String(length=12), nullable=False),
        sa.Column("read_counter", sa.Integer(), nullable=True),
        sa.Column("received_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_tap")),
    )
    # a new, empty table: a plain index costs nothing here
    op.create_index("ix_card_tap_card_number_used_at_us", "card_tap", ["card_number", "used_at_us"])
    op.create_index(op.f("ix_card_tap_member_id"), "card_tap", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_card_tap_member_id"), table_name="card_tap")
    op.drop_index("ix_card_tap_card_number_used_at_us", table_name="card_tap")
    op.drop_table("card_tap")
    op.drop_table("chip_key_generation")
    op.execute("ALTER TABLE device DROP COLUMN wrap_public_key")
