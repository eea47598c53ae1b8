# SPDX-License-Identifier: GPL-3.0-or-later
"""Privacy (sync.server.club.privacy): when a member's marketing consent was given or withdrawn, and when
the club erased their personal data.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("member", sa.Column("consent_marketing_at_us", sa.BigInteger(), nullable=True))
    op.add_column("member", sa.Column("erased_at_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("member", "erased_at_us")
    op.drop_column("member", "consent_marketing_at_us")
