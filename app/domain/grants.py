# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline spending: what a member may still spend at this terminal without asking the server.

The server signs a grant for one member and one device while the device is online: `points`, drawn on by
the device's redeem entries for that member with device_seq > `after_seq`, until `expires_at_us` (server
time). Unexpired grants never add up to more than the member's balance, so spending within them can never
overdraw. Clocks: the grant's expiry is judged against the later of the terminal's clock and the last
server time the terminal saw; a terminal clock well behind that last server time is wound back (by hand
or by a flat battery) and blocks offline spending until the next contact with the server.

Pure arithmetic: no I/O, no clock of its own; the caller reads the store and passes the numbers in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

CLOCK_BEHIND_LIMIT_US = 5 * 60 * 1_000_000  # more than this behind the server's last word: flagged


@dataclass(frozen=True, slots=True)
class GrantTerms:
    """The parts of a signed grant the arithmetic needs (the store keeps the whole, signature too)."""

    points: int
    after_seq: int
    issued_at_us: int
    expires_at_us: int


@dataclass(frozen=True, slots=True)
class ClockReading:
    """The terminal's clock now, and the last server time it saw (None: it never talked to a server)."""

    terminal_now_us: int
    last_server_time_us: int | None = None

    @property
    def effective_now_us(self) -> int:
        """The time a grant's expiry is judged by: a clock set back cannot make a grant live longer."""
        if self.last_server_time_us is None:
            return self.terminal_now_us
        return max(self.terminal_now_us, self.last_server_time_us)

    @property
    def behind_server(self) -> bool:
        """The terminal clock is more than the limit behind the last server time it saw."""
        if self.last_server_time_us is None:
            return False
        return self.last_server_time_us - self.terminal_now_us > CLOCK_BEHIND_LIMIT_US


def spent_since(redeems: Iterable[tuple[int, int]], after_seq: int) -> int:
    """Points this device's redeem entries (device_seq, points_delta ≤ 0) drew after `after_seq`."""
    return sum(-delta for seq, delta in redeems if seq > after_seq and delta < 0)


def is_live(grant: GrantTerms, clock: ClockReading) -> bool:
    return clock.effective_now_us < grant.expires_at_us


def allowance(grant: GrantTerms | None, spent: int, clock: ClockReading) -> int:
    """Points the member may still spend offline here: 0 without a live grant, never below 0."""
    if grant is None or not is_live(grant, clock):
        return 0
    return max(0, grant.points - max(0, spent))


def wants_refresh(grant: GrantTerms | None, clock: ClockReading) -> bool:
    """Ask the server for a new grant: none yet, or more than half of this one's life has gone."""
    if grant is None:
        return True
    half_life = (grant.expires_at_us - grant.issued_at_us) // 2
    return clock.effective_now_us >= grant.issued_at_us + half_life


class OfflineRefusal(StrEnum):
    """Why an offline spend was refused (each is also the error code the terminal shows)."""

    RESTRICTED = "restricted_member"  # on the club's restricted list: no offline spending, no override
    CLOCK_BEHIND = "clock_behind_server"  # the terminal clock was set back: no grant can be trusted
    OVER_ALLOWANCE = "offline_limit"  # beyond what the grant still allows (0 without a live grant)


@dataclass(frozen=True, slots=True)
class OfflineDecision:
    allowed: bool
    allowance: int  # what the grant still allowed before this spend
    refusal: OfflineRefusal | None = None

    @property
    def overridable(self) -> bool:
        """A manager may let the sale go beyond the grant, never past the restricted list."""
        return not self.allowed and self.refusal is not OfflineRefusal.RESTRICTED


def decide_offline_spend(
    points: int,
    grant: GrantTerms | None,
    spent: int,
    clock: ClockReading,
    *,
    restricted: bool = False,
    clock_flagged: bool = False,
) -> OfflineDecision:
    """May the member spend `points` here without the server? `clock_flagged`: flagged earlier."""
    left = allowance(grant, spent, clock)
    if restricted:
        return OfflineDecision(False, 0, OfflineRefusal.RESTRICTED)
    if clock_flagged or clock.behind_server:
        return OfflineDecision(False, 0, OfflineRefusal.CLOCK_BEHIND)
    if points > left:
        return OfflineDecision(False, left, OfflineRefusal.OVER_ALLOWANCE)
    return OfflineDecision(True, left)
