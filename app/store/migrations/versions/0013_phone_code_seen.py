# SPDX-License-Identifier: GPL-3.0-or-later
"""The phone codes this terminal accepted (app.cards.phone_pass): its replay cache.

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
    op.create_table(
        "phone_code_seen",
        sa.Column("card_number", sa.String(length=19), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("seen_at_us", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("card_number", "step", name=op.f("pk_phone_code_seen")),
    )


def downgrade() -> None:
    op.drop_table("phone_code_seen")
