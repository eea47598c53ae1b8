# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's programme: every rule-set version the server published, and on each ledger entry the
version that priced it (NULL on entries made before rule sets: they were priced by the tier and branch
tables, which version 0 stands for).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# ADD COLUMN, not a batch: a copy-and-rename of ledger_entry would lose its append-only triggers


def upgrade() -> None:
    op.add_column("ledger_entry", sa.Column("rules_version", sa.Integer(), nullable=True))
    op.create_table(
        "rule_set",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_rule_set")),
    )


def downgrade() -> None:
    op.drop_table("rule_set")
    op.drop_column("ledger_entry", "rules_version")
