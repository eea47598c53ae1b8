# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger's `reverses` index holds only entries that reverse something (most reverse nothing): one
index page fewer written per sale. Lookups by `reverses = ?` still use it.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# plain index operations: a batch (copy-and-rename) of ledger_entry would lose its append-only triggers


def upgrade() -> None:
    op.drop_index("ix_ledger_entry_reverses", table_name="ledger_entry")
    op.create_index(
        "ix_ledger_entry_reverses",
        "ledger_entry",
        ["reverses"],
        unique=False,
        sqlite_where=sa.text("reverses IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entry_reverses", table_name="ledger_entry")
    op.create_index("ix_ledger_entry_reverses", "ledger_entry", ["reverses"], unique=False)
