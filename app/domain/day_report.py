# SPDX-License-Identifier: GPL-3.0-or-later
"""A branch's day in figures, per staff member and for the branch, from its ledger entries.

The definitions are the club's (the server's reports use the same, so the numbers agree):

- the day's entries are those whose `created_at` falls in the local day (the caller picks them);
- a *purchase* is a sale entry (`earn` with a positive sale amount) of the day that is not returned in
  full: its reversals, made at any time, do not add up to its whole amount. Net sales are the purchases'
  sale amounts plus their partial returns' (negative) amounts, whenever those were made; both count for
  the cashier who made the sale;
- a *return* is the reversal a return writes on the sale (reason `return`, a negative sale amount),
  counted on the day and for the staff member that took it back; a *reversal* is any other reversal a
  person wrote (a manager's undo, an admission taken back), counted once per act: the companion a
  reversal writes for the points that paid for a reward or a card (derived id 1) is part of it;
- points spent are redeem entries (sales' discounts, and the points that paid for rewards and cards),
  and any points a reward or card entry itself carries;
- a check-in taken back (at any time) is not an admission.

Everything else is a plain sum of the day's entries of that kind. Pure: no clock, no store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from app.domain.ids import derived_id
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.returns import RETURN_REASON

_SPENDING = (EntryKind.REDEEM, EntryKind.REWARD, EntryKind.MEMBERSHIP_PURCHASE)
_EARNING = (EntryKind.EARN, EntryKind.BONUS)
_CHECK_INS = (EntryKind.CHECK_IN, EntryKind.GUEST_CHECK_IN)


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One row of the report: a staff member's, or the branch's. Rials and points are integers."""

    purchases: int = 0
    net_sales_rials: int = 0
    points_earned: int = 0  # sales and bonuses
    points_spent: int = 0  # redeem, reward, membership purchase
    cashback_credited_rials: int = 0
    cashback_spent_rials: int = 0
    returns: int = 0
    returned_rials: int = 0
    reversals: int = 0
    overrides: int = 0
    adjustments: int = 0
    adjusted_points: int = 0  # signed: what the day's adjustments added less what they took
    check_ins: int = 0
    guests: int = 0

    def __add__(self, other: DayFigures) -> DayFigures:
        return DayFigures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(DayFigures)))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(DayFigures)}


@dataclass(frozen=True, slots=True)
class DayReport:
    """The day's figures by staff id (None: entries no staff member signed) and for the whole branch."""

    by_staff: dict[str | None, DayFigures] = field(default_factory=dict)
    branch: DayFigures = field(default_factory=DayFigures)


def day_report(
    branch_id: str, day_entries: Iterable[LedgerEntry], later_reversals: Iterable[LedgerEntry] = ()
) -> DayReport:
    """The report of `branch_id`'s day from the day's entries (other branches' are left out) and the
    reversals, made at any time, of the day's sales and check-ins (duplicates of the day's are fine)."""
    entries = {e.id: e for e in day_entries}
    reversals_of: dict[str, list[LedgerEntry]] = defaultdict(list)
    seen: set[str] = set()
    for entry in [*entries.values(), *later_reversals]:
        if entry.kind is EntryKind.REVERSAL and entry.reverses and entry.id not in seen:
            seen.add(entry.id)
            reversals_of[entry.reverses].append(entry)
    own = [e for e in entries.values() if e.branch_id == branch_id]
    by_staff: dict[str | None, list[LedgerEntry]] = defaultdict(list)
    for entry in own:
        by_staff[entry.staff_id].append(entry)
    # the companion a manager's undo writes for a reward's or card's points (app.services.reversal)
    companions = {str(derived_id(e.id, 1)) for e in entries.values() if e.kind is EntryKind.REVERSAL}
    rows = {staff: _figures(group, reversals_of, companions) for staff, group in by_staff.items()}
    return DayReport(by_staff=rows, branch=_figures(own, reversals_of, companions))


def _figures(
    group: list[LedgerEntry], reversals_of: dict[str, list[LedgerEntry]], companions: set[str]
) -> DayFigures:
    counts: dict[str, int] = defaultdict(int)
    for entry in group:
        kind = entry.kind
        if kind is EntryKind.EARN and entry.sale_amount > 0:
            returned = sum(r.sale_amount for r in reversals_of.get(entry.id, ()))
            if entry.sale_amount + returned > 0:
                counts["purchases"] += 1
                counts["net_sales_rials"] += entry.sale_amount + returned
        if kind in _EARNING:
            counts["points_earned"] += max(0, entry.points_delta)
        elif kind in _SPENDING:
            counts["points_spent"] -= min(0, entry.points_delta)
        elif kind is EntryKind.CASHBACK_CREDIT:
            counts["cashback_credited_rials"] += entry.cash_delta
        elif kind is EntryKind.CASHBACK_SPEND:
            counts["cashback_spent_rials"] -= entry.cash_delta
        elif kind is EntryKind.REVERSAL:
            _count_reversal(entry, counts, companions)
        elif kind is EntryKind.OVERRIDE:
            counts["overrides"] += 1
        elif kind is EntryKind.ADJUST:
            counts["adjustments"] += 1
            counts["adjusted_points"] += entry.points_delta
        elif kind in _CHECK_INS and not reversals_of.get(entry.id):
            counts["check_ins" if kind is EntryKind.CHECK_IN else "guests"] += 1
    return DayFigures(**counts)


def _count_reversal(entry: LedgerEntry, counts: dict[str, int], companions: set[str]) -> None:
    if entry.reason == RETURN_REASON:
        if entry.sale_amount < 0:  # the return itself; its points and wallet companions are part of it
            counts["returns"] += 1
            counts["returned_rials"] -= entry.sale_amount
    elif entry.id not in companions:
        counts["reversals"] += 1
