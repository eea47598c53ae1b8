# SPDX-License-Identifier: GPL-3.0-or-later
"""Initial server schema: the club's reference data, members and cards, the global ledger, the change log,
grants, alerts, the audit log, enrolment codes and admin tokens; and the one sequence counter row.

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
        "admin_token",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_admin_token_token_hash")),
    )
    op.create_table(
        "alert",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("resolved_at_us", sa.BigInteger(), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    op.create_index(op.f("ix_alert_at_us"), "alert", ["at_us"], unique=False)
    op.create_index(op.f("ix_alert_kind"), "alert", ["kind"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at_us"), "audit_log", ["at_us"], unique=False)

    op.create_table(
        "branch",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_fa", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("earn_points_per_unit", sa.BigInteger(), nullable=False),
        sa.Column("earn_rials_per_unit", sa.BigInteger(), nullable=False),
        sa.Column("earn_min_sale_rials", sa.BigInteger(), nullable=False),
        sa.Column("earn_max_points_per_sale", sa.BigInteger(), nullable=True),
        sa.Column("earn_rounding", sa.String(length=16), nullable=False),
        sa.Column("redeem_rials_per_point", sa.BigInteger(), nullable=False),
        sa.Column("redeem_max_share_percent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch")),
        sa.UniqueConstraint("code", name=op.f("uq_branch_code")),
    )
    op.create_table(
        "change",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change")),
    )
    op.create_index(op.f("ix_change_member_id"), "change", ["member_id"], unique=False)

    op.create_table(
        "club_key",
        sa.Column("key_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("retired_at_us", sa.BigInteger(), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_club_key")),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "sync_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_counter")),
    )
    op.create_table(
        "tier",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_fa", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("threshold_points", sa.BigInteger(), nullable=False),
        sa.Column("multiplier_percent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_tier")),
        sa.UniqueConstraint("rank", name=op.f("uq_tier_rank")),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("card_prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("grant_key", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("enrolled_at_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at_us", sa.BigInteger(), nullable=True),
        sa.Column("last_seen_us", sa.BigInteger(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("contiguous_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_device_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("code", name=op.f("uq_device_code")),
        sa.UniqueConstraint("number", name=op.f("uq_device_number")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_device_token_hash")),
    )
    op.create_table(
        "enrollment_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=False),
        sa.Column("used_at_us", sa.BigInteger(), nullable=True),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_enrollment_code_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_enrollment_code")),
    )
    op.create_table(
        "member",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("tier_code", sa.String(length=32), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("joined_at_us", sa.BigInteger(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("national_id_last4", sa.String(length=4), nullable=True),
        sa.Column("referrer_id", sa.String(length=36), nullable=True),
        sa.Column("consent_marketing", sa.Boolean(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_member_branch_id_branch")),
        sa.ForeignKeyConstraint(["tier_code"], ["tier.code"], name=op.f("fk_member_tier_code_tier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    op.create_index(op.f("ix_member_name"), "member", ["name"], unique=False)
    op.create_index(op.f("ix_member_phone"), "member", ["phone"], unique=False)

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
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=True),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("issued_at_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=True),
        sa.Column("payload_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_card_member_id_member")),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_card")),
    )
    op.create_index(op.f("ix_card_member_id"), "card", ["member_id"], unique=False)
    op.create_index(op.f("ix_card_uid"), "card", ["uid"], unique=False)

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("device_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=True),
        sa.Column("points_delta", sa.BigInteger(), nullable=False),
        sa.Column("cash_delta", sa.BigInteger(), nullable=False),
        sa.Column("sale_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_rials", sa.BigInteger(), nullable=False),
        sa.Column("invoice_ref", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reverses", sa.String(length=36), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("server_seq", sa.BigInteger(), nullable=True),
        sa.Column("received_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_ledger_entry_branch_id_branch")),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_ledger_entry_device_id_device")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_ledger_entry_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
        sa.UniqueConstraint("device_id", "device_seq", name=op.f("uq_ledger_entry_device_id_device_seq")),
        sa.UniqueConstraint("server_seq", name=op.f("uq_ledger_entry_server_seq")),
    )
    op.create_index(
        "ix_ledger_entry_member_device_kind", "ledger_entry", ["member_id", "device_id", "kind"], unique=False
    )

    op.create_table(
        "member_balance",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("wallet_rials", sa.BigInteger(), nullable=False),
        sa.Column("spend_rials", sa.BigInteger(), nullable=False),
        sa.Column("purchase_count", sa.BigInteger(), nullable=False),
        sa.Column("last_activity_us", sa.BigInteger(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("lock_version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_member_balance_member_id_member")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_balance")),
    )
    op.create_table(
        "photo",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_photo_member_id_member")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_photo")),
    )
    op.create_table(
        "rejected_entry",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("device_seq", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("received_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_rejected_entry_device_id_device")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_entry")),
        sa.UniqueConstraint("device_id", "device_seq", name=op.f("uq_rejected_entry_device_id_device_seq")),
    )
    op.create_table(
        "spend_grant",
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("after_seq", sa.BigInteger(), nullable=False),
        sa.Column("issued_at_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=False),
        sa.Column("for_entry", sa.String(length=36), nullable=True),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_spend_grant_device_id_device")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_spend_grant_member_id_member")),
        sa.PrimaryKeyConstraint("grant_id", name=op.f("pk_spend_grant")),
        sa.UniqueConstraint("for_entry", name=op.f("uq_spend_grant_for_entry")),
    )
    op.create_index(op.f("ix_spend_grant_member_id"), "spend_grant", ["member_id"], unique=False)

    op.create_table(
        "sync_item",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("server_seq", sa.BigInteger(), nullable=True),
        sa.Column("received_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_sync_item_device_id_device")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_item")),
    )
    op.create_table(
        "card_revocation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=19), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=True),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_number"], ["card.number"], name=op.f("fk_card_revocation_card_number_card")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_revocation")),
    )
    op.create_index(op.f("ix_card_revocation_card_number"), "card_revocation", ["card_number"], unique=False)

    op.create_table(
        "current_grant",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_current_grant_device_id_device")),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["spend_grant.grant_id"], name=op.f("fk_current_grant_grant_id_spend_grant")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_current_grant_member_id_member")),
        sa.PrimaryKeyConstraint("member_id", "device_id", name=op.f("pk_current_grant")),
    )
    op.create_table(
        "member_photo",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("set_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_member_photo_member_id_member")),
        sa.ForeignKeyConstraint(["sha256"], ["photo.sha256"], name=op.f("fk_member_photo_sha256_photo")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_photo")),
    )
    # the server sequence's one row (sync.server.sequence)
    op.bulk_insert(
        sa.table("sync_counter", sa.column("id", sa.Integer()), sa.column("value", sa.BigInteger())),
        [{"id": 1, "value": 0}],
    )


def downgrade() -> None:
    op.drop_table("member_photo")
    op.drop_table("current_grant")
    op.drop_index(op.f("ix_card_revocation_card_number"), table_name="card_revocation")

    op.drop_table("card_revocation")
    op.drop_table("sync_item")
    op.drop_index(op.f("ix_spend_grant_member_id"), table_name="spend_grant")

    op.drop_table("spend_grant")
    op.drop_table("rejected_entry")
    op.drop_table("photo")
    op.drop_table("member_balance")
    op.drop_index("ix_ledger_entry_member_device_kind", table_name="ledger_entry")

    op.drop_table("ledger_entry")
    op.drop_index(op.f("ix_card_uid"), table_name="card")
    op.drop_index(op.f("ix_card_member_id"), table_name="card")

    op.drop_table("card")
    op.drop_table("staff")
    op.drop_index(op.f("ix_member_phone"), table_name="member")
    op.drop_index(op.f("ix_member_name"), table_name="member")

    op.drop_table("member")
    op.drop_table("enrollment_code")
    op.drop_table("device")
    op.drop_table("tier")
    op.drop_table("sync_counter")
    op.drop_table("setting")
    op.drop_table("club_key")
    op.drop_index(op.f("ix_change_member_id"), table_name="change")

    op.drop_table("change")
    op.drop_table("branch")
    op.drop_index(op.f("ix_audit_log_at_us"), table_name="audit_log")

    op.drop_table("audit_log")
    op.drop_index(op.f("ix_alert_kind"), table_name="alert")
    op.drop_index(op.f("ix_alert_at_us"), table_name="alert")

    op.drop_table("alert")
    op.drop_table("admin_token")
