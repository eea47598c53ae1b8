# SPDX-License-Identifier: GPL-3.0-or-later
"""Staff lockout: wrong PINs counted, a lock until a time, and an append-only audit of staff events.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at_us", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_staff_event_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_event")),
    )
    with op.batch_alter_table("staff_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_event_staff_id"), ["staff_id"], unique=False)

    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_pins", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("locked_until_us", sa.Integer(), nullable=True))

    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER staff_event_no_{action.lower()} BEFORE {action} ON staff_event "
            f"BEGIN SELECT RAISE(ABORT, 'staff events are append-only'); END"
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS staff_event_no_update")
    op.execute("DROP TRIGGER IF EXISTS staff_event_no_delete")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("locked_until_us")
        batch_op.drop_column("failed_pins")

    with op.batch_alter_table("staff_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_event_staff_id"))

    op.drop_table("staff_event")
