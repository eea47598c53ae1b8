# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports' aggregates (issue 14), kept from the ledger past a watermark (sync.server.reports.aggregates).

`report_day` (day × branch × kind), `report_staff_day` (… × terminal × staff member), `report_member_day`
and `report_member_month` (per member: distinct counts, cohorts, lifetime value), `report_watermark`, the
last server_seq counted, and `report_summary_cache`, summaries kept while pages ask for them. Empty
here: the server fills them from the whole ledger at its next catch-up.
Three ledger indexes: a sale's returns (partial, on `reverses`), a period's entries (`created_at_us`) and a
period's tier moves, rewards and membership cards (partial).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.String(length=36)


def _sums(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


MEMBER_SUMS = (
    "entries", "engaging", "purchases", "net_sales_rials", "points_delta", "points_issued", "points_redeemed",
    "points_expired", "cash_delta",
)  # fmt: skip


DAY_SUMS = (
    "entries", "points_delta", "points_plus", "cash_delta", "sale_amount", "discount_rials", "returns",
    "purchases", "net_sales_rials",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "report_watermark",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("server_seq", sa.BigInteger(), nullable=False),
        sa.Column("counted_at_us", sa.BigInteger(), nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_watermark")),
    )
    op.create_table(
        "report_day",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("branch_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        *_sums(*DAY_SUMS),
        sa.PrimaryKeyConstraint("day", "branch_id", "kind", name=op.f("pk_report_day")),
    )
    op.create_table(
        "report_staff_day",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("branch_id", ID, nullable=False),
        sa.Column("device_id", ID, nullable=False),
        sa.Column("staff_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        *_sums("entries", "points_delta", "sale_amount", "returns", "purchases", "net_sales_rials"),
        sa.PrimaryKeyConstraint(
            "day", "branch_id", "device_id", "staff_id", "kind", name=op.f("pk_report_staff_day")
        ),
    )
    op.create_table(
        "report_member_day",
        sa.Column("member_id", ID, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("branch_id", ID, nullable=False),
        *_sums(*MEMBER_SUMS),
        sa.PrimaryKeyConstraint("member_id", "day", "branch_id", name=op.f("pk_report_member_day")),
    )
    op.create_index("ix_report_member_day_day_branch_id", "report_member_day", ["day", "branch_id"])
    op.create_table(
        "report_member_month",
        sa.Column("member_id", ID, nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("branch_id", ID, nullable=False),
        *_sums(*MEMBER_SUMS),
        sa.PrimaryKeyConstraint("member_id", "month", "branch_id", name=op.f("pk_report_member_month")),
    )
    op.create_index("ix_report_member_month_month_branch_id", "report_member_month", ["month", "branch_id"])
    op.create_table(
        "report_summary_cache",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        *_sums("server_seq", "counted_at_us", "computed_at_us", "took_us", "asked_at_us"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_report_summary_cache")),
    )
    op.create_index(
        "ix_ledger_entry_reverses",
        "ledger_entry",
        ["reverses"],
        postgresql_where=sa.text("reverses IS NOT NULL"),
        sqlite_where=sa.text("reverses IS NOT NULL"),
    )
    op.create_index("ix_ledger_entry_created_at_us", "ledger_entry", ["created_at_us"])
    programme_kinds = sa.text("kind IN ('tier_change', 'reward', 'membership_purchase')")
    op.create_index(
        "ix_ledger_entry_programme_at",
        "ledger_entry",
        ["created_at_us"],
        postgresql_where=programme_kinds,
        sqlite_where=programme_kinds,
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entry_programme_at", table_name="ledger_entry")
    op.drop_index("ix_ledger_entry_created_at_us", table_name="ledger_entry")
    op.drop_index("ix_ledger_entry_reverses", table_name="ledger_entry")
    for table in (
        "report_member_month",
        "report_member_day",
        "report_staff_day",
        "report_day",
        "report_watermark",
    ):
        op.drop_table(table)
