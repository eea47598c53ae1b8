# SPDX-License-Identifier: GPL-3.0-or-later
"""The rewards catalogue: items a member takes for points, from the stock a branch was given.

A redemption is a `reward` entry (invoice_ref `reward:<code>`, points_delta the price); a reversal gives
the points and the unit back. A branch's stock left is what the rule set gave it minus what its entries
took, net of reversals, as far as this ledger knows (terminals of one branch that are offline together
may both give the last unit; the server's count is the true one).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.programme import Reward

PREFIX = "reward:"


def reward_ref(code: str) -> str:
    return PREFIX + code


def taken(entries: Iterable[LedgerEntry], code: str, branch_id: str) -> int:
    """Units of the reward the branch's entries gave out, net of reversals."""
    entries = list(entries)
    ref = reward_ref(code)
    given = {
        e.id
        for e in entries
        if e.kind is EntryKind.REWARD and e.invoice_ref == ref and e.branch_id == branch_id
    }
    undone = {e.reverses for e in entries if e.kind is EntryKind.REVERSAL and e.reverses in given}
    return len(given) - len(undone)


def stock_left(reward: Reward, branch_code: str, taken_units: int) -> int | None:
    """Units still at the branch; None when the branch does not offer the reward."""
    given = reward.stock_at(branch_code)
    return None if given is None else max(0, given - taken_units)


def check(reward: Reward, branch_code: str, taken_units: int, balance_points: int) -> None:
    """Refuse a redemption the branch cannot give or the member cannot pay."""
    left = stock_left(reward, branch_code, taken_units)
    if left is None:
        raise ClubError("reward_not_here", reward=reward.code)
    if left == 0:
        raise ClubError("reward_out_of_stock", reward=reward.code)
    if reward.points > balance_points:
        raise ClubError("insufficient_points", requested=reward.points, balance=balance_points)
