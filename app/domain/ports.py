# SPDX-License-Identifier: GPL-3.0-or-later
"""The ports the core needs from the outside world; adapters implement them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def now_us(self) -> int:
        """Microseconds since the Unix epoch, UTC."""
        ...


class EntropySource(Protocol):
    def random_bytes(self, n: int) -> bytes: ...


@dataclass(frozen=True, slots=True)
class SpendAuthorisation:
    """The club server's yes to spending `points` now, for one redeem entry (`grant_id` names it)."""

    grant_id: str
    entry_id: str
    points: int
    expires_at_us: int


class SpendAuthoriser(Protocol):
    """Asks the club server, now, whether a member may spend points (sync.client implements it)."""

    def authorize_spend(self, member_id: str, points: int, entry_id: str) -> SpendAuthorisation:
        """Authorise spending `points` by the redeem entry `entry_id` that is about to be written.

        Raises ClubError: `server_unreachable` (no answer in time: decide offline), `server_refused_spend`
        (the server says the member has not that much available), `not_enrolled`, `device_revoked`.
        """
        ...
