# SPDX-License-Identifier: GPL-3.0-or-later
"""Property: the set-based push (sync.server.push: a batch decided in memory, stored in a few statements,
numbered before its one insert) answers exactly as a straightforward reference that takes the entries one
at a time, in order, against what is stored so far.

Hypothesis draws a device's chain and, for its slots, the genuine entry, another body in the same slot, an
entry that reuses another slot's id, an edited entry (its hash no longer holds) and one naming a member
the club does not know; then batches of them (any slots, in device order, repeated at will, re-sent in any
order). Every answer (outcome, reason, server number), the chain problems, the contiguous head, the alerts
and the balances must be the reference's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, seal
from sync.protocol import WireEntry
from sync.server.models import ALERT, BALANCE
from sync.server.sequence import current
from tests.server.club import T0, Terminal, _sale_for, enroll, member, member_item, new_id, push

MAX_CHAIN = 6
# what an entry in a slot may be
GENUINE, OTHER_BODY, OTHER_ID, EDITED, UNKNOWN_MEMBER = range(5)


def _sealed(terminal: Terminal, seq: int, prev_hash: str, member_id: str, points: int, **fields) -> WireEntry:
    draft = EntryDraft(
        id=fields.pop("id", None) or new_id(), created_at_us=T0 + seq, branch_id=terminal.branch_id,
        member_id=member_id, kind=EntryKind.EARN, points_delta=points,
        sale_amount=_sale_for(points, terminal.branch_id),
    )  # fmt: skip
    return WireEntry.of(seal(draft, terminal.device_id, seq, prev_hash))


@dataclass
class Reference:
    """The server as a list of rules applied to one entry at a time."""

    base: int  # the server sequence before the example
    known_members: set[str]
    last: int = 0
    stored: dict[str, tuple[dict, int]] = field(default_factory=dict)  # id → (body, server number)
    slots: dict[int, str] = field(default_factory=dict)  # device_seq → id
    rejected: dict[str, tuple[dict, str]] = field(default_factory=dict)  # id → (body, reason)
    rejected_slots: dict[int, str] = field(default_factory=dict)
    head: tuple[int, str] = (0, GENESIS_HASH)
    contiguous: int = 0
    points: Counter = field(default_factory=Counter)
    alerts: Counter = field(default_factory=Counter)

    def push(self, entries: list[WireEntry]) -> tuple[list[tuple], list[tuple], int]:
        answers, problems = [], []
        for e in entries:
            answers.append(self._one(e, problems))
        while self.contiguous + 1 in self.slots or self.contiguous + 1 in self.rejected_slots:
            self.contiguous += 1
        return answers, problems, self.contiguous

    def _one(self, e: WireEntry, problems: list) -> tuple:
        body = e.model_dump(mode="json")
        stored_id = e.id if e.id in self.stored else self.slots.get(e.device_seq)
        if stored_id is not None:
            stored_body, seq = self.stored[stored_id]
            return ("duplicate", None, seq) if stored_body == body else self._conflict(e)
        kept_id = e.id if e.id in self.rejected else self.rejected_slots.get(e.device_seq)
        if kept_id is not None:
            kept_body, reason = self.rejected[kept_id]
            return ("rejected", reason, None) if kept_body == body else self._conflict(e)
        if e.to_entry().expected_hash() != e.hash:
            reason = "hash_mismatch"
        elif e.member_id not in self.known_members:
            reason = "unknown_member"
        else:
            reason = None
        self._follow(e, reason, problems)
        self.last += 1
        if reason is not None:
            self.rejected[e.id] = (body, reason)
            self.rejected_slots[e.device_seq] = e.id
            self.alerts["entry_edited" if reason == "hash_mismatch" else "entry_rejected", e.id] += 1
            return ("rejected", reason, None)
        self.stored[e.id] = (body, self.base + self.last)
        self.slots[e.device_seq] = e.id
        self.points[e.member_id] += e.points_delta
        return ("accepted", None, self.base + self.last)

    def _conflict(self, e: WireEntry) -> tuple:
        self.alerts["entry_conflict", e.id] += 1
        return ("conflict", "entry_conflict", None)

    def _follow(self, e: WireEntry, reason: str | None, problems: list) -> None:
        last_seq, head_hash = self.head
        found = ["edited"] if reason == "hash_mismatch" else []
        if e.device_seq <= last_seq:
            found.append("late")
        else:
            if e.device_seq > last_seq + 1:
                found.append("sequence_gap")
            elif e.prev_hash != head_hash:
                found.append("reordered_or_deleted")
            self.head = (e.device_seq, e.hash)
        for problem in found:
            problems.append((e.device_seq, problem))
            if problem != "edited":
                self.alerts["chain_problem", e.id] += 1


def _pool(terminal: Terminal, members: list[str], spec: list[tuple[int, int]]) -> list[WireEntry]:
    """One entry a slot, of the kind drawn, on the genuine chain's hashes."""
    genuine, prev = [], GENESIS_HASH
    for seq, (_kind, points) in enumerate(spec, start=1):
        e = _sealed(terminal, seq, prev, members[points % len(members)], points)
        genuine.append(e)
        prev = e.hash
    pool = []
    for seq, (kind, points) in enumerate(spec, start=1):
        g, prev = genuine[seq - 1], (GENESIS_HASH if seq == 1 else genuine[seq - 2].hash)
        if kind == OTHER_BODY:
            pool.append(_sealed(terminal, seq, prev, g.member_id, points + 1))
        elif kind == OTHER_ID:  # another slot's id with this slot's body
            pool.append(_sealed(terminal, seq, prev, g.member_id, points, id=genuine[-seq].id))
        elif kind == EDITED:
            pool.append(g.model_copy(update={"points_delta": points + 7}))
        elif kind == UNKNOWN_MEMBER:
            pool.append(_sealed(terminal, seq, prev, new_id(), points))
        else:
            pool.append(g)
    return genuine + pool  # indexes 0..n-1: the genuine chain; n..2n-1: what was drawn


