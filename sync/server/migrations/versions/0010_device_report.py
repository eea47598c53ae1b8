# SPDX-License-Identifier: GPL-3.0-or-later
"""What a terminal says of itself, and head office lifting a staff lockout.

`device.software_version`, `device.backlog` (entries waiting unpushed) and `device.reported_at_us`: from the
headers terminals send on push and pull (sync.protocol), shown on the back office's terminals page and
dashboard; NULL until a terminal that sends them calls. `staff.unlocked_at_us`: when head office last lifted
the PIN lockout terminals count locally (sync.protocol.WireStaff).

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
    op.add_column("device", sa.Column("software_version", sa.String(length=40), nullable=True))
    op.add_column("device", sa.Column("backlog", sa.BigInteger(), nullable=True))
    op.add_column("device", sa.Column("reported_at_us", sa.BigInteger(), nullable=True))
    op.add_column("staff", sa.Column("unlocked_at_us", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("unlocked_at_us")
    with op.batch_alter_table("device") as batch:
        batch.drop_column("reported_at_us")
        batch.drop_column("backlog")
        batch.drop_column("software_version")
