# SPDX-License-Identifier: GPL-3.0-or-later
"""POST /v1/sync/push: each entry stored once, answered the same way on every retry, never a 500."""

from __future__ import annotations

import gzip
import json

from sqlalchemy import func, select

from app.domain.balance import fold_balances
from app.domain.ledger import EntryKind
from sync.protocol import MAX_PUSH_ENTRIES, PushResponse, RevocationItem, WireRevocation
from sync.server.models import ALERT, BALANCE, ENTRY, REJECTED, REVOCATION
from tests.server.club import (
    BRANCH_2,
    add_staff,
    card_item,
    enroll,
    member,
    member_item,
    new_id,
    pull_all,
    push,
)


def alerts(db, kind=None):
    with db.read() as conn:
        query = select(ALERT.c.kind, ALERT.c.subject, ALERT.c.detail)
        if kind:
            query = query.where(ALERT.c.kind == kind)
        return list(conn.execute(query))


def stored_count(db) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(ENTRY)).scalar_one()


def balance(db, member_id):
    with db.read() as conn:
        return conn.execute(select(BALANCE).where(BALANCE.c.member_id == member_id)).one()


def test_entries_are_accepted_once_and_duplicates_answer_with_the_same_sequence(client, club_db, terminal):
    m = member()
    entries = [terminal.entry(m.id, points=p) for p in (10, 20, 30)]
    first = PushResponse.model_validate(push(client, terminal, entries, [member_item(m)]))
    assert [r.outcome for r in first.entries] == ["accepted"] * 3
    assert first.items[0].outcome == "accepted" and first.items[0].server_seq is not None
    seqs = [r.server_seq for r in first.entries]
    assert seqs == sorted(seqs) and first.items[0].server_seq < seqs[0]  # the member before its entries
    assert first.contiguous_seq == 3 and first.chain_problems == []

    again = PushResponse.model_validate(push(client, terminal, entries))
    assert [(r.outcome, r.server_seq) for r in again.entries] == [("duplicate", s) for s in seqs]
    assert stored_count(club_db) == 3
    assert balance(club_db, m.id).points == 60


