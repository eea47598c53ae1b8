# SPDX-License-Identifier: GPL-3.0-or-later
"""Points expire a set time after they were earned, oldest first (FIFO).

Every entry that adds points is a lot dated by its creation; every entry that takes points (spending,
returns) uses up the oldest lots first. What is left of a lot on its expiry date expires.
A deficit (a balance below zero after an override) is paid by the next lots before they can expire.
The server writes the `expire` entries (sync.server.programme); every screen shows what will expire next.

An `expire` entry takes only from the lots earned `expiry_days` before it (its cutoff): the server's run
decided it from the entries it knew, and a spend made offline before the run but pushed after it is
charged (by its creation time) to those same oldest lots. What the expiry then cannot take there is
over-expired: neither a debt nor a charge on newer lots, but points the club owes back. The next run gives
them back with an `expire` entry of positive points (reason "expiry_given_back"), which cancels
over-expiry rather than making a new lot. So balance == sum(lots) − debt − over-expired, always.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.programme import US_PER_DAY

GIVEN_BACK = "expiry_given_back"  # the reason of the server's give-back entry


@dataclass(frozen=True, slots=True)
class Lot:
    earned_at_us: int
    points: int  # what is left of it


@dataclass(frozen=True, slots=True)
class Expiring:
    points: int
    at_us: int  # when these points expire


@dataclass(slots=True)
class _Walk:
    """The FIFO walk's state: lots standing ([earned_at, points], oldest first), debt, over-expired."""

    remaining: list[list[int]]
    debt: int = 0
    over: int = 0

    def add(self, at_us: int, points: int) -> None:
        paid = min(self.debt, points)
        self.debt -= paid
        if points > paid:
            self.remaining.append([at_us, points - paid])

    def take(self, points: int, cutoff_us: int | None = None) -> int:
        """Take from the oldest lots (only those earned by the cutoff, if any); what could not be taken."""
        need = points
        while need and self.remaining and (cutoff_us is None or self.remaining[0][0] <= cutoff_us):
            take = min(need, self.remaining[0][1])
            self.remaining[0][1] -= take
            need -= take
            if self.remaining[0][1] == 0:
                self.remaining.pop(0)
        return need


def is_give_back(entry: LedgerEntry) -> bool:
    """The server giving back points its run expired beyond what was due (see the module's text)."""
    return entry.kind is EntryKind.EXPIRE and entry.points_delta > 0


DaysOf = Callable[[int], "int | None"]  # a rule set version's expiry days


def _walk(entries: Iterable[LedgerEntry], expiry_days: int | None, days_of: DaysOf | None) -> _Walk:
    walk = _Walk([])
    for entry in sorted(entries, key=lambda e: (e.created_at_us, e.id)):
        delta = entry.points_delta
        if entry.kind is EntryKind.EXPIRE and delta < 0:
            days = expiry_days
            if days_of is not None and entry.rules_version is not None:
                days = days_of(entry.rules_version)  # the rule set the run that wrote it went by
            cutoff = entry.created_at_us - (days * US_PER_DAY if days is not None else 0)
            walk.over += walk.take(-delta, cutoff)
        elif entry.kind is EntryKind.EXPIRE and delta > 0:
            back = min(walk.over, delta)
            walk.over -= back
            if delta > back:  # more than is owed (an earning pushed since): points like any other
                walk.add(entry.created_at_us, delta - back)
        elif delta > 0:
            walk.add(entry.created_at_us, delta)
        elif delta < 0:
            walk.debt += walk.take(-delta)
    return walk


def lots(
    entries: Iterable[LedgerEntry],
    expiry_days: int | None = None,
    *,
    days_of: DaysOf | None = None,
) -> list[Lot]:
    """What is left of each earning, oldest first, after every deduction took the oldest first.

    An expire entry takes only lots earned `expiry_days` before it: the days of the rule set it names when
    `days_of` gives a version's expiry days (a club that lengthened expiry since), else `expiry_days`;
    with neither, any lot before it."""
    return [Lot(at, points) for at, points in _walk(entries, expiry_days, days_of).remaining]


def over_expired(
    entries: Iterable[LedgerEntry],
    expiry_days: int | None,
    *,
    days_of: DaysOf | None = None,
) -> int:
    """Points expire entries took beyond the lots earned before their cutoffs, not given back yet."""
    return _walk(entries, expiry_days, days_of).over


def due(
    entries: Iterable[LedgerEntry],
    expiry_days: int | None,
    now_us: int,
    *,
    days_of: DaysOf | None = None,
) -> int:
    """Points whose expiry has come by now and that have not been used or expired yet."""
    if expiry_days is None:
        return 0
    cutoff = now_us - expiry_days * US_PER_DAY
    standing = lots(entries, expiry_days, days_of=days_of)
    return sum(lot.points for lot in standing if lot.earned_at_us <= cutoff)


def next_expiring(
    entries: Iterable[LedgerEntry], expiry_days: int | None, now_us: int, *, days_of: DaysOf | None = None
) -> Expiring | None:
    """The next points to expire after now (the oldest lot still standing), for the member view."""
    if expiry_days is None:
        return None
    life = expiry_days * US_PER_DAY
    standing = lots(entries, expiry_days, days_of=days_of)
    upcoming = [lot for lot in standing if lot.earned_at_us + life > now_us]
    if not upcoming:
        return None
    first = upcoming[0].earned_at_us + life
    # lots earned on the same local moment expire together; group by the exact expiry instant
    return Expiring(sum(lot.points for lot in upcoming if lot.earned_at_us + life == first), first)
