# SPDX-License-Identifier: GPL-3.0-or-later
"""The rewards catalogue at the counter: what this branch can give, and taking an item for points.

A redemption is a `reward` entry (invoice_ref `reward:<code>`, no points of its own: the unit taken) and
a `redeem` entry for the points, like every spending (app.services.spending). Idempotent by request id.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import rewards
from app.domain.errors import ClubError
from app.domain.ids import derived_id, request_entry_id
from app.domain.ledger import EntryDraft, EntryKind
from app.domain.ports import SpendAuthoriser
from app.domain.programme import Reward
from app.domain.staff import Action, Staff
from app.services import spending
from app.services.spending import SpendOverride
from app.services.terminal import Terminal
from app.store import club, ledger, members, programme
from app.store.database import Tx


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    reward: Reward
    stock_left: int
    affordable: bool  # the member holds enough points


@dataclass(frozen=True, slots=True)
class RewardResult:
    entry_id: str
    reward: Reward
    points_balance: int
    stock_left: int
    replayed: bool = False


def catalogue(terminal: Terminal, member_id: str | None = None) -> list[CatalogueItem]:
    """The rewards this branch offers, with its stock left (out-of-stock ones too, shown as such)."""
    with terminal.db.read() as conn:
        rules = programme.current(conn)
        branch = club.branch(conn, terminal.branch_id)
        points = ledger.balance(conn, member_id).points if member_id else 0
        items = []
        for reward in rules.rewards:
            left = _left(conn, reward, branch.code, terminal.branch_id)
            if left is not None:
                items.append(CatalogueItem(reward, left, member_id is not None and points >= reward.points))
        return items


def _left(conn: Tx, reward: Reward, branch_code: str, branch_id: str) -> int | None:
    taken = rewards.taken(ledger.for_invoice(conn, rewards.reward_ref(reward.code)), reward.code, branch_id)
    return rewards.stock_left(reward, branch_code, taken)


def redeem_reward(
    terminal: Terminal,
    member_id: str,
    reward_code: str,
    *,
    staff: Staff | None = None,
    request_id: str | None = None,
    override: SpendOverride | None = None,
    authoriser: SpendAuthoriser | None = None,
) -> RewardResult:
    if staff is not None:
        staff.require(Action.RECORD_SALE)
    entry_id = terminal.new_id() if request_id is None else request_entry_id(request_id)
    with terminal.db.read() as conn:
        price = programme.current(conn).reward(reward_code).points
    permit = spending.authorise_online(
        terminal,
        member_id=member_id,
        points=price,
        redeem_entry_id=str(derived_id(entry_id, 1)),
        authoriser=authoriser,
    )
    with terminal.db.write() as conn:
        rules = programme.current(conn)
        reward = rules.reward(reward_code)
        branch = club.branch(conn, terminal.branch_id)
        existing = ledger.get(conn, entry_id)
        if existing is not None:
            if existing.kind is not EntryKind.REWARD or existing.invoice_ref != rewards.reward_ref(
                reward_code
            ):
                raise ClubError("entry_conflict", entry=entry_id)
            left = _left(conn, reward, branch.code, branch.id) or 0
            return RewardResult(entry_id, reward, ledger.balance(conn, member_id).points, left, replayed=True)
        if members.get(conn, member_id) is None:
            raise ClubError("unknown_member", member=member_id)
        before = ledger.balance(conn, member_id)
        taken = rewards.taken(
            ledger.for_invoice(conn, rewards.reward_ref(reward.code)), reward.code, branch.id
        )
        rewards.check(reward, branch.code, taken, before.points)
        unit = EntryDraft(
            id=entry_id,
            created_at_us=terminal.clock.now_us(),
            branch_id=branch.id,
            member_id=member_id,
            kind=EntryKind.REWARD,
            staff_id=staff.id if staff else None,
            invoice_ref=rewards.reward_ref(reward.code),
            rules_version=rules.version or None,
        )
        drafts = [unit]
        drafts += spending.redeem_drafts(
            conn, terminal, permit, primary=unit, points=reward.points, discount_rials=0, override=override
        )
        written = ledger.append(conn, terminal.device_id, drafts)
        after = before
        for entry in written:
            after = after.apply(entry)
        left = rewards.stock_left(reward, branch.code, taken + 1) or 0
        return RewardResult(entry_id, reward, after.points, left)
