# SPDX-License-Identifier: GPL-3.0-or-later
"""Chip cards the terminals accepted (sync.protocol.CardTapItem), as their pushes report them: clone
detection.

Two signs of a copied card, each an alert for the review queue (a person decides; the taps stand, as two
doors' admissions do):

- `card_two_branches`: one card at two branches closer in time than anyone travels between them. Branches
  carry no coordinates, so "no one travels" is the club's setting `card_travel_minutes` (default 30; 0
  turns the check off), whatever the two branches.
- `card_counter_backwards`: the chip counts its reads, so of two taps of one card the later must show the
  higher counter. A tap whose counter is not above one tapped before it, or not below one tapped after it,
  or equals any other (the same read twice: a recording played back), is flagged. Taps are ordered by the
  terminal's clock at the tap (`used_at_us`), never by when they reached the server: an offline terminal
  pushes a day's taps late, and taps arriving out of order but counting forward are no sign of anything.
  Terminals' clocks disagree a little: two terminals' taps closer than CLOCK_SKEW_US are compared only
  for an equal counter.

Each tap is compared once, when it arrives, with the taps already held (a retried push stores nothing, so
alerts nothing): each pair of taps is looked at once, and a new tap raises at most one alert of each kind,
naming the tap nearest in time it conflicts with, so a clone used all day does not bury the queue.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, text

from sync.protocol import CardTapItem
from sync.server import club, members
from sync.server.alerts import raise_alert
from sync.server.db import dialect_insert
from sync.server.models import BRANCH, CARD_TAP, DEVICE

TWO_BRANCHES = "card_two_branches"
COUNTER_BACKWARDS = "card_counter_backwards"
TRAVEL_SETTING = "card_travel_minutes"
MAX_TRAVEL_MINUTES = 24 * 60  # club_settings' rule for it
CLOCK_SKEW_US = 120 * 1_000_000
MINUTE_US = 60 * 1_000_000


def refusal(conn: Connection, item: CardTapItem) -> str | None:
    """Why the server cannot keep this report: a card it did not issue to this member."""
    owner = members.card_owner(conn, item.card_number)
    return "unknown_card" if owner is None or owner != item.member_id else None


def record(conn: Connection, device_id: str, branch_id: str, item: CardTapItem, at_us: int) -> None:
    """Keep the tap (once: by the item's id) and compare it with the card's other taps."""
    _lock(conn, item.card_number)
    kept = conn.execute(
        dialect_insert(conn, CARD_TAP)
        .values(
            id=item.id,
            card_number=item.card_number,
            member_id=item.member_id,
            device_id=device_id,
            branch_id=branch_id,
            used_at_us=item.used_at_us,
            purpose=item.purpose,
            chip=item.chip,
            read_counter=item.read_counter,
            received_at_us=at_us,
        )
        .on_conflict_do_nothing()
        .returning(CARD_TAP.c.id)
    ).first()
    if kept is None:
        return  # reported already
    (minutes,) = club.int_settings(conn, (TRAVEL_SETTING,))
    minutes = min(minutes, MAX_TRAVEL_MINUTES)  # a setting written past its rule must not overflow a query
    other = _too_soon_elsewhere(conn, item, branch_id, minutes * MINUTE_US) if minutes > 0 else None
    if other is not None:
        _alert(conn, at_us, TWO_BRANCHES, device_id=device_id, item=item, other_id=other,
               travel_minutes=minutes)  # fmt: skip
    other = _counter_conflict(conn, item, device_id) if item.read_counter is not None else None
    if other is not None:
        _alert(conn, at_us, COUNTER_BACKWARDS, device_id=device_id, item=item, other_id=other)


def _nearest(conn: Connection, item: CardTapItem, *conditions: Any) -> str | None:
    """The id of the card's other tap nearest in time to this one that meets the conditions."""
    return conn.execute(
        select(CARD_TAP.c.id)
        .where(CARD_TAP.c.member_id == item.member_id, CARD_TAP.c.card_number == item.card_number)
        .where(CARD_TAP.c.id != item.id, *conditions)
        .order_by(func.abs(CARD_TAP.c.used_at_us - item.used_at_us), CARD_TAP.c.used_at_us, CARD_TAP.c.id)
        .limit(1)
    ).scalar_one_or_none()


def _too_soon_elsewhere(conn: Connection, item: CardTapItem, branch_id: str, window_us: int) -> str | None:
    return _nearest(
        conn,
        item,
        CARD_TAP.c.branch_id != branch_id,
        CARD_TAP.c.used_at_us > item.used_at_us - window_us,
        CARD_TAP.c.used_at_us < item.used_at_us + window_us,
    )


def _counter_conflict(conn: Connection, item: CardTapItem, device_id: str) -> str | None:
    t, counter = item.used_at_us, item.read_counter
    tap = CARD_TAP.c
    # a tap of another terminal this close may be either side of this one: its clock is not ours
    apart = or_(tap.device_id == device_id, func.abs(tap.used_at_us - t) >= CLOCK_SKEW_US)
    return _nearest(
        conn,
        item,
        tap.read_counter.is_not(None),
        or_(
            tap.read_counter == counter,
            and_(tap.used_at_us < t, tap.read_counter > counter, apart),  # an earlier tap counted higher
            and_(tap.used_at_us > t, tap.read_counter < counter, apart),  # a later tap counted lower
        ),
    )


def _alert(
    conn: Connection, at_us: int, kind: str, *, device_id: str, item: CardTapItem, other_id: str, **extra: Any
) -> None:
    taps = _described(conn, [item.id, other_id])
    raise_alert(
        conn,
        at_us,
        kind,
        device_id=device_id,
        member_id=item.member_id,
        subject=item.card_number,
        card_number=item.card_number,
        taps=taps,
        minutes_apart=abs(taps[1]["used_at_us"] - taps[0]["used_at_us"]) // MINUTE_US,
        **extra,
    )


def _described(conn: Connection, ids: list[str]) -> list[dict[str, Any]]:
    """The taps as the review queue shows them (terminal, branch in both languages), earliest first."""
    rows = conn.execute(
        select(
            CARD_TAP,
            DEVICE.c.code.label("device_code"),
            BRANCH.c.code.label("branch_code"),
            BRANCH.c.name_fa.label("branch_name_fa"),
            BRANCH.c.name_en.label("branch_name_en"),
        )
        .outerjoin(DEVICE, DEVICE.c.id == CARD_TAP.c.device_id)
        .outerjoin(BRANCH, BRANCH.c.id == CARD_TAP.c.branch_id)
        .where(CARD_TAP.c.id.in_(ids))
        .order_by(CARD_TAP.c.used_at_us, CARD_TAP.c.id)
    ).all()
    keys = ("id", "device_id", "device_code", "branch_id", "branch_code", "branch_name_fa", "branch_name_en",
            "used_at_us", "read_counter", "chip", "purpose")  # fmt: skip
    return [{key: getattr(row, key) for key in keys} for row in rows]


def _lock(conn: Connection, card_number: str) -> None:
    """Two pushes of one card's taps at once: the second waits for the first to commit, then sees its tap
    (PostgreSQL, READ COMMITTED; SQLite writes one transaction at a time anyway)."""
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"card_tap:{card_number}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
