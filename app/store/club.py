# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's reference data in SQLite: tiers, branches, devices, staff and settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.branch import Branch
from app.domain.errors import ClubError
from app.domain.ledger import GENESIS_HASH
from app.domain.money import Rounding
from app.domain.rules import EarningRule, RedemptionPolicy
from app.domain.staff import Role, Staff
from app.domain.tier import Tier
from app.store import start_up
from app.store.database import Tx, driver
from app.store.schema import BranchRow, DeviceRow, Setting, StaffEventRow, StaffRow, TierRow
from app.store.start_up import Device

TIER = TierRow.__table__
BRANCH = BranchRow.__table__
DEVICE = DeviceRow.__table__
STAFF = StaffRow.__table__
SETTING = Setting.__table__
STAFF_EVENT = StaffEventRow.__table__
# Read on every sale: straight to the driver (see app.store.database.driver), with named columns so that
# a row is a plain tuple in a known order.
_TIER_COLUMNS = ("code", "name_fa", "name_en", "rank", "threshold_points", "multiplier_percent")
_BRANCH_COLUMNS = (
    "id", "code", "name_fa", "name_en", "earn_points_per_unit", "earn_rials_per_unit", "earn_min_sale_rials",
    "earn_max_points_per_sale", "earn_rounding", "redeem_rials_per_point", "redeem_max_share_percent",
)  # fmt: skip
_TIER_SQL = f"SELECT {', '.join(_TIER_COLUMNS)} FROM tier WHERE code = ?"
_BRANCH_SQL = f"SELECT {', '.join(_BRANCH_COLUMNS)} FROM branch WHERE id = ?"
_ALL_TIERS_SQL = f"SELECT {', '.join(_TIER_COLUMNS)} FROM tier ORDER BY rank"
_ALL_BRANCHES_SQL = f"SELECT {', '.join(_BRANCH_COLUMNS)} FROM branch ORDER BY code"
# Tiers and branches built from rows, keyed by the whole row: the row is still read in every transaction,
# so an edited tier or branch (here, by sync or by another process) is a new key and never served stale;
# only rebuilding the same objects sale after sale is saved. Bounded: cleared when full.
_BUILT: dict[tuple[object, ...], Any] = {}
_BUILT_MAX = 256
_T = TypeVar("_T")


def tier_values(tier: Tier) -> dict[str, object]:
    """The tier as its table's row."""
    return {
        "code": tier.code,
        "name_fa": tier.name_fa,
        "name_en": tier.name_en,
        "rank": tier.rank,
        "threshold_points": tier.threshold_points,
        "multiplier_percent": tier.multiplier_percent,
    }


def put_tier(conn: Connection, tier: Tier) -> None:
    values = tier_values(tier)
    stmt = sqlite_insert(TIER).values(**values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[TIER.c.code], set_=values))


def tiers(conn: Connection) -> list[Tier]:
    rows = conn.execute(select(TIER).order_by(TIER.c.rank))
    return [Tier(**dict(r._mapping)) for r in rows]


def _built(key: tuple[object, ...], build: Callable[[], _T]) -> _T:
    found: _T | None = _BUILT.get(key)
    if found is None:
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        found = _BUILT[key] = build()
    return found


def tier(conn: Tx, code: str) -> Tier:
    row = driver(conn).execute(_TIER_SQL, (code,)).fetchone()
    if row is None:
        raise ClubError("unknown_tier", tier=code)
    return _built(("tier", *row), lambda: Tier(**dict(zip(_TIER_COLUMNS, row, strict=True))))


def entry_tier(conn: Connection) -> Tier:
    """The tier a new member starts in: the lowest rank."""
    row = conn.execute(select(TIER).order_by(TIER.c.rank).limit(1)).one_or_none()
    if row is None:
        raise ClubError("club_not_set_up")
    return Tier(**dict(row._mapping))


def branch_values(branch: Branch) -> dict[str, object]:
    """The branch and its earning scenario as its table's (flat) row."""
    return {
        "id": branch.id,
        "code": branch.code,
        "name_fa": branch.name_fa,
        "name_en": branch.name_en,
        "earn_points_per_unit": branch.earning.points_per_unit,
        "earn_rials_per_unit": branch.earning.rials_per_unit,
        "earn_min_sale_rials": branch.earning.min_sale_rials,
        "earn_max_points_per_sale": branch.earning.max_points_per_sale,
        "earn_rounding": branch.earning.rounding.value,
        "redeem_rials_per_point": branch.redemption.rials_per_point,
        "redeem_max_share_percent": branch.redemption.max_share_percent,
    }


def put_branch(conn: Connection, branch: Branch) -> None:
    conn.execute(insert(BRANCH).values(**branch_values(branch)))


def _branch(row: Any) -> Branch:
    r = row._mapping if hasattr(row, "_mapping") else row
    return Branch(
        id=r["id"],
        code=r["code"],
        name_fa=r["name_fa"],
        name_en=r["name_en"],
        earning=EarningRule(
            points_per_unit=r["earn_points_per_unit"],
            rials_per_unit=r["earn_rials_per_unit"],
            min_sale_rials=r["earn_min_sale_rials"],
            max_points_per_sale=r["earn_max_points_per_sale"],
            rounding=Rounding(r["earn_rounding"]),
        ),
        redemption=RedemptionPolicy(
            rials_per_point=r["redeem_rials_per_point"],
            max_share_percent=r["redeem_max_share_percent"],
        ),
    )


