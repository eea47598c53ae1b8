# SPDX-License-Identifier: GPL-3.0-or-later
"""The branch's NTAG 424 DNA chip keys, as the server sent them: wrapped for this terminal (issue 19).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chip_key",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.Integer(), nullable=False),
        sa.Column("received_at_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("branch_id", "generation", "role", name=op.f("pk_chip_key")),
    )


def downgrade() -> None:
    op.drop_table("chip_key")
