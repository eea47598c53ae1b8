# SPDX-License-Identifier: GPL-3.0-or-later
"""Enrolling a terminal: a one-time code becomes a device, a token, a key id and a card series."""

from __future__ import annotations

import threading

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from sync.protocol import EnrollResponse, b64encode, token_hash
from sync.server import enrolment
from sync.server.models import DEVICE
from tests.server.club import T0, pull_all


def public_key() -> str:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return b64encode(raw)


def new_code(client, admin, branch="THR", ttl_hours=24) -> str:
    response = client.post(
        "/v1/admin/enrollment-codes", json={"branch_code": branch, "ttl_hours": ttl_hours}, headers=admin
    )
    assert response.status_code == 201, response.text
    return response.json()["code"]


def enroll(client, code: str, key: str | None = None):
    return client.post("/v1/enroll", json={"code": code, "device_name": "till 2", "issuing_public_key": key})


def test_a_code_enrols_one_terminal_once(client, club_db, admin):
    code = new_code(client, admin)
    response = enroll(client, code, public_key())
    assert response.status_code == 200, response.text
    enrolled = EnrollResponse.model_validate(response.json())
    assert enrolled.device_code == "THR-01" and enrolled.card_prefix == "9826001"
    assert enrolled.key_id == 1
    again = enroll(client, code)
    assert again.status_code == 401 and again.json()["detail"]["code"] == "invalid_enrollment_code"
    with club_db.read() as conn:
        row = conn.execute(select(DEVICE).where(DEVICE.c.id == enrolled.device_id)).one()
    assert row.token_hash == token_hash(enrolled.token)  # the token itself is not kept
    assert enrolled.token not in str(dict(row._mapping))
    # the device can use it at once, and the other terminals learn of the device and its key
    changes = pull_all(client, _Device(enrolled))
    assert {"device", "club_key"} <= {c["kind"] for c in changes}
    key = next(c["key"] for c in changes if c["kind"] == "club_key")
    assert key["key_id"] == 1


class _Device:
    """Just enough of a tests.server.club.Terminal for pull_all."""

    def __init__(self, enrolled: EnrollResponse) -> None:
        self.auth = {"Authorization": f"Bearer {enrolled.token}"}


def test_codes_forgive_case_spaces_and_dashes_but_expire(client, club_db, admin, clock):
    code = new_code(client, admin)
    assert enroll(client, " " + code.lower().replace("-", " ") + " ").status_code == 200
    late = new_code(client, admin, ttl_hours=1)
    clock.advance(3601)
    assert enroll(client, late).json()["detail"]["code"] == "invalid_enrollment_code"
    assert enroll(client, "NOSUCH-CODE").status_code == 401


def test_devices_get_numbers_codes_and_key_ids_of_their_own(client, club_db, admin):
    answers = [
        EnrollResponse.model_validate(enroll(client, new_code(client, admin, branch), public_key()).json())
        for branch in ("THR", "THR", "ISF")
    ]
    assert [a.device_code for a in answers] == ["THR-01", "THR-02", "ISF-01"]
    assert [a.card_prefix for a in answers] == ["9826001", "9826002", "9826003"]
    assert [a.key_id for a in answers] == [1, 2, 3]
    assert len({a.token for a in answers}) == 3
    without_key = EnrollResponse.model_validate(enroll(client, new_code(client, admin)).json())
    assert without_key.key_id is None


