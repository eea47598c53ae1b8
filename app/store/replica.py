# SPDX-License-Identifier: GPL-3.0-or-later
"""Applying what the club server sends (a pull page) to the terminal's SQLite file.

One page and the cursor after it commit in one transaction, so a crash anywhere leaves either both or
neither. Reference data (tiers, branches, staff, devices, keys, settings) and members and cards are
upserts; card status changes only through revocations; staff PIN lockouts stay local (until head office
lifts one: a newer `unlocked_at_us`); a member or card
with a change of this terminal's own still waiting in the outbox keeps the local version until the server
echoes it. A member the club erased (app.domain.member.Member.erased) is written over whatever is held
here, their photo deleted and the outbox's copies of their record rewritten and closed; the file then
forgets the old rows (secure_delete, and the write-ahead log emptied after the page: sync.client).
Entries of other devices are inserted in server order with their device's chain followed and the balance
projection updated; a chain that does not hold is recorded as a problem, not a crash, since
the server stores what happened. Entries of this terminal come back as acknowledgements and are never
inserted twice. Foreign keys are checked at commit, so the order of rows within a page does not matter.

A page arrives as the domain's changes (app.domain.changes): the sync client translates the wire format at
the edge (sync.translate), so this module knows nothing of it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.changes import (
    MEMBER_FIELDS,
    MEMBER_ID,
    BranchChange,
    CardChange,
    Change,
    DeviceChange,
    EntryChange,
    EventChange,
    InvitationChange,
    KeyChange,
    MemberRun,
    PhotoChange,
    PulledPage,
    RestrictionChange,
    RevocationChange,
    RuleSetChange,
    SetAsideChange,
    SetAsideResolvedChange,
    SettingChange,
    StaffChange,
    TierChange,
    row_is_erased,
)
from app.domain.ledger import GENESIS_HASH, LedgerEntry, SetAsideSlot
from app.domain.member import Member
from app.store import club, events, grants, ledger, members, outbox, programme, provisioning, sync_state
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
    entries: list[LedgerEntry] = field(default_factory=list)  # foreign entries to insert, in server order
    acks: list[tuple[str, int]] = field(default_factory=list)  # (entry id, server seq) for those
    members: list[tuple[Any, ...]] = field(default_factory=list)  # MemberRun rows not yet written

    def problem(self, problem: str, **where: Any) -> None:
        sync_state.add_problem(self.conn, problem, at_us=self.at_us, **where)
        self.report.problems += 1

    def exists(self, table: str, key: str) -> bool:
        return driver(self.conn).execute(_EXISTS[table], (key,)).fetchone() is not None


def apply_pull(conn: Connection, response: PulledPage, *, self_device_id: str, at_us: int) -> PageReport:
    """Apply one pull page and move the cursor past it, in the caller's (one) transaction. The pages of a
    new terminal's first fill write the members without their search indexes, built at the end
    (app.store.provisioning)."""
    filling = provisioning.under_way(conn) or (response.more and provisioning.begin(conn))
    report = apply_changes(conn, response.changes, self_device_id=self_device_id, at_us=at_us)
    if filling and not response.more:
        provisioning.finish(conn)
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
        if isinstance(change, MemberRun):  # runs of members are written together, before anything else reads
            page.members.extend(change.rows)
            page.report.applied[change.kind] += len(change.rows)
            continue
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
    _upsert(page.conn, tier, "code", club.tier_values(change.tier))


def _branch(page: _Page, change: BranchChange) -> None:
    _upsert(page.conn, BranchRow.__table__, "id", club.branch_values(change.branch))


def _staff(page: _Page, change: StaffChange) -> None:
    # the PIN lockout columns are not in the values: they stay as this terminal counted them, until head
    # office lifts the lock (a newer `unlocked_at_us` than the last one applied here)
    staff = StaffRow.__table__
    person = change.staff
    values = {
        "id": person.id,
        "name": person.name,
        "role": person.role.value,
        "branch_id": person.branch_id,
        "pin_hash": change.pin_hash,
        "active": person.active,
    }
    before = page.conn.execute(
        select(staff.c.unlocked_at_us, staff.c.failed_pins, staff.c.locked_until_us).where(
            staff.c.id == person.id
        )
    ).first()
    _upsert(page.conn, staff, "id", values)
    stamp = change.unlocked_at_us
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
    values = {
        "id": change.id,
        "code": change.code,
        "branch_id": change.branch_id,
        "is_self": change.id == page.self_device_id,
        "last_seq": 0,
        "head_hash": GENESIS_HASH,
    }
    # a device's chain position is never taken from the server: this terminal's own is its own to keep,
    # and another device's advances only with the entries applied here
    _upsert(page.conn, DeviceRow.__table__, "id", values, keep=("last_seq", "head_hash"))


def _key(page: _Page, change: KeyChange) -> None:
    values = {
        "key_id": change.key_id,
        "public_key": change.public_key,
        "created_at_us": change.created_at_us,
        "retired_at_us": change.retired_at_us,
        "purpose": change.purpose,
    }
    _upsert(page.conn, ClubKeyRow.__table__, "key_id", values)


def _setting(page: _Page, change: SettingChange) -> None:
    if sync_state.is_local_setting(change.key):
        page.problem("local_setting_ignored", subject=change.key)
        return
    _upsert(page.conn, Setting.__table__, "key", {"key": change.key, "value": change.value})


def _rule_set(page: _Page, change: RuleSetChange) -> None:
    """A version of the club's programme: kept with the others (entries name the version that priced them)."""
    if change.rules is None:  # a server newer than this terminal may publish what it cannot read
        page.problem("rule_set_unreadable", subject=str(change.version), detail=change.unreadable)
        return
    programme.put(page.conn, change.rules, change.body, page.at_us)


