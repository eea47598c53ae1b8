# SPDX-License-Identifier: GPL-3.0-or-later
"""POST /v1/sync/push: a device's items, then its ledger entries, in one transaction.

Runs inside `Database.write`. The device's row is locked first (its chain head is read and advanced),
so one device's pushes never interleave. A batch of entries is set-based work: what the server holds under
the batch's ids and slots is read in two statements, every entry is decided in memory (the same body is a
duplicate, another body a conflict, the hash and what it names checked, then sync.server.vetting), and
what is decided is stored with a few statements whatever the batch's size: the set-aside entries, the
balances (one UPDATE over arrays), the device's head, then the server numbers (the counter row, taken as
late as before: sync.server.sequence) and the accepted entries with their numbers in one
INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING under the database's uniqueness constraints (`id`
primary key, unique `device_id, device_seq`, one bonus a member and key). A row those keep out after all
(another push committed the same id or bonus key meanwhile) is settled as before (a conflict, or a bonus
set aside) and the batch stored again from a savepoint, so no number is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import BigInteger, Connection, Integer, and_, or_, select, update

from app.domain import bonus
from app.domain.ledger import EntryKind, LedgerEntry
from sync.protocol import (
    CardItem,
    CardTapItem,
    ChainProblem,
    EventItem,
    InvitationItem,
    Item,
    MemberItem,
    Outcome,
    PhoneCodeItem,
    PushRequest,
    PushResponse,
    Result,
    RevocationItem,
    WireEntry,
)
from sync.server import balances, card_taps, events, members, phone_codes, vetting
from sync.server.alerts import audit, raise_alert
from sync.server.db import dialect_insert, one_of
from sync.server.errors import ApiError
from sync.server.messages import causes
from sync.server.models import BRANCH, DEVICE, ENTRY, ITEM, REJECTED, TIER
from sync.server.sequence import Publisher
from sync.server.vetting import items, velocity

_ENTRY_FIELDS = tuple(WireEntry.model_fields)


@dataclass(slots=True)
class _Head:
    last_seq: int
    head_hash: str
    contiguous_seq: int
    scope: vetting.Scope


@dataclass(slots=True)
class _Push:
    """One push's working state."""

    device_id: str
    pub: Publisher
    head: _Head
    tickets: dict[tuple[str, str], int] = field(default_factory=dict)  # (item|entry, id) → ticket
    problems: list[ChainProblem] = field(default_factory=list)


def push(conn: Connection, device_id: str, request: PushRequest, now_us: int) -> PushResponse:
    if request.device_id != device_id or any(e.device_id != device_id for e in request.entries):
        raise ApiError(403, "wrong_device", "a device pushes its own entries only")
    state = _Push(device_id, Publisher(now_us), _lock_device(conn, device_id, now_us))
    items = [_apply_item(conn, state, item) for item in request.items]
    entries = _apply_entries(conn, state, request.entries)
    seqs = state.pub.flush(conn)
    items = [_numbered(r, state.tickets.get(("item", r.id)), seqs) for r in items]
    entries = [_numbered(r, state.tickets.get(("entry", r.id)), seqs) for r in entries]
    # the items' numbers are kept for their retries: written with the numbers themselves, then commit
    _record_item_seqs(conn, [r for r in items if r.outcome is Outcome.ACCEPTED and r.server_seq])
    # Two doors that admitted one member offline are flagged once both admissions are here. After the
    # counter row (flush): another door's push of the same admission has committed by now, or waits for this
    # one to commit and then sees it (a new statement under READ COMMITTED), so one of the two sees both.
    answered = zip(request.entries, entries, strict=True)
    accepted = [e for e, r in answered if r.outcome is Outcome.ACCEPTED]
    events.flag_double_admissions(conn, now_us, device_id, accepted)
    causes.from_push(conn, now_us, accepted)  # the members' messages, in this transaction (one statement)
    return PushResponse(
        items=items,
        entries=entries,
        contiguous_seq=state.head.contiguous_seq,
        chain_problems=state.problems,
        server_time_us=now_us,
    )


