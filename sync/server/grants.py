# SPDX-License-Identifier: GPL-3.0-or-later
"""Spending: offline grants (POST /v1/grants) and online authorisation (POST /v1/spend).

A grant lets one device spend up to `points` of one member's balance without asking again; the device's
redeem entries for that member with device_seq > `after_seq` draw on it. What is still *outstanding*
on a grant is its points less what those entries drew, while it is unexpired. A member's points are
*available* to a device = balance − the outstanding grants of every other device; grants never add up
to more than the balance, so offline spending cannot overdraw.

Deciding reads the balance and the other grants and then writes a grant, so it must not interleave with
another decision or a push for the same member: it first takes the member's balance row lock (an UPDATE
that bumps `lock_version`); pushes update that row too. On PostgreSQL READ COMMITTED each statement
after the lock sees what the previous holder committed. Members are locked in id order.

Both kinds of grant are the device's one current grant for the member: a new one replaces the old, on
both ends (an online spend's grant is bound to its redeem entry by `for_entry`). Grants are signed with
the device's grant key (sync.protocol.grant_key), which the server keeps instead of the token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update

from app.domain.ids import uuid7
from app.domain.ledger import EntryKind
from sync.protocol import Grant, GrantsRequest, SpendRequest, sign_grant_with_key
from sync.server import club
from sync.server.db import dialect_insert
from sync.server.errors import ApiError
from sync.server.models import BALANCE, CURRENT_GRANT, ENTRY, GRANT

_UNSIGNED = "0" * 64


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """The authenticated device, as grants need it."""

    device_id: str
    contiguous_seq: int
    grant_key: bytes


@dataclass(frozen=True, slots=True)
class _Policy:
    share_percent: int
    cap_points: int
    ttl_us: int


def _policy(conn: Connection) -> _Policy:
    return _Policy(
        share_percent=max(0, min(100, club.int_setting(conn, "grant_share_percent"))),
        cap_points=max(0, club.int_setting(conn, "grant_cap_points")),
        ttl_us=max(0, club.int_setting(conn, "grant_ttl_s")) * 1_000_000,
    )


def _require_pushed(device: DeviceKey, after_seq: int) -> None:
    if device.contiguous_seq < after_seq:
        raise ApiError(
            409,
            "push_first",
            "push your entries up to after_seq first",
            contiguous_seq=device.contiguous_seq,
        )


def grants(conn: Connection, device: DeviceKey, request: GrantsRequest, now_us: int) -> list[Grant]:
    """One grant per member asked for (0 points for a member the server does not know)."""
    _require_pushed(device, request.after_seq)
    policy = _policy(conn)
    wanted = list(dict.fromkeys(request.member_ids))
    # lock order: members by id, so two devices asking for overlapping members cannot deadlock
    decided = {
        m: _offline_grant(conn, device, m, after_seq=request.after_seq, policy=policy, now_us=now_us)
        for m in sorted(wanted)
    }
    return [decided[m] for m in wanted]


def _offline_grant(
    conn: Connection, device: DeviceKey, member_id: str, *, after_seq: int, policy: _Policy, now_us: int
) -> Grant:
    """min(share of the balance, cap, available); nothing for an unknown or restricted member."""
    locked = _lock_member(conn, member_id)
    points, restricted = locked if locked is not None else (0, True)
    amount = 0
    if not restricted:
        available = points - _outstanding_elsewhere(conn, member_id, device.device_id, now_us)
        amount = max(0, min(points * policy.share_percent // 100, policy.cap_points, available))
    fields = _fields(
        member_id, device, points=amount, after_seq=after_seq, now_us=now_us, ttl_us=policy.ttl_us
    )
    grant = _sign(device, fields)
    return grant if locked is None else _store(conn, grant)


def spend(conn: Connection, device: DeviceKey, request: SpendRequest, now_us: int) -> Grant:
    """Authorise spending `points` now for the redeem entry `entry_id`; the same request, the same grant.

    The stored answer is looked for only once the member's lock is held: a copy of this request that
    arrived at the same moment may have held the lock first, and it commits before the lock passes on,
    so this statement sees its grant (looked for earlier, both copies would miss it and the second
    would break the unique `for_entry`).
    """
    _require_pushed(device, request.after_seq)
    locked = _lock_member(conn, request.member_id)
    earlier = _grant_for_entry(conn, request.entry_id)
    if earlier is not None:
        same = (earlier.device_id, earlier.member_id, earlier.points) == (
            device.device_id,
            request.member_id,
            request.points,
        )
        if not same:
            raise ApiError(409, "entry_conflict", "this entry id was authorised for another spend")
        return earlier
    if locked is None:
        raise ApiError(404, "unknown_member", "the server does not know this member")
    points, _restricted = locked
    available = max(0, points - _outstanding_elsewhere(conn, request.member_id, device.device_id, now_us))
    if available < request.points:
        raise ApiError(409, "insufficient_points", "not enough points available", available=available)
    fields = _fields(
        request.member_id,
        device,
        points=request.points,
        after_seq=request.after_seq,
        now_us=now_us,
        ttl_us=_policy(conn).ttl_us,
        for_entry=request.entry_id,
    )
    return _store(conn, _sign(device, fields))


def _lock_member(conn: Connection, member_id: str) -> tuple[int, bool] | None:
    """Take the member's balance row lock; (points, restricted), or None for an unknown member."""
    row = conn.execute(
        update(BALANCE)
        .where(BALANCE.c.member_id == member_id)
        .values(lock_version=BALANCE.c.lock_version + 1)
        .returning(BALANCE.c.points, BALANCE.c.restricted)
    ).first()
    return None if row is None else (int(row.points), bool(row.restricted))


