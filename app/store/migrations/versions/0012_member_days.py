# SPDX-License-Identifier: GPL-3.0-or-later
"""What a sale reads of a member's history, kept so that it reads a few rows instead of the member's
entries: the day buckets of the tier's qualifying parts and of the cashback credited (member_day,
app.domain.member_days), filled here from the ledger the terminal already holds; and a partial index of
the few kinds a sale folds whole (tier changes, paid memberships, bonus keys).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# As app.store.ledger.DAYS_FROM_LEDGER_SQL was at this revision (a migration never changes with the code):
# a part per earn entry and per reversal of an earn of the same member (in the bucket of the earlier of
# the two), a credit per cashback credit, summed per member and UTC day; 2^62 and -2^62 stand for none.
_DAY = "(CASE WHEN {t} >= 0 THEN {t} / 86400000000 ELSE ({t} - 86399999999) / 86400000000 END)"
_LOW_R = "min(r.created_at_us, s.created_at_us)"
BACKFILL_SQL = f"""
INSERT INTO member_day (member_id, day, points, spend_rials, low_us, high_us, cashback_rials, cashback_low_us)
SELECT member_id, day, sum(points), sum(spend), min(low), max(high), sum(cashback), min(cashback_low) FROM (
    SELECT member_id, {_DAY.format(t="created_at_us")} AS day, points_delta AS points,
        sale_amount AS spend, created_at_us AS low, created_at_us AS high, 0 AS cashback,
        4611686018427387904 AS cashback_low
    FROM ledger_entry WHERE kind = 'earn'
    UNION ALL
    SELECT r.member_id, {_DAY.format(t=_LOW_R)}, r.points_delta, r.sale_amount, {_LOW_R},
        max(r.created_at_us, s.created_at_us), 0, 4611686018427387904
    FROM ledger_entry r JOIN ledger_entry s ON s.id = r.reverses
    WHERE r.kind = 'reversal' AND s.kind = 'earn' AND s.member_id = r.member_id
    UNION ALL
    SELECT member_id, {_DAY.format(t="created_at_us")}, 0, 0, 4611686018427387904, -4611686018427387904,
        cash_delta, created_at_us
    FROM ledger_entry WHERE kind = 'cashback_credit'
) GROUP BY member_id, day
"""


def upgrade() -> None:
    op.create_table(
        "member_day",
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("spend_rials", sa.Integer(), nullable=False),
        sa.Column("low_us", sa.Integer(), nullable=False),
        sa.Column("high_us", sa.Integer(), nullable=False),
        sa.Column("cashback_rials", sa.Integer(), nullable=False),
        sa.Column("cashback_low_us", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_member_day_member_id_member")),
        sa.PrimaryKeyConstraint("member_id", "day", name=op.f("pk_member_day")),
        sqlite_with_rowid=False,
    )
    # plain index operations: a batch (copy-and-rename) of ledger_entry would lose its append-only triggers
    op.create_index(
        "ix_ledger_entry_programme",
        "ledger_entry",
        ["member_id"],
        unique=False,
        sqlite_where=sa.text("kind IN ('tier_change', 'membership_purchase', 'bonus')"),
    )
    # kept once the terminal holds a rule set (app.store.ledger): filled now only where one is held
    op.execute(f"{BACKFILL_SQL.rstrip()} HAVING EXISTS (SELECT 1 FROM rule_set)")


def downgrade() -> None:
    op.drop_index("ix_ledger_entry_programme", table_name="ledger_entry")
    op.drop_table("member_day")