def _invitation_message(conn: Connection, pub: Publisher, pushed: Any) -> None:
    """A manager invited the member at a terminal: their message, with the signed QR as a link, as the
    back office's invitation sends (once per event and member, whoever invited)."""
    event = events.get_event(conn, pushed.event_id)
    stored = events.get_invitation(conn, pushed.event_id, pushed.member_id)
    if event is not None and stored is not None:
        causes.invitations_signed(conn, pub, event, [stored])


def _lock_device(conn: Connection, device_id: str, now_us: int) -> _Head:
    row = conn.execute(
        update(DEVICE)
        .where(DEVICE.c.id == device_id)
        .values(last_seen_us=now_us)
        .returning(
            DEVICE.c.last_seq,
            DEVICE.c.head_hash,
            DEVICE.c.contiguous_seq,
            DEVICE.c.code,
            DEVICE.c.branch_id,
            DEVICE.c.enrolled_at_us,
            DEVICE.c.card_prefix,
        )
    ).one()
    branch_code = conn.execute(select(BRANCH.c.code).where(BRANCH.c.id == row.branch_id)).scalar_one()
    scope = vetting.Scope(
        device_id, row.code, row.branch_id, branch_code, row.enrolled_at_us, card_prefix=row.card_prefix
    )
    return _Head(row.last_seq, row.head_hash, row.contiguous_seq, scope)


def _save_head(conn: Connection, state: _Push, stored: Iterable[int] = ()) -> None:
    """Write the device's head; `stored`: the slots this push fills that are not in the tables yet."""
    head = state.head
    head.contiguous_seq = _contiguous(conn, state.device_id, head.contiguous_seq, stored)
    conn.execute(
        update(DEVICE)
        .where(DEVICE.c.id == state.device_id)
        .values(last_seq=head.last_seq, head_hash=head.head_hash, contiguous_seq=head.contiguous_seq)
    )


def _contiguous(conn: Connection, device_id: str, since: int, stored: Iterable[int]) -> int:
    """The highest n such that the server holds (accepted or rejected) every entry 1..n of the device, with
    the slots in `stored`."""
    seqs: set[int] = set(stored)
    for table in (ENTRY, REJECTED):
        query = select(table.c.device_seq).where(table.c.device_id == device_id, table.c.device_seq > since)
        seqs.update(conn.execute(query).scalars())
    while since + 1 in seqs:
        since += 1
    return since


def _result(
    entry_id: str, outcome: Outcome, reason: str | None = None, server_seq: int | None = None
) -> Result:
    return Result(id=entry_id, outcome=outcome, reason=reason, server_seq=server_seq)


def _numbered(result: Result, ticket: int | None, seqs: list[int]) -> Result:
    if ticket is None or result.outcome is not Outcome.ACCEPTED:
        return result
    return _result(result.id, result.outcome, result.reason, seqs[ticket])


# ---- items --------------------------------------------------------------------------------------


def _canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _apply_item(conn: Connection, state: _Push, item: Item) -> Result:
    body = _canonical(item.model_dump(mode="json"))
    reason = _item_refusal(conn, item) or _device_item_refusal(conn, state.head.scope, item)
    outcome = Outcome.ACCEPTED if reason is None else Outcome.REJECTED
    inserted = conn.execute(
        dialect_insert(conn, ITEM)
        .values(
            id=item.id,
            device_id=state.device_id,
            kind=item.kind,
            body=body,
            outcome=outcome.value,
            reason=reason,
            received_at_us=state.pub.at_us,
        )
        .on_conflict_do_nothing()
        .returning(ITEM.c.id)
    ).first()
    if inserted is None:
        return _known_item(conn, state, item, body)
    if reason is not None:
        raise_alert(
            conn,
            state.pub.at_us,
            "item_rejected",
            device_id=state.device_id,
            subject=item.id,
            item_kind=item.kind,
            reason=reason,
        )
        return Result(id=item.id, outcome=outcome, reason=reason)
    if isinstance(item, PhoneCodeItem):  # a report: kept and compared with other terminals', not published
        phone_codes.record(conn, state.device_id, item, state.pub.at_us)
        return Result(id=item.id, outcome=outcome)
    if isinstance(item, CardTapItem):  # a report too: compared with the card's other taps (clones)
        card_taps.record(conn, state.device_id, state.head.scope.branch_id, item, state.pub.at_us)
        return Result(id=item.id, outcome=outcome)
    ticket = _apply_accepted_item(conn, state, item)
    if ticket is not None:
        state.tickets["item", item.id] = ticket
    return Result(id=item.id, outcome=outcome)


