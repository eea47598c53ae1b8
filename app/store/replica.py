# SPDX-License-Identifier: GPL-3.0-or-later
"""Applying what the club server sends (a pull page) to the terminal's SQLite file.

One page and the cursor after it commit in one transaction, so a crash anywhere leaves either both or
neither. Reference data (tiers, branches, staff, devices, keys, settings) and members and cards are
upserts; card status changes only through revocations; staff PIN lockouts stay local (until head office
lifts one: a newer `unlocked_at_us`); a member or card
with a change of this terminal's own still waiting in the outbox keeps the local version until the server
echoes it. A member the club erased (sync.protocol.WireMember.is_erased) is written over whatever is held
here, their photo deleted and the outbox's copies of their record rewritten and closed; the file then
forgets the old rows (secure_delete, and the write-ahead log emptied after the page: sync.client).
Entries of other devices are inserted in server order with their device's chain followed and the balance
projection updated; a chain that does not hold is recorded as a problem, not a crash, since
the server stores what happened. Entries of this terminal come back as acknowledgements and are never
inserted twice. Foreign keys are checked at commit, so the order of rows within a page does not matter.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.errors import ClubError
from app.domain.ledger import GENESIS_HASH, SetAsideSlot
from app.store import club, events, grants, ledger, members, outbox, programme, sync_state
from app.store.database import driver
from app.store.schema import (
    BranchRow,
    CardRevocationRow,
    CardRow,
    ClubKeyRow,
    DeviceRow,
    MemberPhotoRow,
    Setting,
    StaffRow,
    TierRow,
)
from app.store.wire import event_from_wire, invitation_from_wire
from sync.protocol import (
    BranchChange,
    CardChange,
    Change,
    DeviceChange,
    EntryChange,
    EventChange,
    InvitationChange,
    KeyChange,
    MemberChange,
    PhotoChange,
    PullResponse,
    RestrictionChange,
    RevocationChange,
    RuleSetChange,
    SetAsideChange,
    SetAsideResolvedChange,
    SettingChange,
    StaffChange,
    TierChange,
    WireMember,
    b64decode,
)
from sync.rules import from_body

REVOCATIONS_AS_OF_SETTING = "revocations_as_of_us"  # app.services.cards reads it
_MEMBER_ITEMS = (outbox.MEMBER,)
_CARD_ITEMS = (outbox.CARD,)
_EXISTS = {
    "member": "SELECT 1 FROM member WHERE id = ?",
    "branch": "SELECT 1 FROM branch WHERE id = ?",
    "event": "SELECT 1 FROM event WHERE id = ?",
}


@dataclass(slots=True)
class PageReport:
    """What one page did: changes applied by kind, own entries acknowledged, problems recorded."""

    applied: Counter[str] = field(default_factory=Counter)
    acknowledged: int = 0
    problems: int = 0
    erased: int = 0  # members whose personal data the club erased, erased here too


@dataclass(slots=True)
class _Page:
    conn: Connection
    self_device_id: str
    at_us: int
    report: PageReport = field(default_factory=PageReport)
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)  # foreign devices, as the page moves them
    entries: list[Any] = field(default_factory=list)  # foreign entries to insert, in server order
    acks: list[tuple[str, int]] = field(default_factory=list)  # (entry id, server seq) for those
    members: list[MemberChange] = field(default_factory=list)  # a run of member changes not yet written

    def problem(self, problem: str, **where: Any) -> None:
        sync_state.add_problem(self.conn, problem, at_us=self.at_us, **where)
        self.report.problems += 1

    def exists(self, table: str, key: str) -> bool:
        return driver(self.conn).execute(_EXISTS[table], (key,)).fetchone() is not None


def apply_pull(conn: Connection, response: PullResponse, *, self_device_id: str, at_us: int) -> PageReport:
    """Apply one pull page and move the cursor past it, in the caller's (one) transaction."""
    report = apply_changes(conn, response.changes, self_device_id=self_device_id, at_us=at_us)
    sync_state.put(conn, sync_state.CURSOR, response.next_cursor)
    sync_state.put(conn, sync_state.LAST_PULL_US, at_us)
    sync_state.note_contact(conn, response.server_time_us, at_us)
    if not response.more:  # the revocation list is now as fresh as the server's
        sync_state.put(conn, REVOCATIONS_AS_OF_SETTING, at_us)
    if report.erased:  # the old rows live on in the write-ahead log until it is emptied (sync.client)
        sync_state.put(conn, sync_state.FORGET_DELETED, 1)
    return report


