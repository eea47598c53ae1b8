# SPDX-License-Identifier: GPL-3.0-or-later
"""Signing in to the member page (sync.server.portal.sign_in, api): the code the SMS brought, wrong,
expired and guessed codes, the answer that never tells a member's number from another, the limits per
number and per address, CSRF, and the session's life; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.server.app import create_app
from sync.server.models import MESSAGE, PORTAL_SESSION, PORTAL_SIGN_IN
from sync.server.portal import sign_in as sign_in_module
from tests.server.club import T0
from tests.server.portal_support import (
    ORIGIN,
    H,
    add_member,
    ask,
    code_in,
    send_sms,
    sign_in,
    texts_to,
    verify,
)
from tests.support.sms_receiver import sms_receiver

PHONE = "+989121234567"
STRANGER = "+989351112233"


@pytest.fixture
def receiver():
    with sms_receiver() as r:
        yield r


@pytest.fixture
def portal(club_db, clock):
    app = create_app(club_db, clock)
    app.state.portal_answer_floor_s = 0.0  # the floor is a wait, not a behaviour: tests do not pay it
    with TestClient(app, base_url=ORIGIN) as client:
        yield client


@pytest.fixture
def sara(club_db):
    return add_member(club_db, name="Sara", phone=PHONE)


def test_a_member_signs_in_with_the_code_the_sms_brought(portal, club_db, receiver, clock, sara):
    answer = ask(portal, "0912 123 4567")  # as a member types it
    assert answer.status_code == 202
    assert answer.json() == {"sent": True, "resend_after_s": 60}
    assert send_sms(club_db, receiver, clock).sent == 1
    [text] = texts_to(receiver, PHONE)
    code = code_in(text)
    assert code.isascii()  # Latin digits: what a phone's one-time-code autofill reads
    assert "11" not in text.split(code)[1]  # a transactional message: no opt-out line
    verified = verify(portal, PHONE, code)
    assert verified.status_code == 200 and verified.json() == {"ok": True}
    cookie = verified.headers["set-cookie"]
    for attribute in (
        "bashgah_member=",
        "HttpOnly",
        "SameSite=strict",
        "Path=/m/",
        "Secure",
        "Max-Age=2592000",
    ):
        assert attribute.lower() in cookie.lower(), cookie
    me = portal.get("/m/api/me")
    assert me.status_code == 200
    assert me.json()["member"]["name"] == "Sara"
    assert me.json()["member"]["phone_masked"] == "0912***4567"
    with club_db.read() as conn:
        row = conn.execute(select(PORTAL_SIGN_IN)).one()
        message = conn.execute(select(MESSAGE).where(MESSAGE.c.kind == "sign_in_code")).one()
        session = conn.execute(select(PORTAL_SESSION)).one()
    assert row.member_id == sara.id and row.used_at_us is not None
    assert code not in row.code_hash and len(row.code_hash) == 64  # only its HMAC
    assert code not in message.body and code not in message.params  # the outbox forgot it once sent
    assert session.token_hash != portal.cookies.get("bashgah_member")
    # a used code is spent
    assert verify(portal, PHONE, code).json()["error"] == "code_expired"


def test_a_wrong_code_an_expired_one_and_the_words_of_refusals(portal, club_db, receiver, clock, sara):
    assert ask(portal, PHONE).status_code == 202
    send_sms(club_db, receiver, clock)
    code = code_in(texts_to(receiver, PHONE)[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refused = portal.post("/m/api/verify", json={"phone": PHONE, "code": wrong},
                          headers=H | {"Accept-Language": "en-GB,en;q=0.9"})  # fmt: skip
    assert refused.status_code == 400
    assert refused.json() == {"error": "code_wrong", "message": "That code is not right."}
    assert verify(portal, PHONE, wrong).json()["message"] == "کد درست نیست."  # Persian first
    clock.advance(5 * 60)
    expired = verify(portal, PHONE, code)
    assert expired.status_code == 400 and expired.json()["error"] == "code_expired"
    assert portal.get("/m/api/me").status_code == 401


def test_a_code_is_dead_after_five_wrong_tries(portal, club_db, receiver, clock, sara):
    ask(portal, PHONE)
    send_sms(club_db, receiver, clock)
    code = code_in(texts_to(receiver, PHONE)[0])
    wrong = f"{(int(code) + 7) % 10**6:06d}"
    for _ in range(sign_in_module.MAX_TRIES):
        assert verify(portal, PHONE, wrong).status_code == 400
    dead = verify(portal, PHONE, code)  # the right code, too late
    assert dead.status_code == 429
    assert dead.json()["error"] == "too_many" and dead.json()["retry_after_s"] >= 1
    assert dead.headers["retry-after"] == str(dead.json()["retry_after_s"])
    assert portal.get("/m/api/me").status_code == 401
    with club_db.read() as conn:
        assert conn.execute(select(PORTAL_SIGN_IN.c.attempts)).scalar_one() == sign_in_module.MAX_TRIES


def test_a_member_s_number_and_a_stranger_s_get_the_same_answers_and_limits(
    portal, club_db, receiver, clock, sara
):
    member_answer, stranger_answer = ask(portal, PHONE), ask(portal, STRANGER)
    assert (member_answer.status_code, member_answer.json()) == (
        stranger_answer.status_code,
        stranger_answer.json(),
    )
    again = [ask(portal, PHONE), ask(portal, STRANGER)]
    assert [a.status_code for a in again] == [429, 429]
    assert again[0].json() == again[1].json()
    assert send_sms(club_db, receiver, clock).sent == 1  # the member's only
    assert texts_to(receiver, STRANGER) == []
    guessed = verify(portal, STRANGER, "123456")
    assert guessed.status_code == 400 and guessed.json()["error"] == "code_wrong"
    with club_db.read() as conn:
        rows = {r.phone: r for r in conn.execute(select(PORTAL_SIGN_IN))}
    assert rows[STRANGER].member_id is None and len(rows[STRANGER].code_hash) == 64


def test_one_number_gets_a_code_a_minute_and_five_an_hour(portal, club_db, clock, sara):
    assert ask(portal, PHONE).status_code == 202
    soon = ask(portal, PHONE)
    assert soon.status_code == 429 and 1 <= soon.json()["retry_after_s"] <= 60
    for _ in range(4):
        clock.advance(61)
        assert ask(portal, PHONE).status_code == 202
    clock.advance(61)
    over = ask(portal, PHONE)
    assert over.status_code == 429
    assert over.json()["retry_after_s"] > 60  # the hour's limit, not the minute's
    clock.advance(over.json()["retry_after_s"])
    assert ask(portal, PHONE).status_code == 202


def test_one_address_asks_twenty_codes_an_hour(portal, club_db, clock):
    numbers = [f"+98912000{i:04d}" for i in range(sign_in_module.PER_ADDRESS_HOUR + 1)]
    for number in numbers[:-1]:
        assert ask(portal, number).status_code == 202
    flooded = ask(portal, numbers[-1])
    assert flooded.status_code == 429 and flooded.json()["error"] == "too_many"
    clock.advance(3600)
    assert ask(portal, numbers[-1]).status_code == 202


def test_state_changing_calls_need_the_header_and_the_page_s_origin(portal, club_db, receiver, clock, sara):
    bare = portal.post("/m/api/sign-in", json={"phone": PHONE})
    assert bare.status_code == 403 and bare.json()["error"] == "forbidden"
    foreign = portal.post(
        "/m/api/sign-in", json={"phone": PHONE}, headers=H | {"Origin": "https://evil.test"}
    )
    assert foreign.status_code == 403
    with club_db.read() as conn:
        assert conn.execute(select(PORTAL_SIGN_IN)).first() is None  # refused before anything was done
    sign_in(portal, club_db, receiver, clock, PHONE)
    for headers in (
        {},
        {"X-Bashgah": "1", "Origin": "https://evil.test"},
        {"X-Bashgah": "1", "Origin": "null"},
    ):
        refused = portal.put("/m/api/consent", json={"marketing": True}, headers=headers)
        assert refused.status_code == 403, headers
    same = portal.put("/m/api/consent", json={"marketing": True}, headers=H | {"Origin": ORIGIN})
    assert same.status_code == 200


def test_a_session_lasts_thirty_days_from_its_last_use_and_ends_at_sign_out(
    portal, club_db, receiver, clock, sara
):
    sign_in(portal, club_db, receiver, clock, PHONE)
    clock.advance(29 * 86_400)
    assert portal.get("/m/api/me").status_code == 200  # used: thirty days from now
    clock.advance(29 * 86_400)
    assert portal.get("/m/api/me").status_code == 200
    clock.advance(30 * 86_400)
    idle = portal.get("/m/api/me")
    assert idle.status_code == 401 and idle.json()["error"] == "signed_out"
    clock.advance(61)
    sign_in(portal, club_db, receiver, clock, PHONE)
    token = portal.cookies.get("bashgah_member")
    assert portal.post("/m/api/sign-out", headers=H).status_code == 204
    portal.cookies.set("bashgah_member", token, domain="club.test", path="/m/")  # a copy of the cookie
    assert portal.get("/m/api/me").status_code == 401


def test_a_malformed_number_is_refused_in_words(portal):
    answer = ask(portal, "12", **{"Accept-Language": "en"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "phone_invalid", "message": "That is not a valid mobile number."}
    assert (
        json.loads(portal.post("/m/api/sign-in", content=b"{", headers=H).text)["error"] == "invalid_request"
    )


def _put_setting(db, key, value):
    from sync.server.club import _upsert
    from sync.server.models import SETTING

    db.write(lambda conn: _upsert(conn, SETTING, "key", {"key": key, "value": value}))


def test_the_code_goes_at_once_in_quiet_hours(portal, club_db, receiver, clock, sara):
    _put_setting(club_db, "messages_quiet_start", "00:00")
    _put_setting(club_db, "messages_quiet_end", "23:59")  # all day quiet
    assert ask(portal, PHONE).status_code == 202
    assert send_sms(club_db, receiver, clock).sent == 1
    assert len(texts_to(receiver, PHONE)) == 1


def test_a_code_not_sent_within_its_five_minutes_is_cancelled_and_forgotten(
    portal, club_db, receiver, clock, sara
):
    assert ask(portal, PHONE).status_code == 202
    clock.advance(5 * 60)
    summary = send_sms(club_db, receiver, clock)
    assert summary.sent == 0 and summary.cancelled == 1
    assert texts_to(receiver, PHONE) == []
    with club_db.read() as conn:
        message = conn.execute(select(MESSAGE).where(MESSAGE.c.kind == "sign_in_code")).one()
    assert (message.status, message.provider_answer, message.params) == ("cancelled", "expired", "{}")


def test_requests_at_once_for_one_number_get_one_code(club_db, sara):
    """The per-number count and the insert are one step for everyone (advisory locks on PostgreSQL, the one
    writer on SQLite): eight requests at once, from eight addresses, make one code."""
    start = threading.Barrier(8)

    def one(i: int) -> bool:
        start.wait()
        try:
            club_db.write(lambda conn: sign_in_module.request_code(conn, PHONE, f"10.0.0.{i}", T0))
        except sign_in_module.TooManyError:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    assert results.count(True) == 1
    with club_db.read() as conn:
        assert len(conn.execute(select(PORTAL_SIGN_IN.c.id)).all()) == 1


def test_the_answer_takes_its_floor_member_or_not(club_db, clock, sara):
    app = create_app(club_db, clock)
    app.state.portal_answer_floor_s = 0.05
    with TestClient(app, base_url=ORIGIN) as client:
        for phone in (PHONE, STRANGER):
            started = time.monotonic()
            assert ask(client, phone).status_code == 202
            assert time.monotonic() - started >= 0.05


def test_a_code_the_provider_refused_for_now_is_not_kept_in_the_outbox(
    portal, club_db, receiver, clock, sara
):
    receiver.script.append((500, {}))  # a passing failure: tried again later
    assert ask(portal, PHONE).status_code == 202
    summary = send_sms(club_db, receiver, clock)
    assert summary.retried == 1
    with club_db.read() as conn:
        message = conn.execute(select(MESSAGE).where(MESSAGE.c.kind == "sign_in_code")).one()
    assert message.status == "queued" and message.body == "…"
    clock.advance(5 * 60)
    assert send_sms(club_db, receiver, clock).cancelled == 1
    with club_db.read() as conn:
        message = conn.execute(select(MESSAGE).where(MESSAGE.c.kind == "sign_in_code")).one()
    assert (message.status, message.body, message.params) == ("cancelled", "…", "{}")


def test_a_number_s_rows_older_than_a_day_are_forgotten_when_it_asks_again(portal, club_db, clock, sara):
    assert ask(portal, PHONE).status_code == 202
    clock.advance(24 * 3600 + 1)
    assert ask(portal, PHONE).status_code == 202
    with club_db.read() as conn:
        assert [r.created_at_us for r in conn.execute(select(PORTAL_SIGN_IN))] == [clock.now_us()]
