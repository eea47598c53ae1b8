# SPDX-License-Identifier: GPL-3.0-or-later
"""Guessing is limited: wrong enrolment codes and wrong tokens per address (and codes over the whole code
space), then 429 with Retry-After; successes are never counted, so real traffic never meets the limits."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.server.test_enrolment import new_code, public_key

ATTACKER = ("203.0.113.7", 40000)
NEIGHBOUR = ("203.0.113.8", 40000)


def wrong_code(client: TestClient):
    return client.post("/v1/enroll", json={"code": "WRONG-CODE-0000", "device_name": "x"})


def test_wrong_codes_are_refused_after_ten_and_another_address_still_enrols(client, club_db, admin, clock):
    app = client.app
    attacker, neighbour = TestClient(app, client=ATTACKER), TestClient(app, client=NEIGHBOUR)
    answers = [wrong_code(attacker) for _ in range(300)]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert {a.status_code for a in answers[10:]} == {429}
    refused = answers[-1]
    assert refused.headers["Retry-After"] == "60"
    assert refused.json()["detail"]["code"] == "too_many_attempts"
    assert refused.json()["detail"]["retry_after"] == 60
    enrolled = neighbour.post(
        "/v1/enroll", json={"code": new_code(client, admin), "issuing_public_key": public_key()}
    )
    assert enrolled.status_code == 200, enrolled.text
    # a right code from the attacker's address is refused too while it waits: it cannot test codes
    assert attacker.post("/v1/enroll", json={"code": new_code(client, admin)}).status_code == 429
    clock.advance(60)  # one attempt given back a minute
    assert wrong_code(attacker).status_code == 401
    assert wrong_code(attacker).status_code == 429


def test_wrong_codes_from_many_addresses_meet_the_code_space_limit(client, club_db, admin, clock):
    statuses = [
        wrong_code(TestClient(client.app, client=(f"198.51.100.{n // 10}", 1))).status_code
        for n in range(1_000)
    ]
    assert statuses.count(401) == 100 and statuses[-1] == 429  # every address together: 100, then 10 a minute


def test_wrong_tokens_are_limited_per_address_and_right_ones_never(client, club_db, terminal, admin):
    user, attacker = TestClient(client.app, client=NEIGHBOUR), TestClient(client.app, client=ATTACKER)
    assert {user.get("/v1/sync/pull", headers=terminal.auth).status_code for _ in range(300)} == {200}
    guesses = [
        attacker.get("/v1/sync/pull", headers={"Authorization": f"Bearer guess-{n}"}).status_code
        for n in range(15)
    ] + [
        attacker.get("/v1/admin/members", headers={"Authorization": "Bearer bga_guess"}).status_code
        for _ in range(15)
    ]
    assert guesses[:20] == [401] * 20 and set(guesses[20:]) == {429}  # device and admin tokens alike
    assert attacker.get("/v1/sync/pull").status_code == 429  # no token at all: still a guesser's address
    assert user.get("/v1/sync/pull", headers=terminal.auth).status_code == 200
    assert user.get("/v1/admin/devices", headers=admin).status_code == 200


def test_health_and_the_api_document_are_limited_per_address(client, club_db):
    poller = TestClient(client.app, client=ATTACKER)
    statuses = [poller.get("/v1/health").status_code for _ in range(130)]
    assert statuses[:120] == [200] * 120 and set(statuses[120:]) == {429}
    assert poller.get("/openapi.json").status_code == 429
    assert TestClient(client.app, client=NEIGHBOUR).get("/v1/health").status_code == 200


def test_buckets_stay_bounded_and_addresses_are_grouped_like_hosts():
    from sync.server.ratelimit import Buckets, Limit, client_address

    now = [0]
    buckets = Buckets(Limit(burst=1, per_s=1 / 60), lambda: now[0], max_keys=3)
    for address in ("a", "b", "c", "d"):
        buckets.charge(address)
    assert len(buckets._buckets) == 3 and buckets.wait_s("a") == 0  # "a" was forgotten first
    assert buckets.wait_s("d") == 60
    now[0] += 30_000_000
    assert buckets.wait_s("d") == 30
    same_host = {client_address({"client": (f"2001:db8:1:2::{n}", 1)}) for n in (1, 2)}
    assert same_host == {"2001:db8:1:2::/64"}
    assert client_address({"client": ("::ffff:192.0.2.1", 1)}) == "192.0.2.1"
    assert client_address({"client": None}) == "unknown"