def _batch(n: int) -> st.SearchStrategy[list[int]]:
    """Slots in device order, each the genuine entry or the drawn one."""
    slots = st.sets(st.integers(0, n - 1), min_size=1).map(sorted)
    return slots.flatmap(lambda s: st.tuples(*(st.sampled_from([i, n + i]) for i in s)).map(list))


plans = st.integers(1, MAX_CHAIN).flatmap(
    lambda n: st.tuples(
        st.lists(st.tuples(st.integers(0, 4), st.integers(1, 40)), min_size=n, max_size=n),
        st.lists(_batch(n), min_size=1, max_size=5),
    )
)


def test_the_set_based_push_answers_as_the_entry_by_entry_reference(client, club_db):
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(plan=plans)
    def property_holds(plan) -> None:
        spec, sends = plan
        terminal = enroll(club_db)
        members = [member(), member()]
        push(client, terminal, [], [member_item(m) for m in members])
        pool = _pool(terminal, [m.id for m in members], spec)
        with club_db.read() as conn:
            base = current(conn)
        reference = Reference(base, {m.id for m in members})
        for indexes in [*sends, list(range(len(spec)))]:
            batch = [pool[i] for i in indexes]
            answer = push(client, terminal, batch)
            expected, problems, contiguous = reference.push(batch)
            got = [(r["outcome"], r["reason"], r["server_seq"]) for r in answer["entries"]]
            assert got == expected, (indexes, got, expected)
            assert [(p["device_seq"], p["problem"]) for p in answer["chain_problems"]] == problems
            assert answer["contiguous_seq"] == contiguous
        with club_db.read() as conn:
            assert current(conn) == base + reference.last  # every number used: none lost to a refusal
            alerts = conn.execute(
                select(ALERT.c.kind, ALERT.c.subject).where(ALERT.c.device_id == terminal.device_id)
            ).all()
            balances = dict(
                conn.execute(
                    select(BALANCE.c.member_id, BALANCE.c.points).where(
                        BALANCE.c.member_id.in_([m.id for m in members])
                    )
                ).all()
            )
        assert Counter((a.kind, a.subject) for a in alerts) == reference.alerts
        assert balances == {m.id: reference.points[m.id] for m in members}

    property_holds()


def test_a_batch_past_the_head_that_reuses_stored_ids_is_answered_as_with_the_lookup(client, club_db):
    """A batch whose slots are all past the device's head skips the ledger's lookup of its ids
    (sync.server.push `_apply_entries`); an id the ledger holds after all, on an entry to accept or one to
    set aside, rolls that attempt back whole: the answers, numbers and alerts are the lookup's."""
    terminal = enroll(club_db)
    m = member()
    push(client, terminal, [], [member_item(m)])
    first = [terminal.entry(m.id) for _ in range(3)]
    push(client, terminal, first)
    with club_db.read() as conn:
        before = current(conn)
    batch = [
        terminal.entry(m.id),
        terminal.entry(m.id, id=first[1].id),  # would be accepted: the insert keeps it out
        terminal.entry(new_id(), id=first[0].id),  # would be set aside (unknown member): the ledger has it
        terminal.entry(m.id),
    ]
    answer = push(client, terminal, batch)
    got = [(r["outcome"], r["reason"], r["server_seq"]) for r in answer["entries"]]
    assert got == [
        ("accepted", None, before + 1),
        ("conflict", "entry_conflict", None),
        ("conflict", "entry_conflict", None),
        ("accepted", None, before + 2),
    ]
    with club_db.read() as conn:
        assert current(conn) == before + 2
        alerts = conn.execute(
            select(ALERT.c.kind, ALERT.c.subject).where(ALERT.c.device_id == terminal.device_id)
        ).all()
        points = conn.execute(select(BALANCE.c.points).where(BALANCE.c.member_id == m.id)).scalar_one()
    assert Counter(a.kind for a in alerts if a.kind == "entry_conflict") == {"entry_conflict": 2}
    assert points == 5 * 10
    # only an entry to accept under a stored id: the insert keeps it out, the attempt is taken back
    again = push(client, terminal, [terminal.entry(m.id, id=first[2].id), terminal.entry(m.id)])
    got = [(r["outcome"], r["reason"], r["server_seq"]) for r in again["entries"]]
    assert got == [("conflict", "entry_conflict", None), ("accepted", None, before + 3)]
    with club_db.read() as conn:
        assert current(conn) == before + 3
