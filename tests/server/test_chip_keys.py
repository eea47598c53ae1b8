# SPDX-License-Identifier: GPL-3.0-or-later
"""The branches' NTAG 424 DNA keys (sync.server.chip_keys, GET /v1/chip-keys): a terminal unwraps what the
root derives for its branch and role, and nothing else; revoking a terminal moves its branch to a new
generation; the root never leaves the server."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

from app.cards.ntag424.keys import ChipKeyError, KeyIdentity, branch_key, unwrap_key, wrap_public_bytes
from sync.protocol import ChipKeysResponse, EnrollRequest, b64decode, b64encode
from sync.server import chip_keys, enrolment
from sync.server.cli import main
from sync.server.errors import ApiError
from sync.server.models import CHIP_KEY_GENERATION, DEVICE, SERVER_KEY
from tests.server.club import BRANCH_1, BRANCH_2, T0, Terminal, member, member_item, push
from tests.server.test_enrolment import public_key as issuing_public_key


class Till:
    """A terminal enrolled with a wrap key, holding its private half as the real one does."""

    def __init__(self, db, branch_code: str = "THR", *, issuing: bool = False, wrap: bool = True) -> None:
        self.wrap = X25519PrivateKey.generate()
        code = db.write(lambda conn: enrolment.issue_code(conn, branch_code, 24, T0, "test")).code
        self.request = EnrollRequest(
            code=code,
            device_name="till",
            token=secrets.token_urlsafe(32),
            issuing_public_key=issuing_public_key() if issuing else None,
            wrap_public_key=b64encode(wrap_public_bytes(self.wrap)) if wrap else None,
        )
        answer = db.write(lambda conn: enrolment.enroll(conn, self.request, T0))
        self.answer = answer
        self.terminal = Terminal(
            answer.device_id, answer.device_code, answer.token, answer.card_prefix, answer.key_id,
            answer.branch_id,
        )  # fmt: skip

    @property
    def auth(self) -> dict[str, str]:
        return self.terminal.auth

    def keys(self, client) -> ChipKeysResponse:
        response = client.get("/v1/chip-keys", headers=self.auth)
        assert response.status_code == 200, response.text
        return ChipKeysResponse.model_validate(response.json())

    def unwrap(self, wire, private: X25519PrivateKey | None = None) -> bytes:
        identity = KeyIdentity(self.terminal.device_id, wire.branch_id, wire.generation, wire.role)
        return unwrap_key(b64decode(wire.wrapped), private or self.wrap, identity)


def root(db) -> bytes:
    with db.read() as conn:
        stored = conn.execute(
            select(SERVER_KEY.c.private_key).where(SERVER_KEY.c.key_id == chip_keys.SECRET_KEY_ID)
        ).scalar_one()
    return base64.b64decode(stored)


def listed(answer: ChipKeysResponse) -> list[tuple[int, str]]:
    return [(k.generation, k.role) for k in answer.keys]


def revoke(client, admin, till: Till) -> None:
    response = client.post(f"/v1/admin/devices/{till.terminal.device_id}/revoke", headers=admin)
    assert response.status_code == 200, response.text


def test_a_terminal_unwraps_its_branchs_read_key_as_the_root_derives_it(client, club_db):
    till = Till(club_db)
    answer = till.keys(client)
    assert listed(answer) == [(1, "read")] and answer.current_generation == 1
    (read,) = answer.keys
    assert read.branch_id == BRANCH_1 and read.created_at_us == T0
    assert till.unwrap(read) == branch_key(root(club_db), BRANCH_1, 1, "read")
    again = till.keys(client)  # the same keys, sealed afresh
    assert till.unwrap(again.keys[0]) == till.unwrap(read) and again.keys[0].wrapped != read.wrapped


def test_only_issuing_terminals_get_the_write_key(client, club_db):
    reader, issuer = Till(club_db), Till(club_db, issuing=True)
    assert [k.role for k in reader.keys(client).keys] == ["read"]
    answer = issuer.keys(client)
    assert listed(answer) == [(1, "read"), (1, "write")]
    write = next(k for k in answer.keys if k.role == "write")
    assert issuer.unwrap(write) == branch_key(root(club_db), BRANCH_1, 1, "write")
    assert issuer.unwrap(write) != issuer.unwrap(answer.keys[0])


def test_another_branchs_terminal_gets_another_key(client, club_db):
    tehran, isfahan = Till(club_db), Till(club_db, "ISF")
    (theirs,) = isfahan.keys(client).keys
    (ours,) = tehran.keys(client).keys
    assert theirs.branch_id == BRANCH_2
    assert isfahan.unwrap(theirs) == branch_key(root(club_db), BRANCH_2, 1, "read")
    assert isfahan.unwrap(theirs) != tehran.unwrap(ours)


def test_a_wrapped_key_opens_for_its_own_terminal_only(client, club_db):
    till, other = Till(club_db), Till(club_db)
    (read,) = till.keys(client).keys
    with pytest.raises(ChipKeyError):
        till.unwrap(read, other.wrap)  # another terminal's private key
    with pytest.raises(ChipKeyError):  # passed off as another terminal's, or another generation's
        other.unwrap(read)
    with pytest.raises(ChipKeyError):
        till.unwrap(read.model_copy(update={"generation": 2}))
    with pytest.raises(ChipKeyError):
        till.unwrap(read.model_copy(update={"role": "write"}))


def test_revoking_a_terminal_starts_a_new_generation_for_its_branch_only(client, club_db, admin):
    thief, colleague, issuer = Till(club_db), Till(club_db), Till(club_db, issuing=True)
    isfahan = Till(club_db, "ISF")
    for till in (thief, colleague, isfahan):
        till.keys(client)
    revoke(client, admin, thief)
    refused = client.get("/v1/chip-keys", headers=thief.auth)
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "device_revoked"
    answer = colleague.keys(client)
    assert listed(answer) == [(1, "read"), (2, "read")] and answer.current_generation == 2
    assert colleague.unwrap(answer.keys[1]) == branch_key(root(club_db), BRANCH_1, 2, "read")
    assert listed(issuer.keys(client)) == [(1, "read"), (1, "write"), (2, "read"), (2, "write")]
    other = isfahan.keys(client)
    assert listed(other) == [(1, "read")] and other.current_generation == 1
    with club_db.read() as conn:
        started = conn.execute(select(CHIP_KEY_GENERATION).where(CHIP_KEY_GENERATION.c.generation == 2)).one()
    assert (started.branch_id, started.reason, started.revoked_device_id) == (
        BRANCH_1, "terminal_revoked", thief.terminal.device_id,
    )  # fmt: skip
    revoke(client, admin, thief)  # revoking it again starts nothing
    assert colleague.keys(client).current_generation == 2


def test_a_revoked_terminal_that_could_hold_no_key_starts_no_generation(client, club_db, admin):
    keyless, till = Till(club_db, wrap=False), Till(club_db)
    till.keys(client)
    revoke(client, admin, keyless)
    assert till.keys(client).current_generation == 1


def test_a_terminal_without_a_wrap_key_is_told_so(client, club_db):
    keyless = Till(club_db, wrap=False)
    refused = client.get("/v1/chip-keys", headers=keyless.auth)
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "no_wrap_key"
    unknown = client.get("/v1/chip-keys", headers={"Authorization": "Bearer nobody"})
    assert unknown.status_code == 401


def test_a_lost_enrolment_answer_is_given_again_for_the_same_wrap_key_only(club_db):
    till = Till(club_db)
    again = club_db.write(lambda conn: enrolment.enroll(conn, till.request, T0))
    assert again == till.answer
    other = till.request.model_copy(update={"wrap_public_key": b64encode(bytes(range(1, 33)))})
    with pytest.raises(ApiError) as refused:
        club_db.write(lambda conn: enrolment.enroll(conn, other, T0))
    assert refused.value.code == "invalid_enrollment_code"


@pytest.mark.parametrize("bad", ["A" * 43 + "=", b64encode(bytes(range(1, 32))), "!" * 44])
def test_an_unusable_wrap_key_is_refused_before_the_code_is_spent(club_db, bad):
    code = club_db.write(lambda conn: enrolment.issue_code(conn, "THR", 24, T0, "test")).code
    request = EnrollRequest(code=code, device_name="till", wrap_public_key=bad)
    with pytest.raises(ApiError) as refused:
        club_db.write(lambda conn: enrolment.enroll(conn, request, T0))
    assert refused.value.code == "invalid_wrap_key"
    usable = b64encode(wrap_public_bytes(X25519PrivateKey.generate()))
    good = request.model_copy(update={"wrap_public_key": usable})
    assert club_db.write(lambda conn: enrolment.enroll(conn, good, T0)).branch_id == BRANCH_1


def test_an_old_generation_is_retired_by_the_club_and_the_newest_cannot_be(client, club_db, admin, capsys):
    thief, till = Till(club_db), Till(club_db)
    till.keys(client)
    revoke(client, admin, thief)
    url = str(club_db.engine.url.render_as_string(hide_password=False))
    retire = ["--db", url, "chip-keys", "retire", "--branch", "THR", "--generation"]
    assert main([*retire, "2", "--why", "-"]) == 2
    assert "cannot be retired" in capsys.readouterr().err
    assert main(["--db", url, "--json", "chip-keys", "retire", "--branch", "THR", "--generation", "1",
                 "--why", "every card rewritten"]) == 0  # fmt: skip
    done = json.loads(capsys.readouterr().out)
    assert done["retired_now"] is True and [g["retired_at_us"] is None for g in done["generations"]] == [
        False, True,
    ]  # fmt: skip
    answer = till.keys(client)
    assert listed(answer) == [(2, "read")] and answer.current_generation == 2
    assert main(["--db", url, "chip-keys", "list", "--branch", "THR"]) == 0
    out = capsys.readouterr().out
    assert "generation 1: first, retired" in out and "generation 2: terminal_revoked, in use" in out


def _spellings(secret: bytes) -> list[str]:
    return [secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode(),
            base64.urlsafe_b64encode(secret).decode().rstrip("=")]  # fmt: skip


def test_the_root_never_leaves_the_server(client, club_db, admin, caplog):
    caplog.set_level(logging.DEBUG)
    till, issuer = Till(club_db), Till(club_db, issuing=True)
    sara = member(name="Sara")
    push(client, till.terminal, [], [member_item(sara)])
    answers = [client.get("/v1/chip-keys", headers=t.auth).text for t in (till, issuer, till)]
    revoke(client, admin, till)
    answers += [client.get("/v1/chip-keys", headers=issuer.auth).text]
    answers += [client.get(f"/v1/admin/members/{sara.id}/export", headers=admin).text]
    answers += [client.get("/v1/admin/devices", headers=admin).text, client.get("/openapi.json").text]
    answers += [client.get("/v1/admin/audit", headers=admin).text]
    secret = root(club_db)
    derived = [branch_key(secret, BRANCH_1, g, role) for g in (1, 2) for role in ("read", "write")]
    logged = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert caplog.records  # the requests were logged: the check below looked at something
    for text in [*answers, logged]:
        for value in (secret, *derived):
            for spelling in _spellings(value):
                assert spelling not in text
    with club_db.read() as conn:  # the device row keeps only the terminal's public key
        kept = conn.execute(select(DEVICE.c.wrap_public_key).where(DEVICE.c.id == till.terminal.device_id))
        assert b64decode(kept.scalar_one()) == wrap_public_bytes(till.wrap)


def test_terminals_asking_at_once_share_one_root_and_one_first_generation(client, club_db):
    tills = [Till(club_db) for _ in range(4)]
    start = threading.Barrier(len(tills))
    got: dict[int, bytes] = {}

    def ask(n: int) -> None:
        start.wait(10)
        (read,) = tills[n].keys(client).keys
        got[n] = tills[n].unwrap(read)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(tills))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert list(got.values()) == [branch_key(root(club_db), BRANCH_1, 1, "read")] * len(tills)
    with club_db.read() as conn:
        assert len(conn.execute(select(CHIP_KEY_GENERATION)).all()) == 1


def test_a_terminal_asking_while_it_is_revoked_never_holds_the_newest_generation(client, club_db, admin):
    """Asked for keys at the moment it was revoked: either refused, or the keys it got are a generation
    behind the one its branch's cards move to (a branch lock orders the two)."""
    for _ in range(3):
        thief, colleague = Till(club_db), Till(club_db)
        start = threading.Barrier(2)
        got: list = []

        def ask(thief: Till = thief, start: threading.Barrier = start, got: list = got) -> None:
            start.wait(10)
            got.append(client.get("/v1/chip-keys", headers=thief.auth))

        def revoking(thief: Till = thief, start: threading.Barrier = start) -> None:
            start.wait(10)
            revoke(client, admin, thief)

        threads = [threading.Thread(target=ask), threading.Thread(target=revoking)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        current = colleague.keys(client).current_generation
        (answer,) = got
        if answer.status_code == 200:
            assert max(k["generation"] for k in answer.json()["keys"]) < current
        else:
            assert answer.json()["detail"]["code"] == "device_revoked"
