# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline grants and online spends: signed for the device, and never together more than the balance."""

from __future__ import annotations

import threading

from sync.protocol import Grant, GrantsResponse, grant_signature_holds
from tests.server.club import enroll, member, member_item, new_id, push

DAY_S = 24 * 3600


def funded(client, terminal, points: int):
    """A member with `points`, earned and pushed from `terminal`."""
    m = member()
    push(client, terminal, [terminal.entry(m.id, points=points)], [member_item(m)])
    return m


def ask(client, terminal, *member_ids, after_seq=None) -> GrantsResponse:
    body = {
        "after_seq": terminal.last_seq if after_seq is None else after_seq,
        "member_ids": list(member_ids),
    }
    response = client.post("/v1/grants", json=body, headers=terminal.auth)
    assert response.status_code == 200, response.text
    return GrantsResponse.model_validate(response.json())


def spend(client, terminal, member_id: str, points: int, entry_id: str | None = None):
    body = {
        "after_seq": terminal.last_seq,
        "member_id": member_id,
        "points": points,
        "entry_id": entry_id or new_id(),
    }
    return client.post("/v1/spend", json=body, headers=terminal.auth)


def set_setting(client, admin, key: str, value: str) -> None:
    assert client.put(f"/v1/admin/settings/{key}", json={"value": value}, headers=admin).status_code == 200


def grant_policy(client, admin, **policy: int) -> None:
    """The offline grant policy, which lives in the rule set: a new version with it changed."""
    body = client.get("/v1/admin/rules", headers=admin).json()["body"]
    body["offline_grant"] |= policy
    assert client.put("/v1/admin/rules", json=body, headers=admin).status_code == 200


def test_an_offline_grant_is_a_share_of_the_balance_signed_for_the_device(client, club_db, terminal, clock):
    m = funded(client, terminal, 1_000)
    grant = ask(client, terminal, m.id).grants[0]
    assert (grant.points, grant.member_id, grant.device_id) == (300, m.id, terminal.device_id)  # 30 %
    assert grant.after_seq == terminal.last_seq and grant.for_entry is None
    assert grant.expires_at_us == clock.now + 3 * DAY_S * 1_000_000
    assert grant_signature_holds(grant, terminal.token)
    assert not grant_signature_holds(grant.model_copy(update={"points": 3_000}), terminal.token)
    assert not grant_signature_holds(grant, "another device's token")


def test_the_cap_and_restricted_or_unknown_members(client, club_db, terminal, admin):
    set_setting(client, admin, "velocity_points_per_hour", "1000000")  # one sale of 100,000 points
    rich = funded(client, terminal, 100_000)
    poor = funded(client, terminal, 10)
    stranger = new_id()
    grants = ask(client, terminal, rich.id, poor.id, stranger, rich.id).grants
    assert [(g.member_id, g.points) for g in grants] == [(rich.id, 2_000), (poor.id, 3), (stranger, 0)]
    overdrawn = funded(client, terminal, 10)
    push(client, terminal, terminal.sale(overdrawn.id, 40_000, redeem=20))  # spends 20, earns nothing
    grant_policy(client, admin, share_percent=100)
    assert ask(client, terminal, overdrawn.id).grants[0].points == 0


def test_grants_wait_for_the_devices_entries(client, club_db, terminal):
    m = funded(client, terminal, 100)
    terminal.entry(m.id, points=5)  # written, not pushed
    response = client.post(
        "/v1/grants", json={"after_seq": terminal.last_seq, "member_ids": [m.id]}, headers=terminal.auth
    )
    assert response.status_code == 409
    assert response.json()["detail"] == {
        "code": "push_first",
        "message": "push your entries up to after_seq first",
        "contiguous_seq": 1,
        "request_id": response.headers["X-Request-ID"],  # every error names its request
    }


def test_unexpired_grants_of_all_devices_never_exceed_the_balance(client, club_db, terminal, admin, clock):
    grant_policy(client, admin, share_percent=100, max_points=1_000_000)
    other, third = enroll(club_db, "ISF"), enroll(club_db)
    m = funded(client, terminal, 1_000)
    assert ask(client, terminal, m.id).grants[0].points == 1_000
    assert ask(client, other, m.id).grants[0].points == 0
    # the first device spends 200 of its grant offline (a sale that earns 2) and pushes it: 800 left to
    # it, and to the others only the 2 points the sale earned
    push(client, terminal, terminal.sale(m.id, 400_000, redeem=200))
    assert ask(client, other, m.id).grants[0].points == 2
    # a new grant replaces the old one: asking again gives back what the first grant held
    assert ask(client, terminal, m.id).grants[0].points == 800
    assert ask(client, third, m.id).grants[0].points == 0
    clock.advance(3 * DAY_S + 1)  # the grant expired: its points are free again
    assert ask(client, third, m.id).grants[0].points == 802


def test_an_online_spend_is_authorised_once_and_reserved_until_its_entry_arrives(client, club_db, terminal):
    other = enroll(club_db, "ISF")
    m = funded(client, terminal, 500)
    entry_id = new_id()
    first = spend(client, terminal, m.id, 400, entry_id)
    assert first.status_code == 200, first.text
    grant = Grant.model_validate(first.json())
    assert (grant.points, grant.for_entry) == (400, entry_id) and grant_signature_holds(grant, terminal.token)
    again = spend(client, terminal, m.id, 400, entry_id)
    assert Grant.model_validate(again.json()) == grant
    changed = spend(client, terminal, m.id, 300, entry_id)
    assert changed.status_code == 409 and changed.json()["detail"]["code"] == "entry_conflict"
    # the other device cannot have what is reserved
    refused = spend(client, other, m.id, 200)
    assert refused.status_code == 409
    assert refused.json()["detail"]["code"] == "insufficient_points"
    assert refused.json()["detail"]["available"] == 100
    # the redeem entry arrives: the balance drops, the reservation is drawn, 104 stay available (the sale
    # earned 4)
    push(client, terminal, terminal.sale(m.id, 800_000, redeem=400))
    assert spend(client, other, m.id, 100).status_code == 200


def test_spend_refusals(client, club_db, terminal):
    m = funded(client, terminal, 50)
    assert spend(client, terminal, new_id(), 10).status_code == 404
    assert spend(client, terminal, m.id, 0).status_code == 422
    assert spend(client, terminal, m.id, 10**12).status_code == 422
    terminal.entry(m.id)  # not pushed
    assert spend(client, terminal, m.id, 10).json()["detail"]["code"] == "push_first"


def test_concurrent_spends_from_many_devices_never_overdraw(client, club_db, terminal):
    devices = [enroll(club_db) for _ in range(6)]
    m = funded(client, terminal, 1_000)
    authorised: list[int] = []
    lock = threading.Lock()

    def spender(device) -> None:
        for _ in range(5):
            response = spend(client, device, m.id, 70)
            assert response.status_code in (200, 409), response.text
            if response.status_code == 200:
                with lock:
                    authorised.append(70)
                # the grant is this device's current one; a new spend replaces it, so push the entry first
                push(client, device, device.sale(m.id, 140_000, redeem=70))  # earns nothing

    threads = [threading.Thread(target=spender, args=(d,)) for d in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(authorised) <= 1_000
    assert len(authorised) == 14  # 14 × 70 = 980; a 15th would overdraw
