# SPDX-License-Identifier: GPL-3.0-or-later
"""What the club server checks in a terminal's push before it counts anything: a stolen or cloned
terminal's token must be worth no more than one till.

The server holds the same domain arithmetic as the terminal (app.domain), so it re-prices every priced
entry under the rule-set version it names, and it knows the club's branches, staff and members. An entry
that fails a check is set aside (rejected_entry, with its reason; published as `entry_set_aside`; an
alert) and counted nowhere until the club reviews it; the entries behind it are not held up. Reasons:

- `wrong_branch`: a terminal writes for the branch it was enrolled in, nothing else;
- `staff_unknown`, `staff_inactive`, `staff_other_branch`, `staff_not_permitted`, `staff_required`: the
  staff member named on an act must exist, be active, belong to the terminal's branch (or to all) and have
  the role for it; a manager's act (adjustment, override, reversal, an ambassador's grant, undoing an
  admission) must name one (sync.server.vetting.staffing);
- `server_only_kind`: points expire by the server's own run, never by a terminal's entry;
- `unknown_rules_version`, `price_mismatch`, `tier_not_earned`, `no_primary_entry`, `reverses_unknown`,
  `reversal_exceeds`: the amounts are not what the rules give (sync.server.vetting.pricing);
- `primary_set_aside`: a sale's companion (its cashback, tier change, bonus, redeem) whose sale was set
  aside goes with it;
- `velocity_limit`: the terminal added more points, wallet or entries in an hour than the club allows a
  terminal (sync.server.vetting.velocity).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from app.domain.ledger import EntryKind, LedgerEntry
from sync.protocol import WireEntry
from sync.server.vetting import pricing, staffing, velocity
from sync.server.vetting.batch import Batch
from sync.server.vetting.scope import Scope

__all__ = ["Scope", "vet"]


def vet(
    conn: Connection,
    scope: Scope,
    entries: list[WireEntry],
    *,
    candidates: list[int],
    refusals: list[str | None],
    now_us: int,
    sealed: list[LedgerEntry] | None = None,
) -> velocity.Tally:
    """Set `refusals[i]` for each candidate (an entry new to the server that passed the basic checks) that
    the server must not trust; returns the hour tallies to record once the accepted entries are in.
    `sealed`: the entries' domain forms, when the caller has made them already."""
    batch = Batch(conn, scope.device_id, entries, refusals, candidates, sealed=sealed)
    staff = staffing.Staffing(conn, scope.branch_id, entries)
    prices = pricing.Pricing(conn, batch, scope.branch_code, now_us)
    prices.prefetch({entries[i].member_id for i in candidates if refusals[i] is None})
    checks = _Checks(staff, prices, batch)
    for i in candidates:
        if refusals[i] is None:
            refusals[i] = _refusal(entries[i], scope, checks, i)
    tally = velocity.check(conn, scope, entries, candidates=candidates, refusals=refusals, now_us=now_us)
    for i in candidates:  # a sale the ceilings set aside takes its cashback, tier change and bonuses along
        if refusals[i] is None and not _primary_counts(batch, i):
            refusals[i] = "primary_set_aside"
    return tally


def _primary_counts(batch: Batch, i: int) -> bool:
    primary = batch.primary(i)
    return primary is None or primary.counted


@dataclass(frozen=True, slots=True)
class _Checks:
    staff: staffing.Staffing
    prices: pricing.Pricing
    batch: Batch


def _refusal(entry: WireEntry, scope: Scope, checks: _Checks, i: int) -> str | None:
    if entry.branch_id != scope.branch_id:
        return "wrong_branch"
    if entry.kind is EntryKind.EXPIRE:
        return "server_only_kind"
    if not _primary_counts(checks.batch, i):
        return "primary_set_aside"
    return checks.staff.refusal(entry, checks.batch) or checks.prices.refusal(i)
