# SPDX-License-Identifier: GPL-3.0-or-later
"""Door arithmetic: who is inside folds from check-ins and their reversals; one verdict per case."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.event import (
    DOORS_OPEN_BEFORE_US,
    CheckIn,
    Event,
    Invitation,
    Verdict,
    check_event,
    decide,
    decide_plus_one,
    fold_attendance,
    is_invited,
    plus_ones_allowed,
)
from app.domain.ledger import GENESIS_HASH, EntryKind, LedgerEntry

HOUR = 3600 * 1_000_000
T0 = 1_800_000_000 * 1_000_000
EVENT = Event("e", "Party", T0, T0 + 4 * HOUR, capacity=3, invited_tiers=("gold",), plus_ones=1)
MEMBERS = ["m1", "m2", "m3"]
DEVICES = ["d1", "d2"]


def entry(n: int, member: str, device: str, kind: EntryKind, reverses: str | None = None) -> LedgerEntry:
    return LedgerEntry(
        f"x{n}",
        device,
        n + 1,
        T0 + n,
        "b",
        member,
        kind,
        None,
        0,
        0,
        0,
        0,
        "e",
        None,
        reverses,
        GENESIS_HASH,
        "",
    )


# a door's history: check-ins, plus-ones and reversals of earlier ones, in any order
actions = st.lists(
    st.tuples(
        st.sampled_from(["check_in", "guest", "undo"]),
        st.sampled_from(MEMBERS),
        st.sampled_from(DEVICES),
        st.integers(0, 50),
    ),
    max_size=40,
)


def history(steps) -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for n, (what, member, device, pick) in enumerate(steps):
        if what == "undo":
            targets = [e for e in entries if e.kind is not EntryKind.REVERSAL]
            if targets:
                target = targets[pick % len(targets)]
                entries.append(entry(n, target.member_id, device, EntryKind.REVERSAL, target.id))
            continue
        kind = EntryKind.CHECK_IN if what == "check_in" else EntryKind.GUEST_CHECK_IN
        entries.append(entry(n, member, device, kind))
    return entries


@given(actions, st.randoms())
def test_attendance_is_the_same_in_any_order_and_counts_each_member_once(steps, rng):
    entries = history(steps)
    shuffled = list(entries)
    rng.shuffle(shuffled)
    attendance = fold_attendance(entries)
    assert fold_attendance(shuffled).people == attendance.people
    undone = {e.reverses for e in entries if e.reverses}
    standing = [e for e in entries if e.kind is not EntryKind.REVERSAL and e.id not in undone]
    members = {e.member_id for e in standing if e.kind is EntryKind.CHECK_IN}
    guests = [e for e in standing if e.kind is EntryKind.GUEST_CHECK_IN]
    assert attendance.people == len(members) + len(guests)
    assert attendance.doubly_admitted == {
        m
        for m in members
        if sum(1 for e in standing if e.member_id == m and e.kind is EntryKind.CHECK_IN) > 1
    }


@given(actions, st.sampled_from(MEMBERS), st.booleans(), st.integers(-5 * HOUR, 6 * HOUR))
def test_the_door_never_admits_someone_inside_uninvited_or_beyond_capacity(steps, member, invited, offset):
    attendance = fold_attendance(history(steps))
    inside = attendance.member_inside(member)
    decision = decide(EVENT, invited=invited, inside=inside, people=attendance.people, now_us=T0 + offset)
    if decision.verdict is Verdict.ADMIT:
        assert invited and not inside and attendance.people < EVENT.capacity
        assert EVENT.starts_at_us - DOORS_OPEN_BEFORE_US <= T0 + offset <= EVENT.ends_at_us
    if inside and invited:
        assert decision.verdict is Verdict.ALREADY_INSIDE and decision.earlier == inside[0]
    if not invited:
        assert decision.verdict is Verdict.NOT_INVITED and decision.reason == "door_not_invited"
    plus = decide_plus_one(
        EVENT,
        allowed=1,
        inside=inside,
        guests=attendance.guests_of(member),
        people=attendance.people,
        now_us=T0 + offset,
    )
    if plus.verdict is Verdict.ADMIT:
        assert inside and attendance.guests_of(member) < 1 and attendance.people < EVENT.capacity


def test_the_earliest_admission_is_the_one_shown():
    late = CheckIn("b", "m1", "d2", T0 + 5, guest=False)
    early = CheckIn("a", "m1", "d1", T0 + 1, guest=False)
    decision = decide(EVENT, invited=True, inside=[early, late], people=1, now_us=T0)
    assert decision.verdict is Verdict.ALREADY_INSIDE and decision.earlier == early


def test_invitations_tiers_and_allowances():
    assert is_invited(EVENT, None, "gold") and not is_invited(EVENT, None, "silver")
    assert not is_invited(EVENT, None, None)
    assert is_invited(EVENT, Invitation("i", "e", "m"), "bronze")
    assert not is_invited(EVENT, Invitation("i", "e", "m", cancelled=True), "gold")
    assert plus_ones_allowed(EVENT, None) == 1
    assert plus_ones_allowed(EVENT, Invitation("i", "e", "m", plus_ones=0)) == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"name": "   "}, "invalid_event_name"),
        ({"ends_at_us": T0}, "event_ends_before_start"),
        ({"capacity": 0}, "invalid_capacity"),
        ({"plus_ones": 21}, "invalid_plus_ones"),
        ({"invited_tiers": tuple(str(i) for i in range(21))}, "too_many_tiers"),
    ],
)
def test_an_event_that_cannot_be_held_is_refused(change, code):
    with pytest.raises(ClubError) as refused:
        check_event(
            Event(
                **({"id": str(uuid.uuid4()), "name": "P", "starts_at_us": T0, "ends_at_us": T0 + 1} | change)
            )
        )
    assert refused.value.code == code


def test_an_event_is_tidied():
    tidy = check_event(Event("e", "  Year   end ", T0, T0 + 1, venue=" Hall  A ", invited_tiers=("g", "g")))
    assert (tidy.name, tidy.venue, tidy.invited_tiers) == ("Year end", "Hall A", ("g",))
