# SPDX-License-Identifier: GPL-3.0-or-later
"""What an enrolled terminal may let a member spend, read for the checkout before the cashier types.

The same arithmetic the sale's transaction runs (app.services.spending.offline_decision), read ahead so
that the slider's cap is what the sale will allow: online the server decides (the branch's cap on the
balance), offline the member's grant, a restricted member nothing. Runs on the worker (it reads the store).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.grants import OfflineRefusal
from app.services.spending import offline_decision
from app.services.terminal import Terminal


@dataclass(frozen=True, slots=True)
class SpendLimit:
    restricted: bool  # on the club's restricted list: nothing, not even with a manager's override
    clock_behind: bool  # the clock was set back: offline, nothing without a manager's override
    offline_allowance: int  # what the member's grant still allows here (0 without a live grant)

    def offline_cap(self) -> int:
        """Points the member may spend here while the server cannot be asked."""
        return 0 if self.restricted or self.clock_behind else self.offline_allowance


def read_spend_limit(terminal: Terminal, member_id: str) -> SpendLimit:
    """Worker: the member's limits as the store holds them now."""
    with terminal.db.read() as conn:
        decision = offline_decision(conn, terminal, member_id, 0, terminal.clock.now_us())
    return SpendLimit(
        restricted=decision.refusal is OfflineRefusal.RESTRICTED,
        clock_behind=decision.refusal is OfflineRefusal.CLOCK_BEHIND,
        offline_allowance=decision.allowance,
    )