def _has_nul(data: object) -> bool:
    """A NUL character: SQLite keeps it, PostgreSQL cannot store it in text. Refused as one entry's or item's
    problem (`unstorable_text`), so that it cannot fail the whole batch behind it."""
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(_has_nul(v) for v in data.values())
    return False


def _item_refusal(conn: Connection, item: Item) -> str | None:
    if _has_nul(item.model_dump(mode="json")):
        return "unstorable_text"
    if isinstance(item, MemberItem):
        return members.refusal_for_member(conn, item.member)
    if isinstance(item, CardItem):
        return members.refusal_for_card(conn, item.card)
    if isinstance(item, RevocationItem):
        return "unknown_card" if members.card_owner(conn, item.revocation.card_number) is None else None
    if isinstance(item, EventItem):
        return events.event_refusal(conn, item.event)
    # a phone code's report is checked against the card (_device_item_refusal)
    return events.invitation_refusal(conn, item.invitation) if isinstance(item, InvitationItem) else None


def _device_item_refusal(conn: Connection, scope: vetting.Scope, item: Item) -> str | None:
    """What this terminal may not change (sync.server.vetting.items)."""
    if isinstance(item, MemberItem):
        return items.member_refusal(conn, scope, item.member)
    if isinstance(item, CardItem):
        return items.card_refusal(conn, scope, item.card)
    if isinstance(item, RevocationItem):
        return items.revocation_refusal(conn, scope, item.revocation)
    if isinstance(item, PhoneCodeItem):  # a terminal reports the codes of the club's own phones only
        return phone_codes.refusal(conn, item)
    if isinstance(item, CardTapItem):  # of the club's own cards, as their members' only
        return card_taps.refusal(conn, item)
    return None


def _apply_member(conn: Connection, state: _Push, item: MemberItem) -> int:
    pub, scope = state.pub, state.head.scope
    ticket = len(pub)
    before = members.get(conn, item.member.id)
    member, corrected = items.member_as_allowed(conn, scope, item.member)
    enrolled_by = state.device_id if before is None else None
    sharing = members.put_member(conn, pub, member, enrolled_by=enrolled_by, consent_source="terminal")
    items.audit_member(conn, scope, member, new=before is None, at_us=pub.at_us)
    if corrected:  # a record naming another branch or tier than the terminal may give
        raise_alert(
            conn, pub.at_us, "member_corrected", device_id=state.device_id, member_id=member.id,
            sent=corrected,
        )  # fmt: skip
    if sharing and (before is None or before.phone != member.phone):
        # two terminals enrolled one person offline: keep both, let a person decide
        raise_alert(
            conn,
            pub.at_us,
            "duplicate_phone",
            device_id=state.device_id,
            member_id=member.id,
            phone=member.phone,
            other_members=sharing,
        )
    return ticket


def _apply_accepted_item(conn: Connection, state: _Push, item: Item) -> int | None:
    """Apply the item; the publisher ticket of its change (None: nothing new to publish)."""
    pub = state.pub
    if isinstance(item, MemberItem):
        return _apply_member(conn, state, item)
    if isinstance(item, CardItem):
        ticket = len(pub)
        members.put_card(conn, pub, item.card)
        return ticket
    if isinstance(item, EventItem):  # an upsert by id, as the domain cleans it (what was refused is not here)
        ticket = len(pub)
        # a manager at this branch made it: it is the branch's (its manager manages it in the back office)
        events.put_event(conn, pub, events.checked(conn, item.event), branch_id=state.head.scope.branch_id)
        return ticket
    if isinstance(item, InvitationItem):  # an upsert by (event, member): the stored id is what is published
        ticket = len(pub)
        events.put_invitation(conn, pub, item.invitation)
        _invitation_message(conn, pub, item.invitation)
        return ticket
    assert isinstance(item, RevocationItem)
    ticket = len(pub)
    if not members.revoke(conn, pub, item.revocation):
        return None
    revocation = item.revocation
    audit(
        conn, pub.at_us, items.actor(state.head.scope), "card_revoked_by_terminal", revocation.card_number,
        status=revocation.status, reason=revocation.reason, staff_id=revocation.staff_id,
    )  # fmt: skip
    return ticket