def test_the_server_balance_is_the_terminal_arithmetic(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    sale = terminal.sale(m.id, 12_040_000, redeem=40)  # 120 points on what was paid
    entries = [
        *sale,
        terminal.entry(m.id, EntryKind.REVERSAL, -20, sale_amount=-2_000_000, reverses=sale[0].id,
                       reason="return"),
    ]  # fmt: skip
    push(client, terminal, entries)
    expected = fold_balances([e.to_entry() for e in entries])[m.id]
    row = balance(club_db, m.id)
    assert (row.points, row.wallet_rials, row.spend_rials, row.purchase_count, row.last_activity_us) == (
        expected.points,
        expected.wallet_rials,
        expected.spend_rials,
        expected.purchase_count,
        expected.last_activity_us,
    )


def test_same_id_with_another_body_is_a_conflict_and_an_alert(client, club_db, terminal):
    m = member()
    entry = terminal.entry(m.id, points=10)
    push(client, terminal, [entry], [member_item(m)])
    forged = entry.model_copy(update={"points_delta": 10_000})
    result = push(client, terminal, [forged])
    assert result["entries"][0]["outcome"] == "conflict"
    assert balance(club_db, m.id).points == 10
    assert [a.subject for a in alerts(club_db, "entry_conflict")] == [entry.id]


def test_an_edited_entry_is_rejected_kept_and_retries_get_the_same_answer(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    good = terminal.entry(m.id, points=5)
    edited = terminal.entry(m.id, points=7).model_copy(update={"points_delta": 700})
    after = terminal.entry(m.id, points=9)
    result = PushResponse.model_validate(push(client, terminal, [good, edited, after]))
    assert [(r.outcome, r.reason) for r in result.entries] == [
        ("accepted", None),
        ("rejected", "hash_mismatch"),
        ("accepted", None),
    ]
    assert [(p.device_seq, p.problem) for p in result.chain_problems] == [(2, "edited")]
    assert result.contiguous_seq == 3  # a rejected entry fills its slot: the queue behind it moves on
    retry = PushResponse.model_validate(push(client, terminal, [edited]))
    assert (retry.entries[0].outcome, retry.entries[0].reason) == ("rejected", "hash_mismatch")
    assert balance(club_db, m.id).points == 14
    with club_db.read() as conn:
        assert conn.execute(select(func.count()).select_from(REJECTED)).scalar_one() == 1
    assert len(alerts(club_db, "entry_edited")) == 1  # the retry raised no second alert


def test_unknown_member_and_branch_are_rejected_without_blocking_the_rest(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    stranger = terminal.entry(new_id(), points=3)
    nowhere = terminal.entry(m.id, points=3, branch_id=new_id())
    ok = terminal.entry(m.id, points=4)
    result = push(client, terminal, [stranger, nowhere, ok])
    assert [(r["outcome"], r["reason"]) for r in result["entries"]] == [
        ("rejected", "unknown_member"),
        ("rejected", "unknown_branch"),
        ("accepted", None),
    ]
    assert result["contiguous_seq"] == 3
    assert balance(club_db, m.id).points == 4


def test_chain_problems_are_reported_but_what_happened_is_stored(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    e1, e2, e3, e4 = (terminal.entry(m.id, points=1) for _ in range(4))
    gap = PushResponse.model_validate(push(client, terminal, [e1, e3]))
    assert [r.outcome for r in gap.entries] == ["accepted", "accepted"]
    assert gap.contiguous_seq == 1
    assert [(p.device_seq, p.problem) for p in gap.chain_problems] == [(3, "sequence_gap")]
    late = PushResponse.model_validate(push(client, terminal, [e2, e4]))
    assert [(p.device_seq, p.problem) for p in late.chain_problems] == [(2, "late")]
    assert late.contiguous_seq == 4
    assert stored_count(club_db) == 4
    assert {a.kind for a in alerts(club_db)} >= {"chain_problem"}


def test_an_entry_that_does_not_link_to_the_head_is_flagged(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    e1 = terminal.entry(m.id)
    terminal.head_hash = "f" * 64  # as if the device had lost the entry its chain now points to
    e2 = terminal.entry(m.id)
    result = PushResponse.model_validate(push(client, terminal, [e1, e2]))
    assert [r.outcome for r in result.entries] == ["accepted", "accepted"]
    assert [(p.device_seq, p.problem) for p in result.chain_problems] == [(2, "reordered_or_deleted")]


def test_another_devices_entries_are_refused_for_the_whole_batch(client, club_db, terminal):
    other = enroll(club_db)
    m = member()
    theirs = other.entry(m.id)
    response = client.post("/v1/sync/push", json=terminal.push_body([theirs]), headers=terminal.auth)
    assert response.status_code == 403
    assert response.json()["detail"]["code"] == "wrong_device"


def test_tokens_unknown_and_revoked(client, club_db, terminal, admin):
    body = terminal.push_body([])
    assert client.post("/v1/sync/push", json=body).status_code == 401
    wrong = client.post("/v1/sync/push", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"]["code"] == "unauthorized"
    assert client.post(f"/v1/admin/devices/{terminal.device_id}/revoke", headers=admin).status_code == 200
    revoked = client.post("/v1/sync/push", json=body, headers=terminal.auth)
    assert revoked.status_code == 403 and revoked.json()["detail"]["code"] == "device_revoked"
    assert client.get("/v1/sync/pull", headers=terminal.auth).status_code == 403


def test_oversized_batches_are_413_and_gzip_bodies_are_read(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    body = terminal.push_body([])
    entry = terminal.entry(m.id).model_dump(mode="json")
    body["entries"] = [entry] * (MAX_PUSH_ENTRIES + 1)
    too_many = client.post("/v1/sync/push", json=body, headers=terminal.auth)
    assert too_many.status_code == 413 and too_many.json()["detail"]["code"] == "batch_too_large"

    body["entries"] = [entry]
    packed = gzip.compress(json.dumps(body).encode())
    headers = terminal.auth | {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    response = client.post("/v1/sync/push", content=packed, headers=headers)
    assert response.status_code == 200 and response.json()["entries"][0]["outcome"] == "accepted"

    broken = client.post("/v1/sync/push", content=packed[:20], headers=headers)
    assert broken.status_code == 400 and broken.json()["detail"]["code"] == "invalid_encoding"
    bomb = gzip.compress(b" " * (20 * 1024 * 1024))  # 20 MB of spaces, 20 KB on the wire
    assert client.post("/v1/sync/push", content=bomb, headers=headers).status_code == 413


def test_bad_input_is_4xx_never_500(client, club_db, terminal):
    cases = [
        {"protocol": 2, "device_id": terminal.device_id},
        {"device_id": "not-a-uuid"},
        {"device_id": terminal.device_id, "entries": [{"id": "x"}]},
        {"device_id": terminal.device_id, "surprise": 1},
    ]
    codes = [client.post("/v1/sync/push", json=c, headers=terminal.auth) for c in cases]
    assert [(r.status_code, r.json()["detail"]["code"]) for r in codes] == [
        (400, "unsupported_protocol"),
        (422, "invalid_request"),
        (422, "invalid_request"),
        (422, "invalid_request"),
    ]
    m = member()
    absurd = terminal.entry(m.id).model_dump(mode="json") | {"points_delta": 10**15}
    body = terminal.push_body([]) | {"entries": [absurd]}
    assert client.post("/v1/sync/push", json=body, headers=terminal.auth).status_code == 422
    garbage = client.post("/v1/sync/push", content=b"{not json", headers=terminal.auth)
    assert garbage.status_code == 422


def test_items_are_idempotent_by_id_and_conflict_on_another_body(client, club_db, terminal):
    m = member()
    item = member_item(m)
    first = push(client, terminal, [], [item])["items"][0]
    again = push(client, terminal, [], [item])["items"][0]
    assert (again["outcome"], again["server_seq"]) == ("duplicate", first["server_seq"])
    other = item.model_copy(update={"member": m.model_copy(update={"name": "Someone Else"})})
    assert push(client, terminal, [], [other])["items"][0]["outcome"] == "conflict"
    assert len(alerts(club_db, "item_conflict")) == 1


def test_items_naming_unknown_things_are_rejected_and_keep_their_answer(client, club_db, terminal):
    stranger = card_item(new_id(), "9826002000000017")
    unknown_tier = member_item(member(tier_code="platinum"))
    results = push(client, terminal, [], [stranger, unknown_tier])["items"]
    assert [(r["outcome"], r["reason"]) for r in results] == [
        ("rejected", "unknown_member"),
        ("rejected", "unknown_tier"),
    ]
    assert push(client, terminal, [], [stranger])["items"][0]["reason"] == "unknown_member"


def test_cards_and_revocations_travel_as_items(client, club_db, terminal):
    m = member()
    number = terminal.card_prefix + "000000017"  # the terminal's own series
    card = card_item(m.id, number)
    bound = card_item(m.id, number, uid="04a1b2c3d4e5f6")
    revocation = RevocationItem(
        id=new_id(),
        revocation=WireRevocation(
            id=new_id(),
            card_number=number,
            status="lost",
            reason="lost it",
            staff_id=add_staff(club_db),
            at_us=1,
        ),
    )
    results = push(client, terminal, [], [member_item(m), card, bound, revocation])["items"]
    assert [r["outcome"] for r in results] == ["accepted"] * 4
    kinds = [
        c["kind"] for c in pull_all(client, terminal) if c["kind"] in ("member", "card", "card_revocation")
    ]
    assert kinds == ["member", "card", "card", "card_revocation"]
    with club_db.read() as conn:  # the revocation names its member (docs/scaling.md: the distribution column)
        assert conn.execute(select(REVOCATION.c.member_id)).scalars().all() == [m.id]
    other = member()
    taken = card_item(other.id, number)
    assert (
        push(client, terminal, [], [member_item(other), taken])["items"][1]["reason"] == "card_number_taken"
    )


def test_duplicate_phones_from_two_terminals_are_accepted_and_alerted(client, club_db, terminal):
    second = enroll(club_db, "ISF")
    phone = "+989121234567"
    a, b = member(phone=phone), member(phone=phone, branch_id=BRANCH_2)
    assert push(client, terminal, [], [member_item(a)])["items"][0]["outcome"] == "accepted"
    assert push(client, second, [], [member_item(b)])["items"][0]["outcome"] == "accepted"
    duplicates = alerts(club_db, "duplicate_phone")
    assert len(duplicates) == 1 and a.id in json.loads(duplicates[0].detail)["other_members"]


def test_a_negative_balance_restricts_the_member_until_it_is_repaid(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    push(client, terminal, [terminal.entry(m.id, points=50)])
    manager = add_staff(club_db)
    overdraw = terminal.sale(m.id, 160_000, redeem=80, override_by=manager)  # earns nothing: below a point
    push(client, terminal, overdraw)
    assert balance(club_db, m.id).points == -30 and balance(club_db, m.id).restricted
    push(client, terminal, [terminal.entry(m.id, points=30)])
    assert balance(club_db, m.id).points == 0 and not balance(club_db, m.id).restricted
    changes = [c for c in pull_all(client, terminal) if c["kind"] == "restriction"]
    assert [(c["member_id"], c["restricted"]) for c in changes] == [(m.id, True), (m.id, False)]
    assert [a.kind for a in alerts(club_db) if a.kind in ("negative_balance", "balance_restored")] == [
        "negative_balance",
        "balance_restored",
    ]


def test_text_postgresql_cannot_store_is_one_entrys_problem_not_the_batchs(client, club_db, terminal):
    m = member()
    nul_member = member(name="Nul\x00Name")
    nul_entry = terminal.entry(m.id, reason="void\x00ed")
    after = terminal.entry(m.id)
    result = push(client, terminal, [nul_entry, after], [member_item(m), member_item(nul_member)])
    assert [(r["outcome"], r["reason"]) for r in result["items"]] == [
        ("accepted", None),
        ("rejected", "unstorable_text"),
    ]
    assert [(r["outcome"], r["reason"]) for r in result["entries"]] == [
        ("rejected", "unstorable_text"),
        ("accepted", None),
    ]
    assert push(client, terminal, [nul_entry])["entries"][0]["reason"] == "unstorable_text"


def test_a_member_edited_again_is_not_alerted_again_for_the_same_shared_phone(client, club_db, terminal):
    phone = "+989121230000"
    a, b = member(phone=phone), member(phone=phone)
    push(client, terminal, [], [member_item(a), member_item(b)])
    push(client, terminal, [], [member_item(b.model_copy(update={"name": "Renamed"}))])
    assert len(alerts(club_db, "duplicate_phone")) == 1