def apply_changes(
    conn: Connection, changes: Sequence[Change], *, self_device_id: str, at_us: int
) -> PageReport:
    # rows within a page may name each other in any order; SQLite checks the keys at commit
    driver(conn).execute("PRAGMA defer_foreign_keys = ON")
    page = _Page(conn, self_device_id, at_us)
    for change in changes:
        if change.kind == "member":  # runs of members are written together, before anything else reads
            page.members.append(change)
        else:
            _flush_members(page)
            _APPLY[change.kind](page, change)
        page.report.applied[change.kind] += 1
    _flush_members(page)
    _flush_entries(page)
    return page.report


def _upsert(
    conn: Connection, table: Any, key: str, values: dict[str, Any], keep: tuple[str, ...] = ()
) -> None:
    """Insert or update by `key`; columns in `keep` are only written when the row is new."""
    stmt = sqlite_insert(table).values(**values)
    updates = {k: v for k, v in values.items() if k != key and k not in keep}
    conn.execute(stmt.on_conflict_do_update(index_elements=[table.c[key]], set_=updates))


# ---- reference data -------------------------------------------------------------------------------


def _tier(page: _Page, change: TierChange) -> None:
    tier = TierRow.__table__
    # two tiers swapping ranks arrive one at a time: park the one in the way (its own change follows)
    page.conn.execute(
        update(tier)
        .where(tier.c.rank == change.tier.rank, tier.c.code != change.tier.code)
        .values(rank=-1 - tier.c.rank)
    )
    _upsert(page.conn, tier, "code", change.tier.model_dump())


def _branch(page: _Page, change: BranchChange) -> None:
    _upsert(page.conn, BranchRow.__table__, "id", change.branch.model_dump())


def _staff(page: _Page, change: StaffChange) -> None:
    # the PIN lockout columns are not in the values: they stay as this terminal counted them, until head
    # office lifts the lock (a newer `unlocked_at_us` than the last one applied here)
    staff = StaffRow.__table__
    person = change.staff
    before = page.conn.execute(
        select(staff.c.unlocked_at_us, staff.c.failed_pins, staff.c.locked_until_us)
        .where(staff.c.id == person.id)
    ).first()
    _upsert(page.conn, staff, "id", person.model_dump(exclude={"unlocked_at_us"}))
    stamp = person.unlocked_at_us
    applied = None if before is None else before.unlocked_at_us
    if stamp is None or (applied is not None and stamp <= applied):
        return
    page.conn.execute(
        update(staff)
        .where(staff.c.id == person.id)
        .values(unlocked_at_us=stamp, failed_pins=0, locked_until_us=None)
    )
    if before is not None and (before.failed_pins or before.locked_until_us is not None):
        event_id = uuid.UUID(bytes=hashlib.sha256(f"unlocked:{person.id}:{stamp}".encode()).digest()[:16])
        club.add_staff_event(
            page.conn, str(event_id), person.id, "unlocked", at_us=page.at_us, device_id=page.self_device_id
        )


def _device(page: _Page, change: DeviceChange) -> None:
    device = change.device
    values = {
        "id": device.id,
        "code": device.code,
        "branch_id": device.branch_id,
        "is_self": device.id == page.self_device_id,
        "last_seq": 0,
        "head_hash": GENESIS_HASH,
    }
    # a device's chain position is never taken from the server: this terminal's own is its own to keep,
    # and another device's advances only with the entries applied here
    _upsert(page.conn, DeviceRow.__table__, "id", values, keep=("last_seq", "head_hash"))


def _key(page: _Page, change: KeyChange) -> None:
    key = change.key
    values = {
        "key_id": key.key_id,
        "public_key": b64decode(key.public_key),
        "created_at_us": key.created_at_us,
        "retired_at_us": key.retired_at_us,
        "purpose": key.purpose,
    }
    _upsert(page.conn, ClubKeyRow.__table__, "key_id", values)


def _setting(page: _Page, change: SettingChange) -> None:
    if sync_state.is_local_setting(change.key):
        page.problem("local_setting_ignored", subject=change.key)
        return
    _upsert(page.conn, Setting.__table__, "key", {"key": change.key, "value": change.value})


def _rule_set(page: _Page, change: RuleSetChange) -> None:
    """A version of the club's programme: kept with the others (entries name the version that priced them)."""
    try:
        rules = from_body(change.body | {"version": change.version})
    except ClubError as error:  # a server newer than this terminal may publish what it cannot read
        page.problem("rule_set_unreadable", subject=str(change.version), detail=str(error))
        return
    programme.put(page.conn, rules, change.body, page.at_us)


