# SPDX-License-Identifier: GPL-3.0-or-later
"""An event may belong to a branch: `event.branch_id` (NULL: club-wide, as every event before this revision).

A branch manager manages the events of their own branches (sync.server.club.access: EVENT_MANAGE is held per
branch); a club-wide event is head office's. The column is the server's own and is not published.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:  # SQLite adds a foreign key by copying the table
        batch.add_column(sa.Column("branch_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(op.f("fk_event_branch_id_branch"), "branch", ["branch_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.drop_constraint(op.f("fk_event_branch_id_branch"), type_="foreignkey")
        batch.drop_column("branch_id")
