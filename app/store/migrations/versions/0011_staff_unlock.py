# SPDX-License-Identifier: GPL-3.0-or-later
"""Head office lifting a staff lockout: the server's stamp of the last unlock this terminal applied.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unlocked_at_us", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("unlocked_at_us")
