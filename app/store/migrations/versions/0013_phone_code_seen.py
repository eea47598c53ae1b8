# SPDX-License-Identifier: GPL-3.0-or-later
"""The phone codes this terminal accepted (app.cards.phone_pass): its replay cache; and what each club key
signs, so that a phone's certificate is taken from the server's phone key only.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("club_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=16), server_default="card", nullable=False))
    op.create_table(
        "phone_code_seen",
        sa.Column("card_number", sa.String(length=19), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("seen_at_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("card_number", "step", name=op.f("pk_phone_code_seen")),
    )


def downgrade() -> None:
    op.drop_table("phone_code_seen")
    with op.batch_alter_table("club_key", schema=None) as batch_op:
        batch_op.drop_column("purpose")
