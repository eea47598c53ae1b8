# SPDX-License-Identifier: GPL-3.0-or-later
"""Identical requests arriving at the same moment (a proxy or a client that sent one twice) all get the
stored answer: never a refusal because another copy won the race. On SQLite and on a real PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from sync.server.db import Database
from tests.server.club import member, member_item, new_id, push

COPIES = 8
# every transaction that publishes takes the counter row last: held, it keeps them all from committing
HOLD_COUNTER = "UPDATE sync_counter SET value = value WHERE id = 1"


def at_once(request: Callable[[], Any], copies: int = COPIES) -> list[Any]:
    """`copies` threads released together by a barrier, each sending the same request; their responses."""
    barrier = threading.Barrier(copies)
    answers: list[Any] = [None] * copies

    def send(i: int) -> None:
        barrier.wait(30)
        answers[i] = request()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(not t.is_alive() for t in threads)
    return answers


def through_a_held_lock(
    db: Database, lock_sql: str, params: dict[str, Any], request: Callable[[], Any]
) -> list[Any]:
    """On PostgreSQL: hold a row lock (`lock_sql`) until every copy is waiting for it, then let go, so all
    copies have read what they read before the lock and none has committed: the race made certain. SQLite
    runs one writer at a time from BEGIN, so there the copies simply go at once."""
    if db.dialect != "postgresql":
        return at_once(request)
    answers: list[Any] = []
    with db.engine.connect() as holder:
        held = holder.begin()
        holder.execute(text(lock_sql), params)
        sender = threading.Thread(target=lambda: answers.extend(at_once(request)))
        sender.start()
        _wait_until_waiting(db, COPIES)
        held.commit()
    sender.join(60)
    return answers


def _wait_until_waiting(db: Database, count: int, timeout_s: float = 30.0) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            if conn.execute(query).scalar_one() >= count:
                return
        time.sleep(0.01)
    raise AssertionError(f"{count} requests never all waited for the lock")


def same_success(answers: list[Any], status: int = 200) -> Any:
    """Every copy answered `status` with one and the same body; that body."""
    assert [a.status_code for a in answers] == [status] * len(answers), [a.text for a in answers]
    bodies = [a.json() for a in answers]
    assert all(b == bodies[0] for b in bodies), bodies
    return bodies[0]


def test_copies_of_one_spend_all_get_its_grant(client, club_db, terminal):
    m = member()
    push(client, terminal, [terminal.entry(m.id, points=1_000)], [member_item(m)])
    body = {"after_seq": terminal.last_seq, "member_id": m.id, "points": 100, "entry_id": new_id()}
    lock = "UPDATE member_balance SET lock_version = lock_version WHERE member_id = :m"
    answers = through_a_held_lock(
        club_db, lock, {"m": m.id}, lambda: client.post("/v1/spend", json=body, headers=terminal.auth)
    )
    grant = same_success(answers)
    assert (grant["for_entry"], grant["points"]) == (body["entry_id"], 100)


def test_copies_of_one_push_store_each_entry_once_and_answer_it_alike(client, club_db, terminal):
    m = member()
    entries = [terminal.entry(m.id, points=10) for _ in range(5)]
    body = terminal.push_body(entries, [member_item(m)])
    answers = through_a_held_lock(
        club_db, HOLD_COUNTER, {}, lambda: client.post("/v1/sync/push", json=body, headers=terminal.auth)
    )
    assert [a.status_code for a in answers] == [200] * COPIES, [a.text for a in answers]
    results = [a.json()["entries"] for a in answers]
    for i, entry in enumerate(entries):
        per_copy = [r[i] for r in results]
        assert {r["id"] for r in per_copy} == {entry.id}
        assert sorted(r["outcome"] for r in per_copy) == ["accepted"] + ["duplicate"] * (COPIES - 1)
        assert len({r["server_seq"] for r in per_copy}) == 1  # one entry, one place in the order
    items = [a.json()["items"][0] for a in answers]
    assert sorted(i["outcome"] for i in items) == ["accepted"] + ["duplicate"] * (COPIES - 1)
    assert {a.json()["contiguous_seq"] for a in answers} == {5}
    member_row = client.get(f"/v1/admin/members/{m.id}", headers=_admin(club_db))
    assert member_row.json()["points"] == 50  # counted once


def _admin(db) -> dict[str, str]:
    from tests.server.club import admin_token

    return {"Authorization": f"Bearer {admin_token(db)}"}


def test_copies_of_one_photo_chunk_all_get_the_same_status(client, club_db, terminal):
    import hashlib
    import os

    m = member()
    push(client, terminal, [], [member_item(m)])
    jpeg = b"\xff\xd8\xff\xe0" + os.urandom(100_000)
    sha = hashlib.sha256(jpeg).hexdigest()

    def put(start: int, end: int) -> Any:
        headers = terminal.auth | {
            "Content-Range": f"bytes {start}-{end - 1}/{len(jpeg)}",
            "Content-Type": "application/octet-stream",
        }
        return client.put(f"/v1/photos/{sha}?member_id={m.id}", content=jpeg[start:end], headers=headers)

    first = same_success(at_once(lambda: put(0, 65_536)))
    assert first == {"sha256": sha, "received": 65_536, "complete": False}
    last = same_success(at_once(lambda: put(65_536, len(jpeg))))
    assert last == {"sha256": sha, "received": len(jpeg), "complete": True}


def test_copies_of_an_admin_create_or_put_with_the_callers_id_all_succeed_alike(
    client, club_db, admin, terminal
):
    from tests.server.test_events import EVENT

    event = EVENT | {"id": new_id()}

    def held(request: Callable[[], Any]) -> list[Any]:
        return through_a_held_lock(club_db, HOLD_COUNTER, {}, request)

    created = same_success(held(lambda: client.post("/v1/admin/events", json=event, headers=admin)), 201)
    assert created["id"] == event["id"]
    m = member()
    push(client, terminal, [], [member_item(m)])
    invite = {"member_ids": [m.id]}
    url = f"/v1/admin/events/{event['id']}/invitations"
    answers = [a.json()["results"][0] for a in held(lambda: client.post(url, json=invite, headers=admin))]
    assert len({a["invitation"]["id"] for a in answers}) == 1, answers  # one invitation, the same for all
    branch = {
        "id": new_id(), "code": "SHZ", "name_fa": "شیراز", "name_en": "Shiraz", "earn_points_per_unit": 1,
        "earn_rials_per_unit": 100_000, "redeem_rials_per_point": 1_000, "redeem_max_share_percent": 50,
    }  # fmt: skip
    put_branch = lambda: client.put(f"/v1/admin/branches/{branch['id']}", json=branch, headers=admin)  # noqa: E731
    assert same_success(held(put_branch))["code"] == "SHZ"
    tier = {"code": "gold", "name_fa": "طلایی", "name_en": "Gold", "rank": 5, "threshold_points": 5_000}
    same_success(held(lambda: client.put("/v1/admin/tiers/gold", json=tier, headers=admin)))
    setting = {"value": "7200"}
    put_setting = lambda: client.put("/v1/admin/settings/revocation_max_age_s", json=setting, headers=admin)  # noqa: E731
    same_success(held(put_setting))


def test_copies_of_one_enrolment_all_get_the_same_device(client, club_db, admin):
    from sync.server.enrolment import code_hash
    from tests.server.test_enrolment import device_token, new_code, public_key

    code = new_code(client, admin)
    body = {"code": code, "device_name": "till", "issuing_public_key": public_key(), "token": device_token()}
    lock = "UPDATE enrollment_code SET used_at_us = used_at_us WHERE code_hash = :h"
    answers = through_a_held_lock(
        club_db, lock, {"h": code_hash(code)}, lambda: client.post("/v1/enroll", json=body)
    )
    enrolled = same_success(answers)
    assert enrolled["token"] == body["token"] and enrolled["device_code"] == "THR-01"
    devices = client.get("/v1/admin/devices", headers=admin).json()
    assert [d["id"] for d in devices] == [enrolled["device_id"]]
