# SPDX-License-Identifier: GPL-3.0-or-later
"""Messages to members (sync.server.messages): the outbox and its history (`message`), the club's templates
(`message_template`), marketing campaigns (`message_campaign`), and the member's email, preferred channel
and where their marketing consent came from.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (SQLite too): a batch copy of `member` would trip the keys that refer to it
    op.add_column("member", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column(
        "member", sa.Column("preferred_channel", sa.String(length=8), server_default="sms", nullable=False)
    )
    op.add_column("member", sa.Column("consent_marketing_source", sa.String(length=20), nullable=True))
    op.create_table(
        "message_campaign",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("body_fa", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("subject_fa", sa.Text(), server_default="", nullable=False),
        sa.Column("subject_en", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at_us", sa.BigInteger(), nullable=True),
        sa.Column("queued_at_us", sa.BigInteger(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_campaign")),
    )
    op.create_table(
        "message_template",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.Text(), server_default="", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "language", name=op.f("pk_message_template")),
    )
    op.create_table(
        "message",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("cause", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("marketing", sa.Boolean(), nullable=False),
        sa.Column("params", sa.Text(), server_default="{}", nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at_us", sa.BigInteger(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("status_at_us", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("subject", sa.Text(), server_default="", nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("cost_rials", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.String(length=32), server_default="", nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("provider_answer", sa.Text(), server_default="", nullable=False),
        sa.Column("sent_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["message_campaign.id"], name=op.f("fk_message_campaign_id_message_campaign")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_message_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("member_id", "cause", name=op.f("uq_message_member_id_cause")),
    )
    # a new, empty table: no ledger-sized build to do concurrently
    op.create_index("ix_message_status_due_at_us", "message", ["status", "due_at_us"])
    op.create_index(
        "ix_message_campaign_id",
        "message",
        ["campaign_id"],
        postgresql_where=sa.text("campaign_id IS NOT NULL"),
        sqlite_where=sa.text("campaign_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("message")
    op.drop_table("message_template")
    op.drop_table("message_campaign")
    # plain DROP COLUMN (SQLite 3.35 has it): a batch copy of `member` would trip the keys that refer to it
    for column in ("consent_marketing_source", "preferred_channel", "email"):
        op.execute(f"ALTER TABLE member DROP COLUMN {column}")