def _event(page: _Page, change: EventChange) -> None:
    if change.event.id in _pending_subjects(page.conn, (outbox.EVENT,)):
        return  # this terminal's own unsent edit is newer; the server will echo it
    events.put_event(page.conn, event_from_wire(change.event))


def _invitation(page: _Page, change: InvitationChange) -> None:
    wire = change.invitation
    if not page.exists("event", wire.event_id):
        page.problem("unknown_event", subject=wire.id)
        return
    events.put_invitation(page.conn, invitation_from_wire(wire))


# ---- members, cards, revocations, photos, restrictions ------------------------------------------


def _flush_members(page: _Page) -> None:
    """Upsert the page's run of member changes, in order, in one executemany of prepared SQL on the
    driver (a new terminal pulls a million of them: one SQLAlchemy statement each cost ten times more
    than SQLite, and SQLAlchemy's parameter handling of an executemany still twice as much)."""
    if not page.members:
        return
    changes, page.members = page.members, []
    # this terminal's own unsent edits are newer; the server will echo them. Not an erased member's: the
    # server refuses every edit of one, and the erasure must not wait for anything held here.
    held = _pending_subjects(page.conn, _MEMBER_ITEMS)
    rows = [_member_row(c.member) for c in changes if c.member.id not in held or c.member.is_erased()]
    if rows:
        driver(page.conn).executemany(_MEMBER_UPSERT, rows)
    for member in {c.member.id: c.member for c in changes if c.member.is_erased()}.values():
        _erase(page, member)


def _erase(page: _Page, member: WireMember) -> None:
    """The club erased the member: the record is the placeholders now (written above); the photo goes, and
    so do the copies of the record in the outbox (what was not sent yet will never be: it is closed)."""
    members.forget_photo(page.conn, member.id)
    erased = member.model_dump(mode="json")
    for item in outbox.about(page.conn, member.id, (outbox.MEMBER, outbox.PHOTO)):
        if item.kind == outbox.MEMBER:
            outbox.rewrite(page.conn, item.id, json.dumps(item.data() | {"member": erased}))
        outbox.acknowledge(page.conn, item.id, outbox.SUPERSEDED, at_us=page.at_us, reason="member_erased")
    page.report.erased += 1


def _pending_subjects(conn: Connection, kinds: tuple[str, ...]) -> set[str]:
    """Subjects with an unsent outbox item of these kinds (outbox.has_pending, for all of them at once:
    a handful, against a page of thousands)."""
    item, ack = outbox.ITEM, outbox.ACK
    rows = conn.execute(
        select(item.c.subject)
        .outerjoin(ack, ack.c.item_id == item.c.id)
        .where(ack.c.item_id.is_(None), item.c.kind.in_(kinds))
    )
    return set(rows.scalars())


_MEMBER_COLUMNS = tuple(WireMember.model_fields)
_MEMBER_UPSERT = (
    f"INSERT INTO member ({', '.join(_MEMBER_COLUMNS)}) VALUES ({', '.join('?' * len(_MEMBER_COLUMNS))})"
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _MEMBER_COLUMNS if c != "id")
)


def _member_row(member: WireMember) -> tuple[object, ...]:
    """The member's values in _MEMBER_COLUMNS order, stored as SQLAlchemy stores them (a date as ISO
    text, a bool as 0/1)."""
    values = [getattr(member, c) for c in _MEMBER_COLUMNS]
    return tuple(
        v.isoformat() if isinstance(v, date) else int(v) if isinstance(v, bool) else v for v in values
    )


def _card(page: _Page, change: CardChange) -> None:
    card = change.card
    if outbox.has_pending(page.conn, card.number, _CARD_ITEMS):
        return
    table = CardRow.__table__
    uid = card.uid
    if uid is not None:
        holder = page.conn.execute(
            select(table.c.number).where(table.c.uid == uid, table.c.number != card.number)
        ).scalar_one_or_none()
        if holder is not None:
            page.problem("uid_conflict", subject=card.number, detail=f"chip {uid} is bound to {holder}")
            uid = None
    values = card.model_dump() | {"uid": uid, "status": "active"}
    stmt = sqlite_insert(table).values(**values)
    updates = {k: v for k, v in values.items() if k not in ("number", "status", "uid")}
    # a card is bound to one chip for life: an older change without the UID never unbinds it
    updates["uid"] = func.coalesce(stmt.excluded.uid, table.c.uid)
    page.conn.execute(stmt.on_conflict_do_update(index_elements=[table.c.number], set_=updates))


