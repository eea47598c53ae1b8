# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page and the phone as a card: a certified phone is a card of kind "phone" with its public key
and label; sign-in codes, member sessions, and the phone codes terminals accepted (one code at two
terminals is flagged).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # what a club key signs (sync.protocol.WireKey.purpose): the server's own keys say so in server_key
    purpose = sa.Column("purpose", sa.String(length=16), server_default="card", nullable=False)
    op.add_column("club_key", purpose)
    op.execute(
        "UPDATE club_key SET purpose = (SELECT s.purpose FROM server_key s WHERE s.key_id = club_key.key_id)"
        " WHERE key_id IN (SELECT key_id FROM server_key)"
    )
    op.add_column("card", sa.Column("public_key", sa.String(length=64), nullable=True))
    op.add_column("card", sa.Column("label", sa.String(length=80), nullable=True))
    op.create_table(
        "portal_sign_in",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sign_in")),
    )
    op.create_index("ix_portal_sign_in_phone_created", "portal_sign_in", ["phone", "created_at_us"])
    op.create_index("ix_portal_sign_in_address_created", "portal_sign_in", ["address", "created_at_us"])
    op.create_table(
        "portal_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_portal_session_member_id_member")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_portal_session")),
    )
    op.create_index(op.f("ix_portal_session_member_id"), "portal_session", ["member_id"])
    op.create_table(
        "phone_code_use",
        sa.Column("card_number", sa.String(length=19), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("used_at_us", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("card_number", "step", "device_id", name=op.f("pk_phone_code_use")),
    )


def downgrade() -> None:
    op.drop_table("phone_code_use")
    op.drop_index(op.f("ix_portal_session_member_id"), table_name="portal_session")
    op.drop_table("portal_session")
    op.drop_index("ix_portal_sign_in_address_created", table_name="portal_sign_in")
    op.drop_index("ix_portal_sign_in_phone_created", table_name="portal_sign_in")
    op.drop_table("portal_sign_in")
    op.execute("ALTER TABLE card DROP COLUMN label")
    op.execute("ALTER TABLE card DROP COLUMN public_key")
    op.execute("ALTER TABLE club_key DROP COLUMN purpose")
