# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's rule sets in SQLite: every version the server published, read back as app.domain objects.

Version 0 is the programme of a club that never published a rule set: its tiers and the branches'
earning scenarios as the tier and branch tables hold them (what priced every sale before rule sets).
A version, once stored, never changes: it is parsed once per process and kept. Bodies are stored as they
travelled, checked on arrival by the wire's codec (sync.rules, at the sync client's edge), and read back
by the domain (app.domain.programme_body): the store imports nothing of the wire.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.branch import Branch
from app.domain.programme import BranchRules, RuleSet, TierRule, version_zero
from app.domain.programme_body import rule_set_from_stored
from app.domain.tier import Tier
from app.store import club, ledger
from app.store.database import Tx, driver
from app.store.schema import RuleSetRow

RULE_SET = RuleSetRow.__table__
_LATEST_SQL = "SELECT max(version) FROM rule_set"
_BODY_SQL = "SELECT body FROM rule_set WHERE version = ?"
# Parsed versions, keyed by what tells one stored version from another (one process may open several
# data dirs, whose version 1 differ): the number, when it arrived, the body's length. Bounded.
_KEY_SQL = "SELECT received_at_us, length(body) FROM rule_set WHERE version = ?"
_PARSED: dict[tuple[int, int, int], RuleSet] = {}
_PARSED_MAX = 64


def put(conn: Connection, rules: RuleSet, body: dict[str, Any], now_us: int) -> None:
    """Keep a published version (again: nothing changes) and make its tiers the tier table's. The first
    version fills the day buckets a rule set's sale reads from the ledger held (app.store.ledger)."""
    first = not ledger.keeps_member_days(conn)
    stmt = sqlite_insert(RULE_SET).values(
        version=rules.version, body=json.dumps(body, ensure_ascii=False), received_at_us=now_us
    )
    conn.execute(stmt.on_conflict_do_nothing(index_elements=[RULE_SET.c.version]))
    if first:
        ledger.rebuild_member_days(conn)
    if rules.version >= latest_version(conn):
        for tier in rules.tiers:
            club.put_tier(conn, _tier_row(tier))


def _tier_row(tier: TierRule) -> Tier:
    return Tier(
        code=tier.code,
        name_fa=tier.name_fa,
        name_en=tier.name_en,
        rank=tier.rank,
        threshold_points=tier.threshold,
        multiplier_percent=tier.multiplier_percent,
    )


def latest_version(conn: Tx) -> int:
    row = driver(conn).execute(_LATEST_SQL).fetchone()
    return 0 if row is None or row[0] is None else int(row[0])


def current(conn: Tx) -> RuleSet:
    """The rule set that prices what happens now: the latest version this terminal holds."""
    return version(conn, latest_version(conn))


def version(conn: Tx, number: int | None) -> RuleSet:
    """A version by number; None or 0 (entries from before rule sets) and unknown ones: version 0."""
    if not number:
        return legacy(conn)
    stored = driver(conn).execute(_KEY_SQL, (number,)).fetchone()
    if stored is None:
        return legacy(conn)
    key = (number, stored[0], stored[1])
    found = _PARSED.get(key)
    if found is None:
        body = driver(conn).execute(_BODY_SQL, (number,)).fetchone()[0]
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        # checked by the wire's codec when it came in (sync.translate): read back without it
        found = _PARSED[key] = rule_set_from_stored(json.loads(body), number)
    return found


def versions(conn: Connection) -> list[int]:
    return list(conn.execute(select(RULE_SET.c.version).order_by(RULE_SET.c.version)).scalars())


_LEGACY: dict[tuple[object, ...], RuleSet] = {}


def legacy(conn: Tx) -> RuleSet:
    """Version 0: the tier and branch tables as a rule set (built once per content of the tables)."""
    table_tiers, table_branches = club.tier_and_branch_rows(conn)
    key = (tuple(table_tiers), tuple(table_branches))
    found = _LEGACY.get(key)
    if found is None:
        if len(_LEGACY) > 16:
            _LEGACY.clear()
        found = _LEGACY[key] = _legacy(table_tiers, table_branches)
    return found


def _legacy(table_tiers: list[Tier], table_branches: list[Branch]) -> RuleSet:
    tiers = [
        (t.code, t.name_fa, t.name_en, t.rank, t.threshold_points, t.multiplier_percent) for t in table_tiers
    ]
    return version_zero(tiers, [(b.code, BranchRules(b.earning, b.redemption)) for b in table_branches])