def _revocation(page: _Page, change: RevocationChange) -> None:
    revocation = change.revocation
    cards = CardRow.__table__
    known = page.conn.execute(select(cards.c.number).where(cards.c.number == revocation.card_number)).first()
    if known is None:
        page.problem("unknown_card", subject=revocation.card_number, detail=f"revocation {revocation.id}")
        return
    table = CardRevocationRow.__table__
    added = page.conn.execute(
        sqlite_insert(table)
        .values(**revocation.model_dump())
        .on_conflict_do_nothing(index_elements=[table.c.id])
    )
    if added.rowcount:  # a revocation this terminal already holds (its own, echoed) changes nothing
        page.conn.execute(
            update(cards).where(cards.c.number == revocation.card_number).values(status=revocation.status)
        )


def _photo(page: _Page, change: PhotoChange) -> None:
    known = members.get(page.conn, change.member_id)
    if known is not None and known.erased:
        return  # an erased member has no photo (the server rewrites such changes; an old page may not be)
    photos = MemberPhotoRow.__table__
    held = page.conn.execute(select(photos.c.jpeg).where(photos.c.member_id == change.member_id)).scalar()
    if held is not None and hashlib.sha256(held).hexdigest() == change.sha256:
        sync_state.forget_wanted(page.conn, [change.member_id])
        return
    if outbox.has_pending(page.conn, change.member_id, (outbox.PHOTO,)):
        return  # a newer photo taken here is still on its way up
    sync_state.want_photo(page.conn, change.member_id, change.sha256, change.size)


def _restriction(page: _Page, change: RestrictionChange) -> None:
    grants.set_restricted(page.conn, change.member_id, change.restricted, change.reason, change.seq)


# ---- ledger entries -------------------------------------------------------------------------------


def _entry(page: _Page, change: EntryChange) -> None:
    if change.entry.device_id == page.self_device_id:
        _own_entry(page, change)
    else:
        _foreign_entry(page, change)


def _own_entry(page: _Page, change: EntryChange) -> None:
    """This terminal's entry as the server holds it: an acknowledgement, never a second copy."""
    wire = change.entry
    local = ledger.get(page.conn, wire.id)
    where = {"device_id": wire.device_id, "device_seq": wire.device_seq, "subject": wire.id}
    if local is None:
        page.problem("own_entry_missing", **where)
        return
    if local.hash != wire.hash:
        page.problem("own_entry_differs", **where)
        return
    reviewed = sync_state.accept_after_review(page.conn, wire.id, at_us=page.at_us, server_seq=change.seq)
    if reviewed or sync_state.acknowledge_entry(
        page.conn, wire.id, "accepted", at_us=page.at_us, server_seq=change.seq
    ):
        page.report.acknowledged += 1


def _foreign_entry(page: _Page, change: EntryChange) -> None:
    wire = change.entry
    where = {"device_id": wire.device_id, "device_seq": wire.device_seq, "subject": wire.id}
    head = _head(page, wire.device_id)
    if head is None:
        page.problem("unknown_device", **where)
        return
    if not (page.exists("member", wire.member_id) and page.exists("branch", wire.branch_id)):
        page.problem("unknown_member_or_branch", **where)
        return
    last_seq, last_hash = head
    if wire.device_seq <= last_seq:
        if _accepted_after_review(page, wire):
            page.entries.append(wire.to_entry())
            page.acks.append((wire.id, change.seq))
            return
        if _already_here(page, wire):
            return
    problem = _chain_problem(wire, last_seq, last_hash)
    if problem is not None:
        page.problem(problem, **where)
    if wire.device_seq > last_seq:
        page.heads[wire.device_id] = (wire.device_seq, wire.hash)
    page.entries.append(wire.to_entry())
    page.acks.append((wire.id, change.seq))


def _accepted_after_review(page: _Page, wire: Any) -> bool:
    """The entry held here as set aside, now accepted by the club's review: it takes its slot's place."""
    slot = ledger.set_aside_slot(page.conn, wire.device_id, wire.device_seq)
    if slot is None or (slot.id, slot.hash) != (wire.id, wire.hash):
        return False
    ledger.drop_set_aside(page.conn, wire.id)
    return True


