# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's review decisions on set-aside entries (sync.protocol.SetAsideResolvedChange): an entry
confirmed as refused no longer waits for review (app.store.replica).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "set_aside_decision",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_at_us", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("server_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_set_aside_decision")),
    )


def downgrade() -> None:
    op.drop_table("set_aside_decision")