def _event(page: _Page, change: EventChange) -> None:
    if change.event.id in _pending_subjects(page.conn, (outbox.EVENT,)):
        return  # this terminal's own unsent edit is newer; the server will echo it
    events.put_event(page.conn, change.event)


def _invitation(page: _Page, change: InvitationChange) -> None:
    invitation = change.invitation
    if not page.exists("event", invitation.event_id):
        page.problem("unknown_event", subject=invitation.id)
        return
    events.put_invitation(page.conn, invitation)


# ---- members, cards, revocations, photos, restrictions ------------------------------------------


def _flush_members(page: _Page) -> None:
    """Upsert the page's run of member changes, in order, in one executemany of prepared SQL on the
    driver (a new terminal pulls a million of them: one SQLAlchemy statement each cost ten times more
    than SQLite, and SQLAlchemy's parameter handling of an executemany still twice as much)."""
    if not page.members:
        return
    run, page.members = page.members, []
    # this terminal's own unsent edits are newer; the server will echo them. Not an erased member's: the
    # server refuses every edit of one, and the erasure must not wait for anything held here.
    held = _pending_subjects(page.conn, _MEMBER_ITEMS)
    taken = [r for r in run if r[MEMBER_ID] not in held or row_is_erased(r)] if held else run
    if taken:
        driver(page.conn).executemany(_MEMBER_UPSERT, _member_rows(taken))
    for row in {r[MEMBER_ID]: r for r in run if row_is_erased(r)}.values():
        _erase(page, Member(*row))


def _erase(page: _Page, member: Member) -> None:
    """The club erased the member: the record is the placeholders now (written above); the photo goes, and
    so do the copies of the record in the outbox (what was not sent yet will never be: it is closed)."""
    members.forget_photo(page.conn, member.id)
    erased = _member_json(member)
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


_MEMBER_COLUMNS = MEMBER_FIELDS
_BIRTH_DATE = MEMBER_FIELDS.index("birth_date")
_MEMBER_UPSERT = (
    f"INSERT INTO member ({', '.join(_MEMBER_COLUMNS)}) VALUES ({', '.join('?' * len(_MEMBER_COLUMNS))})"
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _MEMBER_COLUMNS if c != "id")
)


def _member_rows(run: Sequence[tuple[Any, ...]]) -> Sequence[tuple[Any, ...]]:
    """MemberRun rows as SQLAlchemy stores them: a date as ISO text (a bool binds as 0/1 as it is). Only a
    row with a birth date is copied: a new terminal writes a million of them."""
    b = _BIRTH_DATE
    return [r if r[b] is None else (*r[:b], r[b].isoformat(), *r[b + 1 :]) for r in run]


def _member_json(member: Member) -> dict[str, object]:
    """The member as the outbox holds them (a member item's "member": the same fields, JSON's shapes)."""
    values = {name: getattr(member, name) for name in _MEMBER_COLUMNS}
    birth = member.birth_date
    return values | {"birth_date": None if birth is None else birth.isoformat()}


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
    values = {
        "number": card.number,
        "kind": card.kind.value,
        "uid": uid,
        "member_id": card.member_id,
        "issued_at_us": card.issued_at_us,
        "expires_at_us": card.expires_at_us,
        "payload_version": card.payload_version,
        "status": "active",
    }
    stmt = sqlite_insert(table).values(**values)
    updates = {k: v for k, v in values.items() if k not in ("number", "status", "uid")}
    # a card is bound to one chip for life: an older change without the UID never unbinds it
    updates["uid"] = func.coalesce(stmt.excluded.uid, table.c.uid)
    page.conn.execute(stmt.on_conflict_do_update(index_elements=[table.c.number], set_=updates))


