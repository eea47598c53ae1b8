# SPDX-License-Identifier: GPL-3.0-or-later
"""Initial schema: club reference data, members and cards, the append-only ledger, projections.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "branch",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_fa", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("earn_points_per_unit", sa.Integer(), nullable=False),
        sa.Column("earn_rials_per_unit", sa.Integer(), nullable=False),
        sa.Column("earn_min_sale_rials", sa.Integer(), nullable=False),
        sa.Column("earn_max_points_per_sale", sa.Integer(), nullable=True),
        sa.Column("earn_rounding", sa.String(length=16), nullable=False),
        sa.Column("redeem_rials_per_point", sa.Integer(), nullable=False),
        sa.Column("redeem_max_share_percent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch")),
        sa.UniqueConstraint("code", name=op.f("uq_branch_code")),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "tier",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_fa", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("threshold_points", sa.Integer(), nullable=False),
        sa.Column("multiplier_percent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_tier")),
        sa.UniqueConstraint("rank", name=op.f("uq_tier_rank")),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("is_self", sa.Boolean(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_device_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("code", name=op.f("uq_device_code")),
    )
    op.create_table(
        "member",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("national_id_last4", sa.String(length=4), nullable=True),
        sa.Column("tier_code", sa.String(length=32), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("joined_at_us", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.String(length=36), nullable=True),
        sa.Column("consent_marketing", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_member_branch_id_branch")),
        sa.ForeignKeyConstraint(["referrer_id"], ["member.id"], name=op.f("fk_member_referrer_id_member")),
        sa.ForeignKeyConstraint(["tier_code"], ["tier.code"], name=op.f("fk_member_tier_code_tier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("phone", name=op.f("uq_member_phone")),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_name"), ["name"], unique=False)

    op.create_table(
        "staff",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=True),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_staff_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
    )
    op.create_table(
        "card",
        sa.Column("number", sa.String(length=19), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=True),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("issued_at_us", sa.Integer(), nullable=False),
        sa.Column("expires_at_us", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_card_member_id_member")),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_card")),
        sa.UniqueConstraint("uid", name=op.f("uq_card_uid")),
    )
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_member_id"), ["member_id"], unique=False)

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("created_at_us", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=True),
        sa.Column("points_delta", sa.Integer(), nullable=False),
        sa.Column("cash_delta", sa.Integer(), nullable=False),
        sa.Column("sale_amount", sa.Integer(), nullable=False),
        sa.Column("discount_rials", sa.Integer(), nullable=False),
        sa.Column("invoice_ref", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reverses", sa.String(length=36), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_ledger_entry_branch_id_branch")),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_ledger_entry_device_id_device")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_ledger_entry_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
        sa.UniqueConstraint("device_id", "device_seq", name=op.f("uq_ledger_entry_device_id_device_seq")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entry_invoice_ref"), ["invoice_ref"], unique=False)
        batch_op.create_index("ix_ledger_entry_member_time", ["member_id", "created_at_us"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entry_reverses"), ["reverses"], unique=False)

    op.create_table(
        "member_balance",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("wallet_rials", sa.Integer(), nullable=False),
        sa.Column("spend_rials", sa.Integer(), nullable=False),
        sa.Column("purchase_count", sa.Integer(), nullable=False),
        sa.Column("last_activity_us", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_balance_member_id_member")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_balance")),
    )
    op.create_table(
        "member_photo",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_member_photo_member_id_member")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_photo")),
    )
    op.create_table(
        "ledger_ack",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("acknowledged_at_us", sa.Integer(), nullable=False),
        sa.Column("server_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entry.id"], name=op.f("fk_ledger_ack_entry_id_ledger_entry")
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_ledger_ack")),
        sa.UniqueConstraint("server_seq", name=op.f("uq_ledger_ack_server_seq")),
    )
    # The ledger is append-only in the file itself, not only by convention in our code.
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER ledger_entry_no_{action.lower()} BEFORE {action} ON ledger_entry "
            f"BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END"
        )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update")
    op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_delete")
    op.drop_table("ledger_ack")
    op.drop_table("member_photo")
    op.drop_table("member_balance")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entry_reverses"))
        batch_op.drop_index("ix_ledger_entry_member_time")
        batch_op.drop_index(batch_op.f("ix_ledger_entry_invoice_ref"))

    op.drop_table("ledger_entry")
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_member_id"))

    op.drop_table("card")
    op.drop_table("staff")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_name"))

    op.drop_table("member")
    op.drop_table("device")
    op.drop_table("tier")
    op.drop_table("setting")
    op.drop_table("branch")