def _known_item(conn: Connection, state: _Push, item: Item, body: str) -> Result:
    """An item id seen before: the same body gets the same answer, another body is a conflict."""
    stored = conn.execute(select(ITEM).where(ITEM.c.id == item.id)).one()
    if isinstance(item, MemberItem) and items.is_erased(conn, item.member.id):
        # the stored body was scrubbed by the erasure (sync.server.club.privacy): no conflict to alert
        return Result(id=item.id, outcome=Outcome.REJECTED, reason="member_erased")
    if stored.body != body:
        raise_alert(
            conn,
            state.pub.at_us,
            "item_conflict",
            device_id=state.device_id,
            subject=item.id,
            item_kind=item.kind,
        )
        return Result(id=item.id, outcome=Outcome.CONFLICT, reason="item_conflict")
    if stored.outcome == Outcome.ACCEPTED.value:
        return Result(id=item.id, outcome=Outcome.DUPLICATE, server_seq=stored.server_seq)
    return Result(id=item.id, outcome=Outcome(stored.outcome), reason=stored.reason)


def _record_item_seqs(conn: Connection, results: list[Result]) -> None:
    for result in results:
        conn.execute(update(ITEM).where(ITEM.c.id == result.id).values(server_seq=result.server_seq))


# ---- entries ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Known:
    """What the server already holds for a batch's ids and slots."""

    entries_by_id: dict[str, Any]
    entries_by_seq: dict[int, Any]
    rejected_by_id: dict[str, Any]
    rejected_by_seq: dict[int, Any]


def _apply_entries(conn: Connection, state: _Push, entries: list[WireEntry]) -> list[Result]:
    """Decide each entry in memory and with a few reads, then store what was decided (`_store`)."""
    if not entries:
        _save_head(conn, state)
        return []
    sealed = [sealed_entry(e) for e in entries]  # each entry's domain form, made once for every check
    if min(e.device_seq for e in entries) > state.head.last_seq:
        # The usual batch: every slot past the device's head, so no row holds one (the head follows what is
        # stored), and the ids are new unless a terminal misbehaves. The ledger's lookup of the ids is left
        # to the insert's constraints: when they keep a row out, or a refused entry's id or slot is in the
        # ledger after all, the attempt is rolled back whole and the batch decided again with the lookup,
        # so the answers are the lookup's.
        saved = _saved(state)
        attempt = conn.begin_nested()
        known = _load_known(conn, state.device_id, entries, tables=(REJECTED,))
        results = _decide(conn, state, entries, sealed, known, strict=True)
        if results is not None:
            attempt.commit()
            return results
        attempt.rollback()
        _restore(state, saved)
    known = _load_known(conn, state.device_id, entries)
    results = _decide(conn, state, entries, sealed, known, strict=False)
    assert results is not None
    return results


_Saved = tuple[_Head, int, dict[tuple[str, str], int], tuple[int, int]]


def _saved(state: _Push) -> _Saved:
    """What a rollback to a savepoint taken now must take back of the push's state (`_restore`)."""
    return replace(state.head), len(state.problems), dict(state.tickets), state.pub.mark()


def _restore(state: _Push, saved: _Saved) -> None:
    head, problems, tickets, mark = saved
    state.pub.rewind(mark)
    state.head, state.tickets = replace(head), tickets
    del state.problems[problems:]


