# SPDX-License-Identifier: GPL-3.0-or-later
"""A push's entries and what the server already holds around them, for the checks to look things up in.

Lookups go to the batch first (an entry there counts while no check has refused it) and then to what is
stored: the ledger (counted) and the set-aside entries (not counted). What the checks need of the stored
entries is fetched in a few queries per batch: the device's entries just before the batch (a companion's
primary entry is at most a few places before it) and the entries the batch's reversals name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select

from app.domain.companions import MAX_DISTANCE, Companion
from app.domain.ids import derived_id
from app.domain.ledger import EntryKind, LedgerEntry
from sync.protocol import WireEntry
from sync.server.db import one_of
from sync.server.models import ENTRY, REJECTED

_ENTRY_COLUMNS = [ENTRY.c[name] for name in WireEntry.model_fields]

# which companion an entry of this kind is of its primary entry (app.domain.companions); a reversal's
# companions (a return's, or the redeem undone with a reward) are its own first ones
_COMPANION_OF: dict[EntryKind, tuple[int, ...]] = {
    EntryKind.REDEEM: (Companion.REDEEM,),
    EntryKind.OVERRIDE: (Companion.OVERRIDE,),
    EntryKind.CASHBACK_SPEND: (Companion.WALLET,),
    EntryKind.CASHBACK_CREDIT: (Companion.CASHBACK,),
    EntryKind.TIER_CHANGE: (Companion.TIER,),
}
_BONUS_COMPANION = {"birthday": Companion.BIRTHDAY, "referred": Companion.REFERRED}
_BONUS_COMPANION_REFERRER = Companion.REFERRER
_REVERSAL_COMPANIONS = (1, 2, 3)


@dataclass(frozen=True, slots=True)
class Link:
    """An entry as the checks see it: whether it counts (stored and accepted, or in the batch and not
    refused so far), and its place in the batch (None: stored)."""

    entry: LedgerEntry
    counted: bool
    index: int | None = None


class Batch:
    def __init__(
        self,
        conn: Connection,
        device_id: str,
        entries: list[WireEntry],
        refusals: list[str | None],
        new: Iterable[int],
        *,
        sealed: list[LedgerEntry] | None = None,
    ) -> None:
        """`new`: the batch's entries the server does not hold yet (the others are looked up as stored);
        `sealed`: their domain forms, by index, when the caller has them."""
        self.conn = conn
        self.device_id = device_id
        self.entries = entries
        self.refusals = refusals
        self._new = sorted(new)
        self._sealed = {i: entries[i].to_entry() if sealed is None else sealed[i] for i in self._new}
        self._by_id = {entries[i].id: i for i in self._new}
        self._by_seq = {entries[i].device_seq: i for i in self._new if entries[i].device_id == device_id}
        self._stored_by_seq: dict[int, Link] = {}
        self._stored_by_id: dict[str, Link] = {}
        self._near_loaded = False
        self._companions: dict[tuple[str, int], int] | None = None
        self._derived: dict[tuple[str, int], str] = {}
        self._reversals: dict[str, list[LedgerEntry]] = {}
        self._load_reversed()

    # ---- what is here -----------------------------------------------------------------------------

    def entry(self, i: int) -> LedgerEntry:
        return self._sealed[i]

    def link(self, i: int) -> Link:
        return Link(self._sealed[i], self.refusals[i] is None, i)

    def get(self, entry_id: str) -> Link | None:
        """An entry by id, from the batch or what is stored (near the batch, or named by a reversal)."""
        i = self._by_id.get(entry_id)
        if i is not None:
            return self.link(i)
        self._load_near()
        return self._stored_by_id.get(entry_id)

    def in_batch(self, device_seq: int) -> bool:
        return device_seq in self._by_seq

    def at_seq(self, device_seq: int) -> Link | None:
        """The pushing device's entry in this slot."""
        i = self._by_seq.get(device_seq)
        if i is not None:
            return self.link(i)
        self._load_near()
        return self._stored_by_seq.get(device_seq)

    def primary(self, i: int) -> Link | None:
        """The entry whose companion entries[i] is (app.domain.companions), or None when it is none's."""
        found = self._primary_of(i)
        return None if found is None else found[0]

    def _primary_of(self, i: int) -> tuple[Link, int] | None:
        """(the primary entry, which companion of it entries[i] is)."""
        entry = self.entries[i]
        numbers = companion_numbers(entry)
        if not numbers or entry.device_id != self.device_id:
            return None
        for distance in range(1, MAX_DISTANCE + 1):
            candidate = self.at_seq(entry.device_seq - distance)
            if candidate is None:
                continue
            for n in numbers:
                if self._derived_id(candidate.entry.id, n) == entry.id:
                    return candidate, n
        return None

    def companion(self, primary_id: str, n: int) -> Link | None:
        """A new entry's companion in this batch (a new entry's companions come after it: they are here or
        not pushed yet). Found from the companions' side, so a batch of sales alone hashes nothing."""
        if self._companions is None:
            self._companions = {}
            for j in self._new:
                found = self._primary_of(j) if companion_numbers(self.entries[j]) else None
                if found is not None:
                    self._companions[found[0].entry.id, found[1]] = j
        j = self._companions.get((primary_id, n))
        return None if j is None else self.link(j)

    def reversals_before(self, target_id: str, i: int) -> list[LedgerEntry]:
        """What already undoes `target_id`: stored accepted reversals, and counted ones earlier in the
        batch."""
        earlier = [
            e for e in self._counted_before(i) if e.kind is EntryKind.REVERSAL and e.reverses == target_id
        ]
        return self._reversals.get(target_id, []) + earlier

    def member_entries_before(self, member_id: str, i: int) -> list[LedgerEntry]:
        """The batch's counted entries about the member before entries[i] (the server's come from the
        member's own query)."""
        return [e for e in self._counted_before(i) if e.member_id == member_id]

    def _counted_before(self, i: int) -> list[LedgerEntry]:
        return [self._sealed[j] for j in self._new if j < i and self.refusals[j] is None]

    def _derived_id(self, base: str, n: int) -> str:
        key = (base, n)
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = str(derived_id(base, n))
        return found

    # ---- what is stored -------------------------------------------------------------------------------

    def _load_near(self) -> None:
        """The device's stored entries from a companion's reach before the batch to its end: read once, and
        only when a lookup misses the batch (a batch that starts with a sale's companions; a retry)."""
        if self._near_loaded:
            return
        self._near_loaded = True
        seqs = [e.device_seq for e in self.entries if e.device_id == self.device_id]
        if not seqs:
            return
        low, high = min(seqs) - MAX_DISTANCE, max(seqs)
        for table, counted in ((ENTRY, True), (REJECTED, False)):
            rows = self.conn.execute(
                select(table).where(
                    and_(table.c.device_id == self.device_id, table.c.device_seq.between(low, high))
                )
            )
            for row in rows:
                link = Link(_entry_of(row, counted), counted)
                self._stored_by_seq[link.entry.device_seq] = link
                self._stored_by_id[link.entry.id] = link

    def _load_reversed(self) -> None:
        """The entries the batch's reversals name, and the accepted reversals already undoing them."""
        targets = {e.reverses for e in self.entries if e.kind is EntryKind.REVERSAL and e.reverses}
        wanted = targets - set(self._by_id) - set(self._stored_by_id)
        if wanted:
            for table, counted in ((ENTRY, True), (REJECTED, False)):
                for row in self.conn.execute(select(table).where(one_of(self.conn, table.c.id, wanted))):
                    self._stored_by_id[row.id] = Link(_entry_of(row, counted), counted)
        if targets:
            query = select(*_ENTRY_COLUMNS).where(one_of(self.conn, ENTRY.c.reverses, targets))
            for row in self.conn.execute(query):
                entry = _entry_of(row, True)
                self._reversals.setdefault(entry.reverses or "", []).append(entry)


def companion_numbers(entry: WireEntry | LedgerEntry) -> tuple[int, ...]:
    """Which companion numbers an entry of this kind (and key) can be; () for a primary entry."""
    if entry.kind is EntryKind.BONUS:
        key = (entry.invoice_ref or "").split(":", 1)[0]
        if key == "referral":
            return (_BONUS_COMPANION_REFERRER,)
        found = _BONUS_COMPANION.get(key)
        return () if found is None else (found,)
    if entry.kind is EntryKind.REVERSAL:
        return _REVERSAL_COMPANIONS
    return _COMPANION_OF.get(entry.kind, ())


def _entry_of(row: Any, counted: bool) -> LedgerEntry:
    if counted:
        return WireEntry.model_validate(
            {name: getattr(row, name) for name in WireEntry.model_fields}
        ).to_entry()
    return WireEntry.model_validate(json.loads(row.body)).to_entry()


def entries_of(rows: Iterable[Any]) -> list[LedgerEntry]:
    return [_entry_of(row, True) for row in rows]