def branch(conn: Tx, branch_id: str) -> Branch:
    row = driver(conn).execute(_BRANCH_SQL, (branch_id,)).fetchone()
    if row is None:
        raise ClubError("unknown_branch", branch=branch_id)
    return _built(("branch", *row), lambda: _branch(dict(zip(_BRANCH_COLUMNS, row, strict=True))))


def branch_by_code(conn: Connection, code: str) -> Branch:
    row = conn.execute(select(BRANCH).where(BRANCH.c.code == code)).one_or_none()
    if row is None:
        raise ClubError("unknown_branch", branch=code)
    return _branch(row)


def branches(conn: Connection) -> list[Branch]:
    return [_branch(r) for r in conn.execute(select(BRANCH).order_by(BRANCH.c.code))]


def tier_and_branch_rows(conn: Tx) -> tuple[list[Tier], list[Branch]]:
    """Every tier (by rank) and branch (by code), in either kind of transaction (app.store.database)."""
    raw = driver(conn)
    tier_rows = raw.execute(_ALL_TIERS_SQL).fetchall()
    branch_rows = raw.execute(_ALL_BRANCHES_SQL).fetchall()
    return (
        [Tier(**dict(zip(_TIER_COLUMNS, r, strict=True))) for r in tier_rows],
        [_branch(dict(zip(_BRANCH_COLUMNS, r, strict=True))) for r in branch_rows],
    )


def put_device(conn: Connection, device: Device) -> None:
    conn.execute(
        insert(DEVICE).values(
            id=device.id,
            code=device.code,
            branch_id=device.branch_id,
            is_self=device.is_self,
            last_seq=0,
            head_hash=GENESIS_HASH,
        )
    )


def self_device(conn: Tx) -> Device | None:
    """This terminal's own device record, if the club has been set up here."""
    return start_up.self_device(driver(conn))


def put_staff(conn: Connection, staff: Staff, pin_hash: str) -> None:
    conn.execute(
        insert(STAFF).values(
            id=staff.id,
            name=staff.name,
            role=staff.role.value,
            branch_id=staff.branch_id,
            pin_hash=pin_hash,
            active=staff.active,
        )
    )


def staff_with_pin_hash(conn: Connection, key: str) -> tuple[Staff, str]:
    """A member of staff by id or exact name, with their stored PIN hash."""
    row = conn.execute(select(STAFF).where((STAFF.c.id == key) | (STAFF.c.name == key))).first()
    if row is None:
        raise ClubError("unknown_staff", staff=key)
    r = row._mapping
    staff = Staff(
        id=r["id"],
        name=r["name"],
        role=Role(r["role"]),
        branch_id=r["branch_id"],
        active=r["active"],
    )
    return staff, r["pin_hash"]


def all_staff(conn: Tx) -> list[Staff]:
    return start_up.all_staff(driver(conn))


def setting(conn: Connection, key: str, default: str | None = None) -> str | None:
    value = conn.execute(select(SETTING.c.value).where(SETTING.c.key == key)).scalar_one_or_none()
    return default if value is None else value


def settings(conn: Tx, keys: Sequence[str]) -> dict[str, str]:
    """The settings among `keys` that are set, in one statement (a card's verdict reads four at each tap,
    so on the driver: see app.store.database.driver)."""
    sql = f"SELECT key, value FROM setting WHERE key IN ({', '.join('?' * len(keys))})"
    return dict(driver(conn).execute(sql, tuple(keys)).fetchall())


def put_setting(conn: Connection, key: str, value: str) -> None:
    stmt = sqlite_insert(SETTING).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=[SETTING.c.key], set_={"value": value}))


def pin_state(conn: Connection, staff_id: str) -> tuple[int, int | None]:
    """(wrong PINs in a row, locked until) for a member of staff."""
    row = conn.execute(
        select(STAFF.c.failed_pins, STAFF.c.locked_until_us).where(STAFF.c.id == staff_id)
    ).one()
    return row.failed_pins, row.locked_until_us


def set_pin_state(conn: Connection, staff_id: str, failed: int, locked_until_us: int | None) -> None:
    conn.execute(
        update(STAFF)
        .where(STAFF.c.id == staff_id)
        .values(failed_pins=failed, locked_until_us=locked_until_us)
    )


def add_staff_event(
    conn: Connection, event_id: str, staff_id: str, kind: str, *, at_us: int, device_id: str
) -> None:
    conn.execute(
        insert(STAFF_EVENT).values(
            id=event_id, staff_id=staff_id, kind=kind, at_us=at_us, device_id=device_id
        )
    )


def staff_events(conn: Connection, staff_id: str) -> list[str]:
    rows = conn.execute(
        select(STAFF_EVENT.c.kind).where(STAFF_EVENT.c.staff_id == staff_id).order_by(STAFF_EVENT.c.at_us)
    )
    return list(rows.scalars())
