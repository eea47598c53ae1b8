# SPDX-License-Identifier: GPL-3.0-or-later
"""Cards: the club's signing keys, card kinds (chip card or QR) and the append-only revocation record.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "club_key",
        sa.Column("key_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at_us", sa.Integer(), nullable=False),
        sa.Column("retired_at_us", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_club_key")),
    )
    op.create_table(
        "card_revocation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=19), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=True),
        sa.Column("at_us", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_number"], ["card.number"], name=op.f("fk_card_revocation_card_number_card")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_revocation")),
    )
    with op.batch_alter_table("card_revocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_revocation_card_number"), ["card_number"], unique=False)

    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=8), server_default="card", nullable=False))
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER card_revocation_no_{action.lower()} BEFORE {action} ON card_revocation "
            f"BEGIN SELECT RAISE(ABORT, 'card revocations are append-only'); END"
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS card_revocation_no_update")
    op.execute("DROP TRIGGER IF EXISTS card_revocation_no_delete")
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_column("kind")

    with op.batch_alter_table("card_revocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_revocation_card_number"))

    op.drop_table("card_revocation")
    op.drop_table("club_key")
