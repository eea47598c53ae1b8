# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's reference data on the server: settings, tiers, branches, staff, devices and keys.

The package's modules are the use cases (sync.server.club.act, access, users, …); none may be named as a
function here (branches, staff, settings…): importing it would replace that function on the package.

Every write here publishes the record's new state as a change (sync.server.sequence), in the same
transaction, so terminals follow after their next pull.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select

from sync.protocol import SETTINGS, WireBranch, WireDevice, WireKey, WireStaff, WireTier
from sync.server.db import dialect_insert
from sync.server.errors import ApiError
from sync.server.models import BRANCH, CLOSED_BRANCH, CLUB_KEY, DEVICE, SETTING, STAFF, TIER
from sync.server.sequence import Publisher

DAY_S = 24 * 3600
MAX_KEY_ID = 0xFFFF  # key ids are 16 bits in the card and invitation formats
# What a new club starts with (`db upgrade` publishes whichever are missing).
DEFAULT_SETTINGS = {
    "club_name_fa": "باشگاه",
    "club_name_en": "Bashgah",
    "revocation_max_age_s": str(3 * DAY_S),  # the terminal's own default (app.services.cards)
    "grant_share_percent": "30",
    "grant_cap_points": "2000",
    "grant_ttl_s": str(3 * DAY_S),
    "club_card_prefix": "9826",
    "card_old_cards": "accept",  # cards of before chip keys keep working until the club retires them
    "card_unchecked_chips": "earn_only",
}
NUMERIC_SETTINGS = {"revocation_max_age_s", "grant_share_percent", "grant_cap_points", "grant_ttl_s"}
assert set(DEFAULT_SETTINGS) == set(SETTINGS), "every published setting has a default"
# The server's own settings, never published: what one terminal may add in an hour of its clock before the
# rest is set aside for review (sync.server.vetting.velocity). A few times a busy till's hour.
SERVER_SETTINGS = {
    "velocity_points_per_hour": "50000",
    "velocity_wallet_rials_per_hour": "500000000",
    "velocity_entries_per_hour": "2000",
    # messages to members (sync.server.messages): "1" stops every send at once (the back office's switch)
    "messages_stopped": "0",
    # no marketing (nor reminders) between these club-time hours; equal: no quiet hours
    "messages_quiet_start": "22:00",
    "messages_quiet_end": "09:00",
    # a pushed entry older than this (days) when it reaches the server causes no message
    "messages_max_age_days": "3",
    "messages_sender_name": "",
    # what one SMS part and one email cost the club, in rials (the cost shown before a campaign is sent)
    "messages_sms_part_rials": "2500",
    "messages_email_rials": "0",
    # reminders: points expiring within N days, a paid membership ending within N days
    "messages_expiring_days": "14",
    "messages_membership_days": "7",
    # clone detection (sync.server.card_taps): one card at two branches within this many minutes is an
    # alert; 0 turns the check off
    "card_travel_minutes": "30",
}


def _upsert(conn: Connection, table: Any, key: str, values: dict[str, Any]) -> None:
    statement = dialect_insert(conn, table).values(**values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[key], set_={k: v for k, v in values.items() if k != key}
        )
    )


# ---- settings ---------------------------------------------------------------------------------------


def settings(conn: Connection) -> dict[str, str]:
    return {r.key: r.value for r in conn.execute(select(SETTING.c.key, SETTING.c.value))}


def setting(conn: Connection, key: str) -> str:
    value = conn.execute(select(SETTING.c.value).where(SETTING.c.key == key)).scalar_one_or_none()
    return _default(key) if value is None else value


def _default(key: str) -> str:
    return DEFAULT_SETTINGS[key] if key in DEFAULT_SETTINGS else SERVER_SETTINGS[key]


def int_settings(conn: Connection, keys: tuple[str, ...]) -> tuple[int, ...]:
    """Several whole-number settings in one query, in the order asked."""
    rows = dict(conn.execute(select(SETTING.c.key, SETTING.c.value).where(SETTING.c.key.in_(keys))).all())
    return tuple(_whole(rows.get(key), key) for key in keys)


def _whole(value: str | None, key: str) -> int:
    try:
        return int(_default(key) if value is None else value)
    except ValueError:
        return int(_default(key))


def int_setting(conn: Connection, key: str) -> int:
    try:
        return int(setting(conn, key))
    except ValueError:
        return int(_default(key))


def put_setting(conn: Connection, pub: Publisher, key: str, value: str) -> None:
    _upsert(conn, SETTING, "key", {"key": key, "value": value})
    if key in SETTINGS:
        pub.change("setting", {"kind": "setting", "key": key, "value": value})


def ensure_default_settings(conn: Connection, pub: Publisher) -> list[str]:
    """Write (and publish) the defaults a database does not have yet; returns their keys."""
    have = settings(conn)
    missing = [key for key in DEFAULT_SETTINGS if key not in have]
    for key in missing:
        put_setting(conn, pub, key, DEFAULT_SETTINGS[key])
    return missing


