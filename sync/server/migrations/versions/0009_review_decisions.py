# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's review decisions (sync.server.club.review):

- `rejected_entry`: a set-aside entry the club confirmed as refused keeps its row, with who decided, when and
  why (`decision` "refused", `decided_at_us`, `decided_by`, `note`); one still waiting has none. An entry
  accepted after all leaves the table for the ledger, as before;
- `alert.note`: why a person resolved an alert; `alert.subject` indexed, for the alert raised with an entry.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rejected_entry", sa.Column("decision", sa.String(length=16), nullable=True))
    op.add_column("rejected_entry", sa.Column("decided_at_us", sa.BigInteger(), nullable=True))
    op.add_column("rejected_entry", sa.Column("decided_by", sa.String(length=160), nullable=True))
    op.add_column("rejected_entry", sa.Column("note", sa.Text(), nullable=True))
    op.add_column("alert", sa.Column("note", sa.Text(), nullable=True))
    op.create_index(op.f("ix_alert_subject"), "alert", ["subject"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_subject"), table_name="alert")
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("rejected_entry") as batch:
        batch.drop_column("note")
        batch.drop_column("decided_by")
        batch.drop_column("decided_at_us")
        batch.drop_column("decision")
