# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's programme on the server: every rule-set version, kept forever, published in order.

A version is saved once and never changed (an entry names the version that priced it, so an old version
must still price its entries). `save` gives the next number under the counter row's lock, so versions
are numbered in commit order and their `rule_set` changes reach terminals in version order. Saving a
version also makes its tiers the tier table's and its branches' scenarios the branch table's earning and
redemption columns (published as tier and branch changes, for terminals and reports that read the tables,
and so that an edit of a branch's name never carries stale earning back into a new version), and its
offline grant policy the grant settings (sync.server.grants reads those). The grant settings are the rule
set's only: the admin API refuses to set them on their own (`RULE_SET_SETTINGS`).

Version 0 is the programme of a club that never saved one: its tier table and its branches' earning
columns, built exactly as the terminal builds its own version 0 (app.store.programme.legacy), so a
server and a terminal given the same tables price alike; its offline grant policy is the grant settings
(terminals do not use it), so that the first version an admin saves from it keeps the club's policy.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from threading import Lock
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, func, select, update

from app.domain.errors import ClubError
from app.domain.money import MAX_POINTS, MAX_RIALS, Rounding
from app.domain.programme import BranchRules, OfflineGrantPolicy, RuleSet, TierRule, invalid, version_zero
from app.domain.rules import EarningRule, RedemptionPolicy
from sync.protocol import RuleSetChange, WireBranch, WireTier
from sync.rules import from_body, to_body
from sync.server import club
from sync.server.models import BRANCH, COUNTER, RULE_SET, TIER
from sync.server.sequence import COUNTER_ID, Publisher

MAX_VERSION = 2**31  # the wire's bound (sync.protocol.RuleSetChange)
MAX_TIER_RANK = 1_000  # the tier table's and the wire's bound (sync.protocol.WireTier)
_CACHE_SIZE = 32
# The settings a rule set's offline grant policy writes (sync.server.grants reads them); nothing else may.
RULE_SET_SETTINGS = frozenset({"grant_share_percent", "grant_cap_points", "grant_ttl_s"})
_MAX_GRANT_HOURS = 24 * 30  # app.domain.programme's bound on OfflineGrantPolicy.hours


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: int
    created_at_us: int
    created_by: str


class _Parsed:
    """Bodies parsed once per process, keyed by their text (a version never changes; keying by the text
    rather than the number keeps two databases in one process apart)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, RuleSet] = OrderedDict()
        self._lock = Lock()

    def get(self, text: str) -> RuleSet:
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                self._items.move_to_end(text)
                return found
        parsed = from_body(json.loads(text))
        with self._lock:
            self._items[text] = parsed
            while len(self._items) > _CACHE_SIZE:
                self._items.popitem(last=False)
        return parsed


_PARSED = _Parsed()


# ---- reading ----------------------------------------------------------------------------------------


def latest_version(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(RULE_SET.c.version), 0))).scalar_one())


def current(conn: Connection) -> RuleSet:
    """The rule set that prices what happens now: the latest version, or version 0."""
    row = conn.execute(select(RULE_SET.c.body).order_by(RULE_SET.c.version.desc()).limit(1)).first()
    return legacy(conn) if row is None else _PARSED.get(row.body)


def get(conn: Connection, version: int) -> RuleSet:
    """A version by number (0: the tables' programme); ClubError("unknown_rules_version") if none."""
    if version == 0:
        return legacy(conn)
    body = conn.execute(select(RULE_SET.c.body).where(RULE_SET.c.version == version)).scalar()
    if body is None:
        raise ClubError("unknown_rules_version", version=version)
    return _PARSED.get(body)


def expiry_days_of(conn: Connection) -> Callable[[int], int | None]:
    """A version's expiry days, each version read once (app.domain.expiry: an expire entry took the lots
    the rule set it names made due)."""
    cache: dict[int, int | None] = {}

    def days(version: int) -> int | None:
        if version not in cache:
            cache[version] = get(conn, version).expiry_days
        return cache[version]

    return days


def in_force_at(conn: Connection, at_us: int) -> RuleSet:
    """The rule set in force at a moment: the latest version saved before it, else version 0 (the tables)."""
    version = conn.execute(
        select(RULE_SET.c.version).where(RULE_SET.c.created_at_us < at_us).order_by(RULE_SET.c.version.desc())
    ).scalar()
    return legacy(conn) if version is None else get(conn, version)


def versions(conn: Connection) -> list[VersionInfo]:
    rows = conn.execute(
        select(RULE_SET.c.version, RULE_SET.c.created_at_us, RULE_SET.c.created_by).order_by(
            RULE_SET.c.version
        )
    )
    return [VersionInfo(r.version, r.created_at_us, r.created_by) for r in rows]


def legacy(conn: Connection) -> RuleSet:
    """Version 0: the tier and branch tables as a rule set (as app.store.programme.legacy builds it)."""
    tiers = [
        (t.code, t.name_fa, t.name_en, t.rank, t.threshold_points, t.multiplier_percent)
        for t in conn.execute(select(TIER).order_by(TIER.c.rank))
    ]
    branches = [(b.code, branch_rules(b)) for b in conn.execute(select(BRANCH).order_by(BRANCH.c.code))]
    return replace(version_zero(tiers, branches), offline_grant=grant_policy(conn))


def grant_policy(conn: Connection) -> OfflineGrantPolicy:
    """The grant settings as a rule set's policy (hours rounded up, within the rule set's bounds)."""
    share, cap, ttl_s = club.int_settings(conn, ("grant_share_percent", "grant_cap_points", "grant_ttl_s"))
    hours = min(max(1, -(-ttl_s // 3600)), _MAX_GRANT_HOURS)
    return OfflineGrantPolicy(share_percent=min(max(share, 0), 100), max_points=max(cap, 0), hours=hours)


def branch_rules(branch: Any) -> BranchRules:
    """A branch's scenario from its columns (a branch row or a WireBranch: the same names)."""
    return BranchRules(
        EarningRule(
            points_per_unit=branch.earn_points_per_unit,
            rials_per_unit=branch.earn_rials_per_unit,
            min_sale_rials=branch.earn_min_sale_rials,
            max_points_per_sale=branch.earn_max_points_per_sale,
            rounding=Rounding(branch.earn_rounding),
        ),
        RedemptionPolicy(
            rials_per_point=branch.redeem_rials_per_point, max_share_percent=branch.redeem_max_share_percent
        ),
    )


# ---- saving -----------------------------------------------------------------------------------------


def check_storable(rules: RuleSet) -> None:
    """What the server's tables and the wire also need, beyond the domain's invariants: tiers that fit
    the tier table (ranks 0 to 1000, names of at most 120 characters)."""
    bad = _unstorable_at(to_body(rules), "")
    if bad is not None:  # PostgreSQL's text cannot hold it (the tier table, names shown everywhere)
        raise invalid(bad, "unstorable_text")
    for i, tier in enumerate(rules.tiers):
        if not 0 <= tier.rank <= MAX_TIER_RANK:
            raise invalid(f"tiers.{i}.rank", "out_of_range", allowed=f"0..{MAX_TIER_RANK}")
        try:
            _wire_tier(tier)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            field = {"threshold_points": "threshold"}.get(str(first["loc"][0]), str(first["loc"][0]))
            raise invalid(f"tiers.{i}.{field}", first["type"], message=first["msg"]) from None


def _unstorable(text: str) -> bool:
    """A NUL character, or a lone surrogate (no UTF-8 for it): PostgreSQL's text cannot hold either."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unstorable_at(value: object, path: str) -> str | None:
    """The path of the first text (key or value) PostgreSQL cannot store, or None."""
    if isinstance(value, str):
        return path if _unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            found = here if _unstorable(str(key)) else _unstorable_at(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _unstorable_at(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def _wire_tier(tier: TierRule) -> WireTier:
    return WireTier(
        code=tier.code,
        name_fa=tier.name_fa,
        name_en=tier.name_en,
        rank=tier.rank,
        # on a spend basis the threshold is rials; the table's column is the wire's points field
        threshold_points=min(tier.threshold, MAX_POINTS),
        multiplier_percent=tier.multiplier_percent,
    )


def save(conn: Connection, pub: Publisher, rules: RuleSet, by: str) -> RuleSet:
    """Store the rule set as the next version (its own `version` is ignored) and publish it; returns it
    numbered. Refuses (ClubError "invalid_rules") what the tables cannot hold; nothing is written then."""
    check_storable(rules)
    # the counter row first: versions are numbered, and published, in commit order
    conn.execute(update(COUNTER).where(COUNTER.c.id == COUNTER_ID).values(value=COUNTER.c.value))
    version = latest_version(conn) + 1
    if version > MAX_VERSION:
        raise invalid("version", "out_of_range")
    numbered = replace(rules, version=version)
    body = to_body(numbered)
    conn.execute(
        RULE_SET.insert().values(
            version=version,
            body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            created_at_us=pub.at_us,
            created_by=by[:160],
        )
    )
    _put_tiers(conn, pub, numbered)
    _put_branches(conn, pub, numbered)
    _put_grant_settings(conn, pub, numbered)
    change = RuleSetChange(seq=0, version=version, body=body).model_dump(mode="json", exclude={"seq"})
    pub.change("rule_set", change)
    return numbered


def _put_tiers(conn: Connection, pub: Publisher, rules: RuleSet) -> None:
    """Make the rule set's tiers the table's. Ranks are unique in the table: a tier whose rank another
    takes is parked first; a tier the rule set dropped keeps its row (members may still name it) and,
    if its rank is taken, moves to the highest free rank."""
    stored = {r.code: r for r in conn.execute(select(TIER))}
    wanted = {t.code: _wire_tier(t) for t in rules.tiers}
    rank_of_new = {t.rank: t.code for t in wanted.values()}
    moving = [
        code
        for code, row in stored.items()
        if (code in wanted and wanted[code].rank != row.rank)
        or (code not in wanted and rank_of_new.get(row.rank) not in (None, code))
    ]
    for n, code in enumerate(sorted(moving)):  # parked outside the wire's range, within this transaction
        conn.execute(update(TIER).where(TIER.c.code == code).values(rank=-1 - n))
    used = set(rank_of_new) | {r.rank for c, r in stored.items() if c not in wanted and c not in moving}
    free = (rank for rank in range(MAX_TIER_RANK, -1, -1) if rank not in used)
    for code in sorted(c for c in moving if c not in wanted):  # out of the way first
        dropped = WireTier.model_validate(dict(stored[code]._mapping) | {"rank": next(free)})
        club.put_tier(conn, pub, dropped)
    for tier in wanted.values():
        row = stored.get(tier.code)
        if row is None or WireTier.model_validate(dict(row._mapping)) != tier:
            club.put_tier(conn, pub, tier)


def _put_branches(conn: Connection, pub: Publisher, rules: RuleSet) -> None:
    """Make the branch table's earning and redemption columns what the rule set prices each branch with
    (its own scenario, or the rule set's defaults), within the columns' bounds."""
    for row in conn.execute(select(BRANCH).order_by(BRANCH.c.code)).all():
        stored = club.wire_branch(row)
        scenario = rules.branch_rules(row.code)
        earning, redemption = scenario.earning, scenario.redemption
        cap = earning.max_points_per_sale
        wanted = stored.model_copy(
            update={
                "earn_points_per_unit": min(earning.points_per_unit, MAX_POINTS),
                "earn_rials_per_unit": min(earning.rials_per_unit, MAX_RIALS),
                "earn_min_sale_rials": min(earning.min_sale_rials, MAX_RIALS),
                "earn_max_points_per_sale": None if cap is None else min(cap, MAX_POINTS),
                "earn_rounding": earning.rounding.value,
                "redeem_rials_per_point": min(redemption.rials_per_point, MAX_RIALS),
                "redeem_max_share_percent": redemption.max_share_percent,
            }
        )
        if wanted != stored:
            club.put_branch(conn, pub, WireBranch.model_validate(wanted.model_dump()))


def _put_grant_settings(conn: Connection, pub: Publisher, rules: RuleSet) -> None:
    grant = rules.offline_grant
    wanted = {
        "grant_share_percent": str(grant.share_percent),
        "grant_cap_points": str(grant.max_points),
        "grant_ttl_s": str(grant.hours * 3600),
    }
    have = club.settings(conn)
    for key, value in wanted.items():
        if have.get(key) != value:
            club.put_setting(conn, pub, key, value)