# ---- tiers, branches, staff -----------------------------------------------------------------------


def tiers(conn: Connection) -> list[WireTier]:
    rows = conn.execute(select(TIER).order_by(TIER.c.rank))
    return [WireTier.model_validate(dict(r._mapping)) for r in rows]


def put_tier(conn: Connection, pub: Publisher, tier: WireTier) -> None:
    _upsert(conn, TIER, "code", tier.model_dump())
    pub.change("tier", {"kind": "tier", "tier": tier.model_dump(mode="json")})


def wire_branch(row: Row[Any]) -> WireBranch:
    return WireBranch.model_validate(dict(row._mapping))


def branches(conn: Connection) -> list[WireBranch]:
    return [wire_branch(r) for r in conn.execute(select(BRANCH).order_by(BRANCH.c.code))]


def branch(conn: Connection, branch_id: str) -> WireBranch | None:
    row = conn.execute(select(BRANCH).where(BRANCH.c.id == branch_id)).one_or_none()
    return None if row is None else wire_branch(row)


def branch_by_code(conn: Connection, code: str) -> WireBranch | None:
    row = conn.execute(select(BRANCH).where(BRANCH.c.code == code)).one_or_none()
    return None if row is None else wire_branch(row)


def require_open_branch(conn: Connection, branch_id: str) -> None:
    """Refuse new terminals or staff at a branch head office closed (sync.server.club.branch_admin)."""
    if conn.execute(select(CLOSED_BRANCH.c.branch_id).where(CLOSED_BRANCH.c.branch_id == branch_id)).first():
        raise ApiError(409, "branch_closed", "this branch is closed; reopen it first")


def put_branch(conn: Connection, pub: Publisher, branch: WireBranch) -> None:
    _upsert(conn, BRANCH, "id", branch.model_dump())
    pub.change("branch", {"kind": "branch", "branch": branch.model_dump(mode="json")})


def staff_list(conn: Connection) -> list[WireStaff]:
    rows = conn.execute(select(STAFF).order_by(STAFF.c.name, STAFF.c.id))
    return [WireStaff.model_validate(dict(r._mapping)) for r in rows]


def staff_by_id(conn: Connection, staff_id: str) -> WireStaff | None:
    row = conn.execute(select(STAFF).where(STAFF.c.id == staff_id)).one_or_none()
    return None if row is None else WireStaff.model_validate(dict(row._mapping))


def put_staff(conn: Connection, pub: Publisher, member_of_staff: WireStaff) -> None:
    _upsert(conn, STAFF, "id", member_of_staff.model_dump())
    pub.change("staff", {"kind": "staff", "staff": member_of_staff.published()})


# ---- devices and keys -----------------------------------------------------------------------------


def publish_device(pub: Publisher, device_id: str, code: str, branch_id: str) -> None:
    device = WireDevice(id=device_id, code=code, branch_id=branch_id)
    pub.change("device", {"kind": "device", "device": device.model_dump(mode="json")})


def put_key(conn: Connection, pub: Publisher, key: WireKey, device_id: str | None) -> None:
    _upsert(conn, CLUB_KEY, "key_id", key.model_dump() | {"device_id": device_id})
    pub.change("club_key", {"kind": "club_key", "key": key.model_dump(mode="json")})


def retire_device_keys(conn: Connection, pub: Publisher, device_id: str, now_us: int) -> None:
    """Retire a revoked device's card-signing keys: its cards stay valid, it signs no new ones."""
    keys = conn.execute(
        select(CLUB_KEY).where(CLUB_KEY.c.device_id == device_id, CLUB_KEY.c.retired_at_us.is_(None))
    ).all()
    for key in keys:
        retired = WireKey(
            key_id=key.key_id,
            public_key=key.public_key,
            created_at_us=key.created_at_us,
            retired_at_us=now_us,
            purpose=key.purpose,
        )
        put_key(conn, pub, retired, device_id)


def device_numbers(conn: Connection) -> set[int]:
    return set(conn.execute(select(DEVICE.c.number)).scalars())


def key_ids(conn: Connection) -> set[int]:
    return set(conn.execute(select(CLUB_KEY.c.key_id)).scalars())


def next_key_id(conn: Connection) -> int:
    """A key id no club key has: the highest in use + 1, then the lowest free (1..65535). The caller holds
    the counter row (an enrolment does, for its whole transaction), so two new keys never race for one id."""
    taken = key_ids(conn)
    key_id = next((k for k in range(max(taken, default=0) + 1, MAX_KEY_ID + 1) if k not in taken), None)
    key_id = key_id or next((k for k in range(1, MAX_KEY_ID + 1) if k not in taken), None)
    if key_id is None:
        raise ApiError(409, "no_key_ids", "the club has used every key id")
    return key_id
