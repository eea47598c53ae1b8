# SPDX-License-Identifier: GPL-3.0-or-later
"""The language a member's messages are written in (`member.language`: fa, en; Persian first).

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("member", sa.Column("language", sa.String(length=2), server_default="fa", nullable=False))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35 has it): a batch copy of `member` would trip the keys that refer to it
    op.execute("ALTER TABLE member DROP COLUMN language")