def test_racing_enrolments_with_one_code_have_one_winner(club_db, admin, client):
    code = new_code(client, admin)
    results: list[int] = []

    def attempt() -> None:
        results.append(enroll(client, code).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [200, 401, 401, 401, 401]


def test_bad_enrolment_requests(client, club_db, admin):
    code = new_code(client, admin)
    assert enroll(client, code, "bm90IGEga2V5").status_code == 422  # base64, but not 32 bytes
    assert enroll(client, code, "***").status_code == 422
    assert client.post("/v1/enroll", json={"code": "x"}).status_code == 422
    assert client.post("/v1/enroll", json={"code": code, "protocol": 7}).status_code == 400
    unknown_branch = client.post("/v1/admin/enrollment-codes", json={"branch_code": "NOPE"}, headers=admin)
    assert unknown_branch.status_code == 404


def test_new_devices_number_after_the_demo_devices(club_db):
    """The demo's two devices are numbers 000 and 001 (sync.server.demo): the first enrolment is 002."""
    from sqlalchemy import insert

    from app.domain.ledger import GENESIS_HASH
    from tests.server.club import BRANCH_1
    from tests.server.club import enroll as enroll_device

    def demo_devices(conn) -> None:
        for number, code in enumerate(("DEMO-01", "DEMO-02")):
            conn.execute(
                insert(DEVICE).values(
                    id=f"00000000-0000-7000-8000-00000000000{number}",
                    code=code,
                    name="demo",
                    branch_id=BRANCH_1,
                    number=number,
                    card_prefix=f"9826{number:03d}",
                    enrolled_at_us=T0,
                    last_seq=0,
                    head_hash=GENESIS_HASH,
                    contiguous_seq=0,
                )
            )

    club_db.write(demo_devices)
    assert enroll_device(club_db).card_prefix == "9826002"
    assert enrolment.code_hash("ab-cd ef") == enrolment.code_hash("ABCDEF")


def device_token() -> str:
    """A token as a terminal makes it before enrolling (it keeps it, with its key, for a retry)."""
    import secrets

    return secrets.token_urlsafe(32)


def enroll_as(client, code: str, key: str | None, token: str | None):
    body = {"code": code, "device_name": "till 2", "issuing_public_key": key, "token": token}
    return client.post("/v1/enroll", json=body)


def test_a_terminal_that_lost_the_answer_gets_it_again(client, club_db, admin):
    """The same code, token and key again: the same device, token, key id and card series, not a second
    device; another key or another token with the spent code is still refused."""
    code, key, token = new_code(client, admin), public_key(), device_token()
    first = enroll_as(client, code, key, token)
    assert first.status_code == 200, first.text
    assert first.json()["token"] == token
    again = enroll_as(client, " " + code.lower() + " ", key, token)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    for other_key, other_token in ((public_key(), token), (key, device_token()), (key, None)):
        refused = enroll_as(client, code, other_key, other_token)
        assert refused.status_code == 401 and refused.json()["detail"]["code"] == "invalid_enrollment_code"
    with club_db.read() as conn:
        assert len(conn.execute(select(DEVICE.c.id)).all()) == 1
    pull_all(client, _Device(EnrollResponse.model_validate(first.json())))  # the token works


def test_a_device_whose_token_was_never_used_is_not_a_live_credential(client, club_db, admin, clock):
    """A device nobody used within a day of its enrolment (its answer was lost, and never asked for
    again) is refused and shown revoked; its key is retired. One used in time keeps working."""
    used = EnrollResponse.model_validate(enroll(client, new_code(client, admin), public_key()).json())
    pull_all(client, _Device(used))
    lost = EnrollResponse.model_validate(enroll(client, new_code(client, admin), public_key()).json())
    clock.advance(24 * 3600 + 1)
    refused = client.get("/v1/sync/pull", headers=_Device(lost).auth)
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "device_revoked"
    assert client.get("/v1/sync/pull", headers=_Device(used).auth).status_code == 200
    devices = {d["id"]: d for d in client.get("/v1/admin/devices", headers=admin).json()}
    assert devices[lost.device_id]["revoked_at_us"] == clock.now
    assert devices[used.device_id]["revoked_at_us"] is None
    keys = {
        k["key_id"]: k for k in (c["key"] for c in pull_all(client, _Device(used)) if c["kind"] == "club_key")
    }
    assert keys[lost.key_id]["retired_at_us"] == clock.now and keys[used.key_id]["retired_at_us"] is None
