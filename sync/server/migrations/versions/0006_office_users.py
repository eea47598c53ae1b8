# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's head-office accounts and their sessions (sync.server.club.users).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_user",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("branch_ids", sa.Text(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("lang", sa.String(length=2), server_default=sa.text("'fa'"), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("password_changed_at_us", sa.BigInteger(), nullable=False),
        sa.Column("disabled_at_us", sa.BigInteger(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_user")),
        sa.UniqueConstraint("name", name=op.f("uq_office_user_name")),
    )
    op.create_table(
        "office_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_us", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["office_user.id"], name=op.f("fk_office_session_user_id_office_user")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_office_session")),
    )
    op.create_index(op.f("ix_office_session_user_id"), "office_session", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_office_session_user_id"), table_name="office_session")
    op.drop_table("office_session")
    op.drop_table("office_user")