def _revocation(page: _Page, change: RevocationChange) -> None:
    cards = CardRow.__table__
    known = page.conn.execute(select(cards.c.number).where(cards.c.number == change.card_number)).first()
    if known is None:
        page.problem("unknown_card", subject=change.card_number, detail=f"revocation {change.id}")
        return
    table = CardRevocationRow.__table__
    added = page.conn.execute(
        sqlite_insert(table)
        .values(
            id=change.id,
            card_number=change.card_number,
            status=change.status,
            reason=change.reason,
            staff_id=change.staff_id,
            at_us=change.at_us,
        )
        .on_conflict_do_nothing(index_elements=[table.c.id])
    )
    if added.rowcount:  # a revocation this terminal already holds (its own, echoed) changes nothing
        page.conn.execute(
            update(cards).where(cards.c.number == change.card_number).values(status=change.status)
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
    entry = change.entry
    local = ledger.get(page.conn, entry.id)
    where = {"device_id": entry.device_id, "device_seq": entry.device_seq, "subject": entry.id}
    if local is None:
        page.problem("own_entry_missing", **where)
        return
    if local.hash != entry.hash:
        page.problem("own_entry_differs", **where)
        return
    reviewed = sync_state.accept_after_review(page.conn, entry.id, at_us=page.at_us, server_seq=change.seq)
    if reviewed or sync_state.acknowledge_entry(
        page.conn, entry.id, "accepted", at_us=page.at_us, server_seq=change.seq
    ):
        page.report.acknowledged += 1


def _foreign_entry(page: _Page, change: EntryChange) -> None:
    entry = change.entry
    where = {"device_id": entry.device_id, "device_seq": entry.device_seq, "subject": entry.id}
    head = _head(page, entry.device_id)
    if head is None:
        page.problem("unknown_device", **where)
        return
    if not (page.exists("member", entry.member_id) and page.exists("branch", entry.branch_id)):
        page.problem("unknown_member_or_branch", **where)
        return
    last_seq, last_hash = head
    if entry.device_seq <= last_seq:
        if _accepted_after_review(page, entry):
            page.entries.append(entry)
            page.acks.append((entry.id, change.seq))
            return
        if _already_here(page, entry):
            return
    problem = _chain_problem(entry, last_seq, last_hash)
    if problem is not None:
        page.problem(problem, **where)
    if entry.device_seq > last_seq:
        page.heads[entry.device_id] = (entry.device_seq, entry.hash)
    page.entries.append(entry)
    page.acks.append((entry.id, change.seq))


def _accepted_after_review(page: _Page, entry: LedgerEntry) -> bool:
    """The entry held here as set aside, now accepted by the club's review: it takes its slot's place."""
    slot = ledger.set_aside_slot(page.conn, entry.device_id, entry.device_seq)
    if slot is None or (slot.id, slot.hash) != (entry.id, entry.hash):
        return False
    ledger.drop_set_aside(page.conn, entry.id)
    return True


def _set_aside(page: _Page, change: SetAsideChange) -> None:
    """An entry the server set aside. This terminal's own: the push's answer again. Another device's: its
    place in that device's chain, so the chain holds across it (it counts nowhere)."""
    entry = change.entry
    where = {"device_id": entry.device_id, "device_seq": entry.device_seq, "subject": entry.id}
    if entry.device_id == page.self_device_id:
        if ledger.get(page.conn, entry.id) is None:
            page.problem("own_entry_missing", **where)
        else:
            reason = change.reason
            sync_state.acknowledge_entry(page.conn, entry.id, "rejected", at_us=page.at_us, reason=reason)
        return
    head = _head(page, entry.device_id)
    if head is None:
        page.problem("unknown_device", **where)
        return
    last_seq, last_hash = head
    if entry.device_seq <= last_seq and _already_here(page, entry):
        return
    # an entry set aside as edited is known not to hash: the server said so, and alerted the club
    problem = _chain_problem(entry, last_seq, last_hash, vouched=change.reason == "hash_mismatch")
    if problem is not None:
        page.problem(problem, **where)
    if entry.device_seq > last_seq:
        page.heads[entry.device_id] = (entry.device_seq, entry.hash)
    slot = SetAsideSlot(
        entry.id, entry.device_id, entry.device_seq, entry.prev_hash, entry.hash, change.reason
    )
    ledger.put_set_aside(page.conn, slot, member_id=entry.member_id, server_seq=change.seq)


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


def _already_here(page: _Page, entry: LedgerEntry) -> bool:
    """A slot at or below the device's head: the same entry again, or another one (a conflict)."""
    if any(e.id == entry.id for e in page.entries) or ledger.get(page.conn, entry.id) is not None:
        return True
    slot = ledger.set_aside_slot(page.conn, entry.device_id, entry.device_seq)
    if slot is not None and slot.id == entry.id:
        return True
    taken = (
        driver(page.conn)
        .execute(
            "SELECT id FROM ledger_entry WHERE device_id = ? AND device_seq = ?",
            (entry.device_id, entry.device_seq),
        )
        .fetchone()
    )
    clash = (
        taken is not None
        or slot is not None
        or any((e.device_id, e.device_seq) == (entry.device_id, entry.device_seq) for e in page.entries)
    )
    if clash:
        page.problem("conflict", device_id=entry.device_id, device_seq=entry.device_seq, subject=entry.id)
    return clash


def _chain_problem(entry: LedgerEntry, last_seq: int, last_hash: str, *, vouched: bool = False) -> str | None:
    if not vouched and entry.expected_hash() != entry.hash:
        return "edited"
    if entry.device_seq <= last_seq:
        return "late"  # fills a slot after a gap was reported
    if entry.device_seq > last_seq + 1:
        return "sequence_gap"
    if entry.prev_hash != last_hash:
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