def _decide(
    conn: Connection, state: _Push, entries: list[WireEntry], sealed: list[LedgerEntry], known: _Known,
    *, strict: bool,
) -> list[Result] | None:  # fmt: skip
    """Answer and store the batch against what the server holds (`known`). `strict`: `known` lacks the
    ledger's rows, so a row the constraints keep out, or a refused entry the ledger holds, ends it (None)."""
    refusals = _refusals(conn, entries, sealed)
    results: list[Result | None] = [None] * len(entries)
    new: list[int] = []  # indexes of entries the server has not seen: to store, accepted or rejected
    ids: set[str] = set()
    for i, entry in enumerate(entries):
        stored = known.entries_by_id.get(entry.id) or known.entries_by_seq.get(entry.device_seq)
        kept = known.rejected_by_id.get(entry.id) or known.rejected_by_seq.get(entry.device_seq)
        if stored is not None:
            results[i] = _against_stored(conn, state, entry, stored)
        elif kept is not None:
            results[i] = _against_rejected(conn, state, entry, kept)
        elif entry.id in ids:  # the batch's second entry under one id
            results[i] = _conflict(conn, state, entry)
        else:
            ids.add(entry.id)
            new.append(i)
    _refuse_repeated_bonuses(conn, entries, new, refusals)
    tally = vetting.vet(
        conn, state.head.scope, entries, candidates=new, refusals=refusals, now_us=state.pub.at_us,
        sealed=sealed,
    )  # fmt: skip
    if strict and _in_ledger(conn, state.device_id, [entries[i] for i in new if refusals[i] is not None]):
        return None
    batch = _Batch(entries, sealed, refusals, results, tally)
    while True:
        # A row the insert's constraints keep out after all (another push committed the same id or bonus
        # key since the reads above) would leave its number unused: the savepoint takes back the numbers
        # and all that was written for the batch, and it is stored again without that row.
        saved = _saved(state)
        savepoint = conn.begin_nested()
        missed = _store(conn, state, batch, new)
        if not missed:
            savepoint.commit()
            break
        savepoint.rollback()
        if strict:
            return None
        _restore(state, saved)
        _lost_bonus_races(conn, entries, missed, refusals)
        for i in missed:
            if refusals[i] is None:  # its id or slot is taken by now: a conflict
                new.remove(i)
                results[i] = _conflict(conn, state, entries[i])
    return [r for r in results if r is not None]


def _in_ledger(conn: Connection, device_id: str, entries: list[WireEntry]) -> bool:
    """Whether the ledger holds any of these entries' ids or slots."""
    if not entries:
        return False
    query = select(ENTRY.c.id).where(
        or_(
            one_of(conn, ENTRY.c.id, {e.id for e in entries}),
            and_(
                ENTRY.c.device_id == device_id,
                one_of(conn, ENTRY.c.device_seq, {e.device_seq for e in entries}),
            ),
        )
    )
    return conn.execute(query.limit(1)).first() is not None


@dataclass(frozen=True, slots=True)
class _Batch:
    entries: list[WireEntry]
    sealed: list[LedgerEntry]
    refusals: list[str | None]
    results: list[Result | None]
    tally: velocity.Tally


def _store(conn: Connection, state: _Push, batch: _Batch, new: list[int]) -> list[int]:
    """Store the new entries as decided: the refused ones set aside, the device's head, the balances, then
    the server numbers (the counter row, locked to commit) and the accepted entries with them, one
    statement. Returns the accepted ones the constraints kept out (nothing is right then)."""
    entries, refusals, results, pub = batch.entries, batch.refusals, batch.results, state.pub
    accepted = [i for i in new if refusals[i] is None]
    refused = [i for i in new if refusals[i] is not None]
    kept = _insert_rejected(conn, state, [(entries[i], refusals[i] or "") for i in refused])
    for i in refused:
        if entries[i].id in kept:
            results[i] = _result(entries[i].id, Outcome.REJECTED, refusals[i])
        else:  # the id is another device's (in the set-aside table)
            results[i] = _conflict(conn, state, entries[i])
    for i in accepted:
        results[i] = _result(entries[i].id, Outcome.ACCEPTED)
    stored_now = [i for i in new if refusals[i] is None or entries[i].id in kept]
    _follow_chain(conn, state, [(entries[i], refusals[i]) for i in stored_now])
    tickets: dict[int, int] = {}
    for i in stored_now:  # in the batch's (device) order: a set-aside slot comes before what follows it
        if refusals[i] is None:
            tickets[i] = pub.entry(entries[i].id)
        else:
            publish_set_aside(pub, entries[i], refusals[i] or "")
    ledger_entries = [batch.sealed[i] for i in accepted]
    balances.apply(conn, pub, ledger_entries)
    members.apply_tier_changes(conn, pub, ledger_entries)
    batch.tally.record(conn, {entries[i].id for i in accepted}, pub.at_us)
    _save_head(conn, state, [entries[i].device_seq for i in stored_now])
    seqs = pub.number(conn)
    inserted = _insert_entries(conn, state, [(entries[i], seqs[tickets[i]]) for i in accepted])
    pub.written(tickets[i] for i in accepted)
    state.tickets.update((("entry", entries[i].id), tickets[i]) for i in accepted)
    return [i for i in accepted if entries[i].id not in inserted]


