# SPDX-License-Identifier: GPL-3.0-or-later
"""Points expire a set time after they were earned, oldest first (FIFO).

Every entry that adds points is a lot dated by its creation; every entry that takes points (spending,
returns, expiry itself) uses up the oldest lots first. What is left of a lot on its expiry date expires.
A deficit (a balance below zero after an override) is paid by the next lots before they can expire.
The server writes the `expire` entries (sync.server.programme); every screen shows what will expire next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.domain.ledger import LedgerEntry
from app.domain.programme import US_PER_DAY


@dataclass(frozen=True, slots=True)
class Lot:
    earned_at_us: int
    points: int  # what is left of it


@dataclass(frozen=True, slots=True)
class Expiring:
    points: int
    at_us: int  # when these points expire


def lots(entries: Iterable[LedgerEntry]) -> list[Lot]:
    """What is left of each earning, oldest first, after every deduction took the oldest first."""
    ordered = sorted(entries, key=lambda e: (e.created_at_us, e.id))
    remaining: list[list[int]] = []  # [earned_at, points]
    debt = 0
    for entry in ordered:
        delta = entry.points_delta
        if delta > 0:
            paid = min(debt, delta)
            debt -= paid
            if delta > paid:
                remaining.append([entry.created_at_us, delta - paid])
        elif delta < 0:
            need = -delta
            while need and remaining:
                take = min(need, remaining[0][1])
                remaining[0][1] -= take
                need -= take
                if remaining[0][1] == 0:
                    remaining.pop(0)
            debt += need
    return [Lot(at, points) for at, points in remaining]


def due(entries: Iterable[LedgerEntry], expiry_days: int | None, now_us: int) -> int:
    """Points whose expiry has come by now and that have not been used or expired yet."""
    if expiry_days is None:
        return 0
    cutoff = now_us - expiry_days * US_PER_DAY
    return sum(lot.points for lot in lots(entries) if lot.earned_at_us <= cutoff)


def next_expiring(entries: Iterable[LedgerEntry], expiry_days: int | None, now_us: int) -> Expiring | None:
    """The next points to expire after now (the oldest lot still standing), for the member view."""
    if expiry_days is None:
        return None
    life = expiry_days * US_PER_DAY
    upcoming = [lot for lot in lots(entries) if lot.earned_at_us + life > now_us]
    if not upcoming:
        return None
    first = upcoming[0].earned_at_us + life
    # lots earned on the same local moment expire together; group by the exact expiry instant
    return Expiring(sum(lot.points for lot in upcoming if lot.earned_at_us + life == first), first)
