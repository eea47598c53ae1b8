# SPDX-License-Identifier: GPL-3.0-or-later
import dataclasses
import itertools

from hypothesis import given
from hypothesis import strategies as st

from app.domain.balance import MemberBalance, fold_balances
from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, find_chain_break, seal_all


def drafts(n: int, member: str = "m1") -> list[EntryDraft]:
    return [
        EntryDraft(
            id=f"e{i}",
            created_at_us=1_000 + i,
            branch_id="b",
            member_id=member,
            kind=EntryKind.EARN,
            points_delta=i,
            sale_amount=100 * i,
            invoice_ref=f"T-{i}",
        )
        for i in range(1, n + 1)
    ]


def chain(n: int):
    return seal_all(drafts(n), "dev", 0, GENESIS_HASH)


def test_a_sealed_chain_holds():
    entries = chain(5)
    assert [e.device_seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert find_chain_break("dev", entries, (5, entries[-1].hash)) is None


def test_hash_is_stable_across_runs():
    # the canonical form is part of the protocol: terminals and the server must agree on it forever
    (entry,) = seal_all(drafts(1), "dev", 0, GENESIS_HASH)
    assert entry.hash == entry.expected_hash()
    assert len(entry.hash) == 64
    again = seal_all(drafts(1), "dev", 0, GENESIS_HASH)[0]
    assert again.hash == entry.hash


@given(st.integers(2, 12), st.data())
def test_any_edit_is_caught_where_it_happened(n, data):
    entries = chain(n)
    victim = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(["points_delta", "sale_amount", "member_id", "created_at_us"]))
    value = getattr(entries[victim], field)
    changed = value + 1 if isinstance(value, int) else value + "x"
    entries[victim] = dataclasses.replace(entries[victim], **{field: changed})
    found = find_chain_break("dev", entries, (n, entries[-1].hash))
    assert found is not None and found.entry_id == entries[victim].id and found.problem == "edited"


@given(st.integers(2, 12), st.data())
def test_any_deletion_is_caught(n, data):
    entries = chain(n)
    head = (n, entries[-1].hash)
    victim = data.draw(st.integers(0, n - 1))
    del entries[victim]
    found = find_chain_break("dev", entries, head)
    assert found is not None
    assert found.device_seq == victim + 1


@given(st.integers(2, 12), st.data())
def test_any_reorder_is_caught(n, data):
    entries = chain(n)
    i = data.draw(st.integers(0, n - 2))
    j = data.draw(st.integers(i + 1, n - 1))
    entries[i], entries[j] = entries[j], entries[i]
    assert find_chain_break("dev", entries, (n, chain(n)[-1].hash)) is not None


@given(st.integers(2, 12), st.data())
def test_renumbering_after_a_deletion_is_still_caught(n, data):
    # a careful forger deletes an entry and renumbers the rest: the hashes give it away
    entries = chain(n)
    victim = data.draw(st.integers(0, n - 2))
    del entries[victim]
    renumbered = [dataclasses.replace(e, device_seq=k + 1) for k, e in enumerate(entries)]
    assert find_chain_break("dev", renumbered, (n - 1, renumbered[-1].hash)) is not None


def test_balances_fold_from_entries():
    balances = fold_balances(chain(4))
    assert balances["m1"] == MemberBalance(
        points=10, spend_rials=1_000, purchase_count=4, last_activity_us=1_004
    )
