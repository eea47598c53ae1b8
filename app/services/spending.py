# SPDX-License-Identifier: GPL-3.0-or-later
"""Who lets a member spend points: the terminal itself, the club server, a grant, or a manager.

A terminal that was never enrolled with a server is its own authority (the demo): the branch's redemption
rules are the only check. Once enrolled, a redeem must be authorised, in this order:

1. online: the server authorises exactly this redeem entry now (`SpendAuthoriser`, asked before the
   sale's transaction so that no lock is held while the network answers);
2. offline: the member's grant still covers it (app.domain.grants), the member is not restricted and the
   terminal's clock is not behind the last server time it saw;
3. a manager's override (PIN checked by the caller, and a reason): the sale's redeem entry is followed by
   an `override` entry of zero points naming the manager. Never for a restricted member.

Steps 2 and 3 are decided inside the sale's own transaction (`spend_drafts`), on what the store holds then.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.companions import Companion
from app.domain.errors import ClubError
from app.domain.grants import OfflineDecision, OfflineRefusal, decide_offline_spend
from app.domain.ids import derived_id
from app.domain.ledger import EntryDraft, EntryKind, clean_reason
from app.domain.ports import SpendAuthorisation, SpendAuthoriser
from app.domain.staff import Action, Staff
from app.services.terminal import Terminal
from app.store import grants, ledger, sync_state
from app.store.database import Tx

OVERRIDE_ENTRY = Companion.OVERRIDE  # derived_id(sale id, 2): the override (1 is its redeem entry)


@dataclass(frozen=True, slots=True)
class SpendOverride:
    """A manager lets this sale spend beyond what the terminal may allow offline."""

    manager: Staff  # already identified by PIN by the caller
    reason: str


@dataclass(frozen=True, slots=True)
class SpendPermit:
    """What was settled before the sale's transaction: enrolled or not, and the server's answer."""

    enrolled: bool
    online: SpendAuthorisation | None = None


NOTHING_SPENT = SpendPermit(enrolled=False)  # a sale without a redeem needs no permit


def authorise_online(
    terminal: Terminal,
    *,
    member_id: str,
    points: int,
    redeem_entry_id: str,
    authoriser: SpendAuthoriser | None,
) -> SpendPermit:
    """Ask the server for this redeem when the terminal is enrolled and can reach it.

    An unreachable server is not a refusal: the permit then carries no online answer and the sale is
    decided offline. The server's no, or its word that this device is revoked, is final.
    """
    # a bare transaction (a few µs; the sale takes the same lock right after): is this for the server
    # at all, and if it is to be decided offline, is the clock to be flagged?
    with terminal.db.write_driver() as conn:
        enrolled = sync_state.is_enrolled(conn)
        if not enrolled or points == 0 or ledger.get(conn, redeem_entry_id) is not None:
            return SpendPermit(enrolled)
        if authoriser is None:
            _note_clock(conn, terminal)
            return SpendPermit(enrolled)
    try:
        return SpendPermit(enrolled, authoriser.authorize_spend(member_id, points, redeem_entry_id))
    except ClubError as error:
        if error.code != "server_unreachable":
            raise
    with terminal.db.write_driver() as conn:
        _note_clock(conn, terminal)
    return SpendPermit(enrolled)


def _note_clock(conn: Tx, terminal: Terminal) -> None:
    """A clock found behind the last server time is flagged in its own transaction, before the sale's,
    so the flag outlives the refusal it causes (and blocks offline spending until the server is seen)."""
    behind = sync_state.clock_reading(conn, terminal.clock.now_us()).behind_server
    if behind and sync_state.get(conn, sync_state.CLOCK_BEHIND) != "1":
        sync_state.flag_clock_behind(conn)


def spend_drafts(
    conn: Tx,
    terminal: Terminal,
    permit: SpendPermit,
    *,
    sale_id: str,
    redeem: EntryDraft,
    override: SpendOverride | None,
) -> list[EntryDraft]:
    """Inside the sale's transaction: may `redeem` go ahead? The entries to write after it (an override
    entry, or nothing); refuses with the reason otherwise."""
    points = -redeem.points_delta
    if not permit.enrolled or points == 0:
        return []
    online = permit.online
    if online is not None and (online.entry_id, online.points) == (redeem.id, points):
        return []
    decision = offline_decision(conn, terminal, redeem.member_id, points, redeem.created_at_us)
    if decision.allowed:
        return []
    if override is None or not decision.overridable:
        raise _refusal(decision, points, redeem.member_id)
    return [_override_draft(sale_id, redeem, override)]


def offline_decision(
    conn: Tx, terminal: Terminal, member_id: str, points: int, now_us: int
) -> OfflineDecision:
    grant = grants.grant_for(conn, member_id)
    spent = grants.redeemed_since(conn, terminal.device_id, member_id, grant.after_seq) if grant else 0
    return decide_offline_spend(
        points,
        grant.terms if grant else None,
        spent,
        sync_state.clock_reading(conn, now_us),
        restricted=grants.is_restricted(conn, member_id),
        clock_flagged=sync_state.get(conn, sync_state.CLOCK_BEHIND) == "1",
    )


def _refusal(decision: OfflineDecision, points: int, member_id: str) -> ClubError:
    if decision.refusal is OfflineRefusal.RESTRICTED:
        return ClubError("restricted_member", member=member_id)
    if decision.refusal is OfflineRefusal.CLOCK_BEHIND:
        return ClubError("clock_behind_server")
    return ClubError("offline_limit", allowance=decision.allowance, requested=points)


def _override_draft(sale_id: str, redeem: EntryDraft, override: SpendOverride) -> EntryDraft:
    override.manager.require(Action.OVERRIDE_SPEND)
    try:
        reason = clean_reason(override.reason)
    except ClubError:
        raise ClubError("override_needs_reason") from None
    return EntryDraft(
        id=str(derived_id(sale_id, OVERRIDE_ENTRY)),
        created_at_us=redeem.created_at_us,
        branch_id=redeem.branch_id,
        member_id=redeem.member_id,
        kind=EntryKind.OVERRIDE,
        staff_id=override.manager.id,
        invoice_ref=redeem.invoice_ref,
        reason=reason,
    )


def redeem_drafts(
    conn: Tx,
    terminal: Terminal,
    permit: SpendPermit,
    *,
    primary: EntryDraft,
    points: int,
    discount_rials: int,
    override: SpendOverride | None,
) -> list[EntryDraft]:
    """Points spent on something other than a sale (a membership, a reward) are a redeem entry too, so
    that the offline grant and the server's authorisation treat every spending alike: the redeem entry
    (derived id 1 of `primary`) and, when a manager let it go beyond the grant, the override (2)."""
    if not points:
        return []
    redeem = EntryDraft(
        id=str(derived_id(primary.id, Companion.REDEEM)),
        created_at_us=primary.created_at_us,
        branch_id=primary.branch_id,
        member_id=primary.member_id,
        kind=EntryKind.REDEEM,
        staff_id=primary.staff_id,
        points_delta=-points,
        discount_rials=discount_rials,
        invoice_ref=primary.invoice_ref,
        rules_version=primary.rules_version,
    )
    then = spend_drafts(conn, terminal, permit, sale_id=primary.id, redeem=redeem, override=override)
    return [redeem, *then]
