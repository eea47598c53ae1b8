# SPDX-License-Identifier: GPL-3.0-or-later
"""A device's first use: `device.claimed_at_us`, when its token first authenticated a request.

An enrolment whose answer was lost can be asked for again (sync.server.enrolment) until the device is
used; a device nobody used within a day of its enrolment is revoked instead of staying a live credential.
Devices enrolled before this revision are taken as claimed (at their last push, else their enrolment):
they are in use, and a terminal that only ever pulled must not be revoked by the upgrade.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("device", sa.Column("claimed_at_us", sa.BigInteger(), nullable=True))
    device = sa.table(
        "device", sa.column("claimed_at_us"), sa.column("last_seen_us"), sa.column("enrolled_at_us")
    )
    op.execute(
        device.update().values(claimed_at_us=sa.func.coalesce(device.c.last_seen_us, device.c.enrolled_at_us))
    )


def downgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.drop_column("claimed_at_us")
