# SPDX-License-Identifier: GPL-3.0-or-later
"""A reward's entries by reward and branch (the fraud signals: a reward given beyond its stock).

A branch's stock of a reward is what the rule set gave it, all time; counting what was taken needs every
reward entry of that reward at that branch, ever. Partial on kind 'reward', so the sales that make up
nearly all of the ledger never touch it and a push of sales pays nothing for it.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_ledger_entry_reward",
        "ledger_entry",
        ["invoice_ref", "branch_id"],
        postgresql_where=sa.text("kind = 'reward'"),
        sqlite_where=sa.text("kind = 'reward'"),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entry_reward", table_name="ledger_entry")