def sealed_entry(entry: WireEntry) -> LedgerEntry:
    """The entry's domain form. From the model's own fields: `to_entry`'s model_dump copies each of them
    once more, and a push makes a thousand."""
    return LedgerEntry(**entry.__dict__)


def _load_known(
    conn: Connection, device_id: str, entries: list[WireEntry], tables: tuple[Any, ...] = (ENTRY, REJECTED)
) -> _Known:
    """What the server holds under the batch's ids or in its device slots: two statements (one a table),
    each the ids' primary-key lookups and one range of the device's slots (the batch's seqs are sorted),
    the rows outside the batch's slots dropped here. A table left out of `tables` counts as empty."""
    ids = [e.id for e in entries]
    seqs = {e.device_seq for e in entries}
    low, high = min(seqs), max(seqs)
    found: list[dict[Any, Any]] = []
    for table in (ENTRY, REJECTED):
        if table not in tables:
            found += [{}, {}]
            continue
        if conn.dialect.name == "postgresql":  # the ids as a binary array (see _INSERT_PG)
            rows = list(conn.exec_driver_sql(_KNOWN_PG[table.name], (ids, device_id, low, high)))
        else:
            by_id = select(table).where(table.c.id.in_(ids))
            by_slot = select(table).where(
                table.c.device_id == device_id, table.c.device_seq.between(low, high)
            )
            rows = list(conn.execute(by_id.union(by_slot)))
        found.append({r.id: r for r in rows})
        found.append({r.device_seq: r for r in rows if r.device_id == device_id and r.device_seq in seqs})
    return _Known(*found)


_KNOWN_PG = {
    table.name: f"SELECT * FROM {table.name} WHERE id = ANY(%b::text[]) UNION"
    f" SELECT * FROM {table.name} WHERE device_id = %b AND device_seq BETWEEN %b AND %b"
    for table in (ENTRY, REJECTED)
}


def _refusals(conn: Connection, entries: list[WireEntry], sealed: list[LedgerEntry]) -> list[str | None]:
    """Why each entry cannot be accepted (hash first, then what it names), or None."""
    known_members = members.existing_ids(conn, {e.member_id for e in entries})
    branch_ids = {e.branch_id for e in entries}
    in_branches = select(BRANCH.c.id).where(one_of(conn, BRANCH.c.id, branch_ids))
    known_branches = set(conn.execute(in_branches).scalars())
    tier_refs = {e.invoice_ref or "" for e in entries if e.kind is EntryKind.TIER_CHANGE}
    known_tiers = (
        set(conn.execute(select(TIER.c.code).where(one_of(conn, TIER.c.code, tier_refs))).scalars())
        if tier_refs
        else set()
    )
    reasons: list[str | None] = []
    for entry, domain in zip(entries, sealed, strict=True):
        if domain.expected_hash() != entry.hash:
            reasons.append("hash_mismatch")
        elif _flat_has_nul(entry):
            reasons.append("unstorable_text")
        elif entry.member_id not in known_members:
            reasons.append("unknown_member")
        elif entry.branch_id not in known_branches:
            reasons.append("unknown_branch")
        elif entry.kind is EntryKind.TIER_CHANGE and entry.invoice_ref not in known_tiers:
            reasons.append("unknown_tier")  # the member's tier would name nothing
        else:
            reasons.append(None)
    return reasons


def _flat_has_nul(entry: WireEntry) -> bool:
    """`_has_nul` of an entry: its free texts (the other text fields are ids and hashes by their patterns,
    or a kind)."""
    return "\x00" in (entry.invoice_ref or "") or "\x00" in (entry.reason or "")


BONUS_ALREADY_GRANTED = "bonus_already_granted"