def _outstanding_elsewhere(conn: Connection, member_id: str, device_id: str, now_us: int) -> int:
    """What other devices' unexpired current grants for the member still allow them to spend."""
    rows = conn.execute(
        select(GRANT.c.device_id, GRANT.c.points, GRANT.c.after_seq)
        .join(CURRENT_GRANT, CURRENT_GRANT.c.grant_id == GRANT.c.grant_id)
        .where(
            CURRENT_GRANT.c.member_id == member_id,
            CURRENT_GRANT.c.device_id != device_id,
            GRANT.c.expires_at_us > now_us,
            GRANT.c.points > 0,
        )
    ).all()
    return sum(max(0, r.points - _drawn(conn, member_id, r.device_id, r.after_seq)) for r in rows)


def _drawn(conn: Connection, member_id: str, device_id: str, after_seq: int) -> int:
    """Points the device's redeem entries after `after_seq` spent for the member (those the server holds)."""
    spent = conn.execute(
        select(func.coalesce(func.sum(-ENTRY.c.points_delta), 0)).where(
            ENTRY.c.member_id == member_id,
            ENTRY.c.device_id == device_id,
            ENTRY.c.kind == EntryKind.REDEEM.value,
            ENTRY.c.device_seq > after_seq,
        )
    ).scalar_one()
    return int(spent)


def _fields(
    member_id: str,
    device: DeviceKey,
    *,
    points: int,
    after_seq: int,
    now_us: int,
    ttl_us: int,
    for_entry: str | None = None,
) -> dict[str, Any]:
    return {
        "grant_id": str(uuid7(now_us // 1000, os.urandom(10))),
        "member_id": member_id,
        "device_id": device.device_id,
        "points": points,
        "after_seq": after_seq,
        "issued_at_us": now_us,
        "expires_at_us": now_us + ttl_us,
        "for_entry": for_entry,
    }


def _sign(device: DeviceKey, fields: dict[str, Any]) -> Grant:
    unsigned = Grant.model_validate(fields | {"signature": _UNSIGNED})
    return unsigned.model_copy(update={"signature": sign_grant_with_key(unsigned, device.grant_key)})


def _store(conn: Connection, grant: Grant) -> Grant:
    """Keep the grant and make it the device's current one for the member."""
    conn.execute(GRANT.insert().values(**grant.model_dump()))
    statement = dialect_insert(conn, CURRENT_GRANT).values(
        member_id=grant.member_id, device_id=grant.device_id, grant_id=grant.grant_id
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["member_id", "device_id"], set_={"grant_id": grant.grant_id}
        )
    )
    return grant


def _grant_for_entry(conn: Connection, entry_id: str) -> Grant | None:
    row = conn.execute(select(GRANT).where(GRANT.c.for_entry == entry_id)).one_or_none()
    return None if row is None else Grant.model_validate(dict(row._mapping))
