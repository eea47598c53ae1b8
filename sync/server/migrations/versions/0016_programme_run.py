# SPDX-License-Identifier: GPL-3.0-or-later
"""The programme's daily run in batches that resume after a crash (sync.server.programme.run_daily):
`programme_run`, one row per club day.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programme_run",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("now_us", sa.BigInteger(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("after_member", sa.String(length=36), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("started_at_us", sa.BigInteger(), nullable=False),
        sa.Column("heartbeat_at_us", sa.BigInteger(), nullable=False),
        sa.Column("finished_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_programme_run")),
    )


def downgrade() -> None:
    op.drop_table("programme_run")