def _once_only_bonus(entry: WireEntry) -> bool:
    return (
        entry.kind is EntryKind.BONUS and bool(entry.invoice_ref) and bonus.once_only(entry.invoice_ref or "")
    )


def _refuse_repeated_bonuses(
    conn: Connection, entries: list[WireEntry], new: list[int], refusals: list[str | None]
) -> None:
    """A bonus whose key the member already holds (app.domain.bonus: one grant per member and key) is set
    aside, whichever device granted it first; so is the second of two in one batch."""
    candidates = [i for i in new if refusals[i] is None and _once_only_bonus(entries[i])]
    if not candidates:
        return
    member_ids = {entries[i].member_id for i in candidates}
    refs = {entries[i].invoice_ref for i in candidates}
    rows = conn.execute(
        select(ENTRY.c.member_id, ENTRY.c.invoice_ref).where(
            ENTRY.c.kind == EntryKind.BONUS.value,
            one_of(conn, ENTRY.c.member_id, member_ids),
            one_of(conn, ENTRY.c.invoice_ref, refs),
        )
    )
    held = {(r.member_id, r.invoice_ref) for r in rows}
    for i in candidates:
        key = (entries[i].member_id, entries[i].invoice_ref)
        if key in held:
            refusals[i] = BONUS_ALREADY_GRANTED
        held.add(key)


def _lost_bonus_races(
    conn: Connection, entries: list[WireEntry], missed: list[int], refusals: list[str | None]
) -> None:
    """Bonuses the insert's constraints kept out although no row held their id or slot: another push
    granted the same key and committed while this one ran. They are set aside like any repeated bonus."""
    bonuses = [i for i in missed if _once_only_bonus(entries[i])]
    if not bonuses:
        return
    ids = {entries[i].id for i in bonuses}
    device_id = entries[bonuses[0]].device_id
    seqs = {entries[i].device_seq for i in bonuses}
    taken = conn.execute(
        select(ENTRY.c.id, ENTRY.c.device_id, ENTRY.c.device_seq).where(
            or_(
                one_of(conn, ENTRY.c.id, ids),
                and_(ENTRY.c.device_id == device_id, one_of(conn, ENTRY.c.device_seq, seqs)),
            )
        )
    ).all()
    taken_ids = {r.id for r in taken}
    taken_slots = {r.device_seq for r in taken if r.device_id == device_id}
    for i in bonuses:
        if entries[i].id not in taken_ids and entries[i].device_seq not in taken_slots:
            refusals[i] = BONUS_ALREADY_GRANTED


def _insert_entries(conn: Connection, state: _Push, numbered: list[tuple[WireEntry, int]]) -> set[str]:
    """Insert what the constraints let in, each with its server number; the ids that went in."""
    if not numbered:
        return set()
    if conn.dialect.name == "postgresql":
        return _insert_entries_pg(conn, numbered, state.pub.at_us)
    rows = [e.model_dump() | {"server_seq": seq, "received_at_us": state.pub.at_us} for e, seq in numbered]
    statement = dialect_insert(conn, ENTRY).on_conflict_do_nothing().returning(ENTRY.c.id)
    return set(conn.execute(statement, rows).scalars())


def _unnest_type(column: Any) -> str:
    if isinstance(column.type, BigInteger):
        return "bigint[]"
    if isinstance(column.type, Integer):
        return "integer[]"
    return "text[]"


_ENTRY_COLUMNS = [ENTRY.c[name] for name in _ENTRY_FIELDS]
# One statement a batch, whatever its size: the columns as arrays, unnested into rows. The arrays go in
# PostgreSQL's binary format (%b): as text, psycopg quotes every element and the server parses them back,
# seven times as long for an array of ids.
_INSERT_PG = (
    f"INSERT INTO ledger_entry ({', '.join(_ENTRY_FIELDS)}, server_seq, received_at_us)"
    f" SELECT *, %b::bigint FROM unnest({', '.join(f'%b::{_unnest_type(c)}' for c in _ENTRY_COLUMNS)},"
    " %b::bigint[]) ON CONFLICT DO NOTHING RETURNING id"
)


