# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's programme: every rule-set version, the version that priced each entry, one bonus per member
and key, and the tier change that set a member's tier.

- `rule_set` (version, body JSON, created_at_us, created_by): sync.server.rules;
- `ledger_entry.rules_version` (NULL for entries from before rule sets, whose hashes do not cover it);
- a unique partial index on the ledger's once-only bonuses, (member_id, invoice_ref) where the kind is
  `bonus` and the key is not a manager's `ambassador:…` grant. A database whose ledger already holds the
  same bonus key twice for one member is refused with the pairs, rather than silently indexed around:
  which of the two stands is a person's decision;
- `member.tier_since_us`, `member.tier_entry_id`: the tier_change entry behind `tier_code`.

The server's own device (code SERVER, for the entries the server writes: sync.server.programme) is made
on first use, since a device names a branch and a new database has none yet.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# the same predicate as sync.server.models.ONCE_ONLY_BONUS_SQL, written out: a migration is frozen
ONCE_ONLY_BONUS = "kind = 'bonus' AND invoice_ref NOT LIKE 'ambassador:%'"


def upgrade() -> None:
    op.create_table(
        "rule_set",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_rule_set")),
    )
    op.add_column("ledger_entry", sa.Column("rules_version", sa.Integer(), nullable=True))
    op.add_column(
        "member", sa.Column("tier_since_us", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
    )
    op.add_column("member", sa.Column("tier_entry_id", sa.String(length=36), nullable=True))
    _refuse_repeated_bonuses()
    op.create_index(
        "uq_ledger_entry_bonus_key",
        "ledger_entry",
        ["member_id", "invoice_ref"],
        unique=True,
        postgresql_where=sa.text(ONCE_ONLY_BONUS),
        sqlite_where=sa.text(ONCE_ONLY_BONUS),
    )


def _refuse_repeated_bonuses() -> None:
    entry = sa.table(
        "ledger_entry", sa.column("member_id"), sa.column("invoice_ref"), sa.column("kind"), sa.column("id")
    )
    repeated = (
        sa.select(entry.c.member_id, entry.c.invoice_ref, sa.func.count(entry.c.id))
        .where(
            entry.c.kind == "bonus",
            entry.c.invoice_ref.is_not(None),
            sa.not_(entry.c.invoice_ref.startswith("ambassador:", autoescape=True)),
        )
        .group_by(entry.c.member_id, entry.c.invoice_ref)
        .having(sa.func.count(entry.c.id) > 1)
        .limit(20)
    )
    found = op.get_bind().execute(repeated).all()
    if found:
        pairs = ", ".join(f"member {m} bonus {key!r} ×{n}" for m, key, n in found)
        raise RuntimeError(
            "the ledger holds the same bonus twice for one member, which this version refuses; reverse the"
            f" extra ones (a reversal entry) or ask for help before upgrading: {pairs}"
        )


def downgrade() -> None:
    op.drop_index("uq_ledger_entry_bonus_key", table_name="ledger_entry")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("tier_entry_id")
        batch.drop_column("tier_since_us")
    with op.batch_alter_table("ledger_entry") as batch:
        batch.drop_column("rules_version")
    op.drop_table("rule_set")
