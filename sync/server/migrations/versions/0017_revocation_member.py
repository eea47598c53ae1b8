# SPDX-License-Identifier: GPL-3.0-or-later
"""`card_revocation.member_id`: every member-owned table names its member (docs/scaling.md: the
distribution column a sharded ledger would use), filled from the card for revocations already there.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: a revocation of a card the server never knew has no member (refused today, kept if old)
    op.add_column("card_revocation", sa.Column("member_id", sa.String(length=36), nullable=True))
    op.execute(
        "UPDATE card_revocation SET member_id ="
        " (SELECT card.member_id FROM card WHERE card.number = card_revocation.card_number)"
    )


def downgrade() -> None:
    with op.batch_alter_table("card_revocation") as batch:
        batch.drop_column("member_id")