def _insert_entries_pg(conn: Connection, numbered: list[tuple[WireEntry, int]], at_us: int) -> set[str]:
    """The batch as one INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING id, on the
    transaction's own connection; a driver error is raised as SQLAlchemy's, as from any other statement
    (retries, 409/422/503 answers)."""
    rows = [e.__dict__ for e, _ in numbered]
    columns = [[row[name] for row in rows] for name in _ENTRY_FIELDS]
    kind = _ENTRY_FIELDS.index("kind")
    columns[kind] = [k.value for k in columns[kind]]
    seqs = [seq for _, seq in numbered]
    return set(conn.exec_driver_sql(_INSERT_PG, (at_us, *columns, seqs)).scalars())


def _insert_rejected(conn: Connection, state: _Push, refused: list[tuple[WireEntry, str]]) -> set[str]:
    if not refused:
        return set()
    rows = [
        {
            "id": e.id,
            "device_id": e.device_id,
            "device_seq": e.device_seq,
            "body": _canonical(e.model_dump(mode="json")),
            "reason": reason,
            "received_at_us": state.pub.at_us,
        }
        for e, reason in refused
    ]
    statement = dialect_insert(conn, REJECTED).on_conflict_do_nothing().returning(REJECTED.c.id)
    kept = set(conn.execute(statement, rows).scalars())
    for entry, reason in refused:
        if entry.id in kept:
            kind = "entry_edited" if reason == "hash_mismatch" else "entry_rejected"
            raise_alert(
                conn,
                state.pub.at_us,
                kind,
                device_id=state.device_id,
                member_id=entry.member_id,
                subject=entry.id,
                device_seq=entry.device_seq,
                reason=reason,
            )
    return kept


def publish_set_aside(pub: Publisher, entry: WireEntry, reason: str) -> None:
    """Every terminal learns the set-aside entry's place in its device's chain (sync.protocol.SetAsideChange):
    without it, each one that pulls that chain would see a hole where the entry was, and read tampering."""
    body = {"kind": "entry_set_aside", "entry": entry.model_dump(mode="json"), "reason": reason}
    pub.change("entry_set_aside", body, member_id=entry.member_id)


def _stored_body(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _ENTRY_FIELDS}


def _against_stored(conn: Connection, state: _Push, entry: WireEntry, stored: Any) -> Result:
    if _stored_body(stored) == entry.model_dump(mode="json"):
        return _result(entry.id, Outcome.DUPLICATE, server_seq=stored.server_seq)
    return _conflict(conn, state, entry)


def _against_rejected(conn: Connection, state: _Push, entry: WireEntry, kept: Any) -> Result:
    if json.loads(kept.body) == entry.model_dump(mode="json"):
        return _result(entry.id, Outcome.REJECTED, kept.reason)
    return _conflict(conn, state, entry)


def _conflict(conn: Connection, state: _Push, entry: WireEntry) -> Result:
    raise_alert(
        conn,
        state.pub.at_us,
        "entry_conflict",
        device_id=state.device_id,
        member_id=entry.member_id,
        subject=entry.id,
        device_seq=entry.device_seq,
    )
    return _result(entry.id, Outcome.CONFLICT, "entry_conflict")


def _follow_chain(conn: Connection, state: _Push, stored: list[tuple[WireEntry, str | None]]) -> None:
    """Advance the device's head over what was newly stored, noting where the chain does not hold."""
    head = state.head
    for entry, refusal in stored:
        problems = []
        if refusal == "hash_mismatch":
            problems.append("edited")
        if entry.device_seq <= head.last_seq:
            problems.append("late")
        else:
            if entry.device_seq > head.last_seq + 1:
                problems.append("sequence_gap")
            elif entry.prev_hash != head.head_hash:
                problems.append("reordered_or_deleted")
            head.last_seq, head.head_hash = entry.device_seq, entry.hash
        for problem in problems:
            state.problems.append(ChainProblem(device_seq=entry.device_seq, problem=problem))
            if problem != "edited":  # an edited entry has its own alert
                raise_alert(
                    conn,
                    state.pub.at_us,
                    "chain_problem",
                    device_id=state.device_id,
                    subject=entry.id,
                    device_seq=entry.device_seq,
                    problem=problem,
                )