def _set_aside(page: _Page, change: SetAsideChange) -> None:
    """An entry the server set aside. This terminal's own: the push's answer again. Another device's: its
    place in that device's chain, so the chain holds across it (it counts nowhere)."""
    wire = change.entry
    where = {"device_id": wire.device_id, "device_seq": wire.device_seq, "subject": wire.id}
    if wire.device_id == page.self_device_id:
        if ledger.get(page.conn, wire.id) is None:
            page.problem("own_entry_missing", **where)
        else:
            reason = change.reason
            sync_state.acknowledge_entry(page.conn, wire.id, "rejected", at_us=page.at_us, reason=reason)
        return
    head = _head(page, wire.device_id)
    if head is None:
        page.problem("unknown_device", **where)
        return
    last_seq, last_hash = head
    if wire.device_seq <= last_seq and _already_here(page, wire):
        return
    # an entry set aside as edited is known not to hash: the server said so, and alerted the club
    problem = _chain_problem(wire, last_seq, last_hash, vouched=change.reason == "hash_mismatch")
    if problem is not None:
        page.problem(problem, **where)
    if wire.device_seq > last_seq:
        page.heads[wire.device_id] = (wire.device_seq, wire.hash)
    slot = SetAsideSlot(wire.id, wire.device_id, wire.device_seq, wire.prev_hash, wire.hash, change.reason)
    ledger.put_set_aside(page.conn, slot, member_id=wire.member_id, server_seq=change.seq)


def _set_aside_resolved(page: _Page, change: SetAsideResolvedChange) -> None:
    """The club's review confirmed a set-aside entry as refused: it waits no more (this terminal's own: the
    status bar's count drops and the member view says so; another device's: beside its slot). It was
    counted nowhere and stays so."""
    decision = ledger.SetAsideDecision(change.entry_id, change.decision, change.decided_at_us, change.note)
    ledger.put_decision(
        page.conn, decision, device_id=change.device_id, member_id=change.member_id, server_seq=change.seq
    )


def _head(page: _Page, device_id: str) -> tuple[int, str] | None:
    if device_id not in page.heads:
        row = (
            driver(page.conn)
            .execute("SELECT last_seq, head_hash FROM device WHERE id = ?", (device_id,))
            .fetchone()
        )
        if row is None:
            return None
        page.heads[device_id] = (row[0], row[1])
    return page.heads[device_id]


def _already_here(page: _Page, wire: Any) -> bool:
    """A slot at or below the device's head: the same entry again, or another one (a conflict)."""
    if any(e.id == wire.id for e in page.entries) or ledger.get(page.conn, wire.id) is not None:
        return True
    slot = ledger.set_aside_slot(page.conn, wire.device_id, wire.device_seq)
    if slot is not None and slot.id == wire.id:
        return True
    taken = (
        driver(page.conn)
        .execute(
            "SELECT id FROM ledger_entry WHERE device_id = ? AND device_seq = ?",
            (wire.device_id, wire.device_seq),
        )
        .fetchone()
    )
    clash = (
        taken is not None
        or slot is not None
        or any((e.device_id, e.device_seq) == (wire.device_id, wire.device_seq) for e in page.entries)
    )
    if clash:
        page.problem("conflict", device_id=wire.device_id, device_seq=wire.device_seq, subject=wire.id)
    return clash


def _chain_problem(wire: Any, last_seq: int, last_hash: str, *, vouched: bool = False) -> str | None:
    if not vouched and not wire.hash_holds():
        return "edited"
    if wire.device_seq <= last_seq:
        return "late"  # fills a slot after a gap was reported
    if wire.device_seq > last_seq + 1:
        return "sequence_gap"
    if wire.prev_hash != last_hash:
        return "reordered_or_deleted"
    return None


def _flush_entries(page: _Page) -> None:
    ledger.insert_sealed(page.conn, page.entries)
    for entry_id, server_seq in page.acks:
        sync_state.acknowledge_entry(page.conn, entry_id, "accepted", at_us=page.at_us, server_seq=server_seq)
    for device_id, (last_seq, head_hash) in page.heads.items():
        driver(page.conn).execute(
            "UPDATE device SET last_seq = ?, head_hash = ? WHERE id = ? AND NOT is_self",
            (last_seq, head_hash, device_id),
        )


_APPLY: dict[str, Callable[[_Page, Any], None]] = {
    "tier": _tier,
    "branch": _branch,
    "staff": _staff,
    "device": _device,
    "club_key": _key,
    "setting": _setting,
    "card": _card,
    "card_revocation": _revocation,
    "member_photo": _photo,
    "restriction": _restriction,
    "entry": _entry,
    "entry_set_aside": _set_aside,
    "set_aside_resolved": _set_aside_resolved,
    "event": _event,
    "invitation": _invitation,
    "rule_set": _rule_set,
}
