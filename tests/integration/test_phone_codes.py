# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's phone as a card at the counter and at the door, through the real store: the club's phone
key and the phone's card as the pull leaves them, real signatures, the replay cache and the outbox."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.cards.payload import generate_issuing_key
from app.cards.phone_pass import STEP_SECONDS, time_step
from app.domain.card import CardKind, card_number
from app.domain.event import Event, Verdict
from app.domain.ledger import EntryKind
from app.messages import message
from app.services import door
from app.services.cards import REVOCATIONS_AS_OF_SETTING, identify_card
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.identify import find_member
from app.services.photos import demo_photo
from app.store import cards, club, outbox
from tests.integration.test_cli import bashgah
from tests.integration.test_door import HOST
from tests.support.club import MANAGER
from tests.support.phone import (
    DAY_US,
    make_phone,
    phone_key,
    pull_phone_card,
    pull_revocation,
    register_key,
)
from tests.support.programme import MovableClock

T0 = 1_800_000_000 * 1_000_000  # on a time step's boundary
STEP_US = STEP_SECONDS * 1_000_000
MINUTE_US = 60 * 1_000_000
NUMBER = card_number("9826", 42)  # the server's series, as the member page issues it


@pytest.fixture
def clock():
    return MovableClock(T0 + 5 * 1_000_000)


@pytest.fixture
def key():
    return phone_key()


@pytest.fixture
def till(terminal, clock, key):
    """The test club's terminal on a clock the test moves, with the club's phone key pulled."""
    till = replace(terminal, clock=clock)
    register_key(till, key)
    return till


@pytest.fixture
def member(till):
    return enroll_member(
        till, EnrollRequest(name="مریم احمدی", phone="09121234567", photo_jpeg=demo_photo(3, 400))
    ).member


@pytest.fixture
def phone(till, key, member):
    certified = make_phone(key, member.id, NUMBER, expires_at_us=T0 + 30 * DAY_US)
    pull_phone_card(till, certified, T0 - DAY_US)
    return certified


def phone_items(terminal) -> list[dict]:
    with terminal.db.read() as conn:
        return [i.data() for i in outbox.pending(conn, (outbox.PHONE_CODE,))]


def seen_rows(terminal) -> list[tuple[str, int]]:
    with terminal.db.read() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT card_number, step FROM phone_code_seen"))]


def test_a_phone_code_identifies_its_member_once_and_is_reported(till, member, phone):
    code = phone.code(T0)
    accepted = identify_card(till, code, None)
    assert accepted.verdict.valid and not accepted.verdict.earn_only and accepted.verdict.reason is None
    assert accepted.member == member and accepted.card_number == NUMBER
    assert seen_rows(till) == [(NUMBER, time_step(T0))]
    (item,) = phone_items(till)
    assert item["card_number"] == NUMBER and item["member_id"] == member.id
    assert item["step"] == time_step(T0) and item["purpose"] == "member" and item["kind"] == "phone_code"
    assert item["used_at_us"] == till.clock.now_us()
    # the cashier goes on to the sale for the member the code named
    sale = record_sale(till, SaleRequest(accepted.member.id, 5_000_000))
    assert sale.points_earned > 0 and sale.balance.points == sale.points_earned

    replayed = identify_card(till, code, None)
    assert not replayed.verdict.valid and replayed.verdict.reason == "phone_code_replayed"
    assert replayed.card_number == NUMBER  # the club's word, for the log
    error = replayed.verdict.error()
    assert "30" in message(error, "en") and "۳۰" in message(error, "fa")
    assert len(phone_items(till)) == 1 and len(seen_rows(till)) == 1  # queued once
    # the phone's next code is another code
    till.clock.advance(us=STEP_US)
    assert identify_card(till, phone.code(till.clock.now_us()), None).verdict.valid
    assert len(phone_items(till)) == 2


def test_persian_digits_from_a_scanner_on_a_persian_layout_are_read(till, member, phone):
    from app.domain.digits import to_persian_digits

    assert identify_card(till, to_persian_digits(phone.code(T0)), None).member == member


@pytest.mark.parametrize(
    ("move_us", "reason", "words"),
    [
        (2 * MINUTE_US, "phone_code_expired", "expired"),  # a screenshot from two minutes ago
        (-2 * MINUTE_US, "phone_clock_off", "clock"),  # the terminal's clock is two minutes slow
    ],
)
def test_a_code_outside_the_window_is_refused_in_the_cashier_s_words(till, phone, move_us, reason, words):
    code = phone.code(T0)
    till.clock.advance(us=move_us)
    refused = identify_card(till, code, None)
    assert not refused.verdict.valid and refused.verdict.reason == reason
    assert words in message(refused.verdict.error(), "en").lower()
    assert message(refused.verdict.error(), "fa") != message(refused.verdict.error(), "en")
    assert phone_items(till) == [] and seen_rows(till) == []


def test_a_code_a_step_either_side_of_the_clock_is_accepted(till, phone):
    assert identify_card(till, phone.code(T0 - STEP_US), None).verdict.valid  # shown 30 s ago
    assert identify_card(till, phone.code(T0 + STEP_US), None).verdict.valid  # a phone a step ahead


def test_a_phone_the_member_removed_is_refused_once_the_revocation_is_pulled(till, phone):
    code = phone.code(T0)
    pull_revocation(till, NUMBER, str(uuid.UUID(int=7)), T0)
    refused = identify_card(till, code, None)
    assert refused.verdict.reason == "phone_revoked" and not refused.verdict.valid
    assert NUMBER in message(refused.verdict.error(), "fa")
    with pytest.raises(Exception, match=r"card_not_active|lost|revoked"):
        find_member(till, NUMBER)  # typed by hand too: the card is not active
    assert phone_items(till) == []


def test_an_expired_certificate_asks_the_member_to_sign_in_again(till, key, member):
    old = make_phone(key, member.id, card_number("9826", 50), expires_at_us=T0 - DAY_US)
    refused = identify_card(till, old.code(T0), None)
    assert refused.verdict.reason == "phone_expired"
    assert "sign in" in message(refused.verdict.error(), "en")


def test_a_certificate_signed_by_a_card_key_is_refused(till, member):
    """A stolen till's own card key is a club key the terminals trust for cards: it must not certify a
    phone, or it could make a phone for any member."""
    card_key = generate_issuing_key(41)
    with till.db.write() as conn:
        cards.put_key(conn, card_key.key_id, card_key.public, T0, purpose="card")
    forged = make_phone(card_key, member.id, card_number("9826", 52), expires_at_us=T0 + DAY_US)
    refused = identify_card(till, forged.code(T0), None)
    assert refused.verdict.reason == "unknown_key" and refused.member is None
    assert phone_items(till) == [] and seen_rows(till) == []


def test_a_member_this_terminal_has_not_synced_is_refused_and_the_code_kept_unused(till, key):
    stranger = make_phone(key, str(uuid.UUID(int=99)), card_number("9826", 51), expires_at_us=T0 + DAY_US)
    refused = identify_card(till, stranger.code(T0), None)
    assert refused.verdict.reason == "unknown_member" and refused.member is None
    assert phone_items(till) == [] and seen_rows(till) == []


def test_a_stale_revocation_list_accepts_the_phone_for_earning_only(till, member, phone):
    with till.db.write() as conn:
        club.put_setting(conn, REVOCATIONS_AS_OF_SETTING, "0")  # synced in 1970
    accepted = identify_card(till, phone.code(T0), None)
    assert accepted.verdict.valid and accepted.verdict.earn_only
    assert accepted.verdict.reason == "revocation_list_stale" and accepted.member == member
    assert len(phone_items(till)) == 1


def test_the_phone_s_card_is_listed_with_the_member_s_cards(till, member, phone):
    listed = {c.number: c.kind for c in find_member(till, member.id).cards}
    assert listed[NUMBER] is CardKind.PHONE and len(listed) == 2  # the enrolment's card and the phone


@pytest.fixture
def party(till, member):
    now = till.clock.now_us()
    event = door.save_event(till, MANAGER, Event(till.new_id(), "Gala", now - 1, now + 4 * 3600 * 1_000_000))
    door.invite(till, MANAGER, event.id, member.id)
    return event


def test_at_the_door_a_phone_code_admits_once_with_the_member_s_photo(till, member, phone, party):
    code = phone.code(T0)
    admitted = door.admit_qr(till, party.id, code, HOST)
    assert admitted.verdict is Verdict.ADMIT and admitted.guest.member_id == member.id
    assert admitted.guest.photo is not None and not admitted.guest.from_card
    again = door.admit_qr(till, party.id, code, HOST)
    assert again.verdict is Verdict.CARD_REFUSED and again.reason == "card_phone_code_replayed"
    assert again.refusal() is not None and again.card_number == NUMBER
    (item,) = phone_items(till)
    assert item["purpose"] == "door" and item["member_id"] == member.id
    with till.db.read() as conn:
        kinds = [e.kind for e in members_entries(conn, member.id)]
    assert kinds.count(EntryKind.CHECK_IN) == 1
    # the next code: the member is inside already, as a card says
    till.clock.advance(us=STEP_US)
    assert (
        door.admit_qr(till, party.id, phone.code(till.clock.now_us()), HOST).verdict is Verdict.ALREADY_INSIDE
    )


def members_entries(conn, member_id):
    from app.store import ledger

    return ledger.recent_for_member(conn, member_id, 50)


def test_the_door_refuses_an_expired_code_in_the_host_s_words(till, phone, party):
    code = phone.code(T0)
    till.clock.advance(us=2 * MINUTE_US)
    refused = door.admit_qr(till, party.id, code, HOST)
    assert refused.verdict is Verdict.CARD_REFUSED and refused.reason == "card_phone_code_expired"
    assert refused.guest is not None  # the certificate is the club's word: the host sees who it names
    assert "منقضی" in message(refused.refusal(), "fa")


_MOVES = st.lists(st.tuples(st.integers(-1, 1), st.integers(-40, 100)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=_MOVES)
def test_the_store_accepts_each_code_at_most_once_whatever_the_order(till, member, key, moves):
    """Each example a new phone of the member's (its own number), scanned at the counter and the door in
    any order with the clock moving: each of its codes opens or admits at most once."""
    number = card_number("9827", uuid.uuid4().int % 10**8)
    fresh = make_phone(key, member.id, number, expires_at_us=T0 + 30 * DAY_US)
    start = till.clock.now_us() - till.clock.now_us() % STEP_US
    accepted: list[int] = []
    for offset, move_s in moves:
        till.clock.advance(us=move_s * 1_000_000)
        verdict = identify_card(till, fresh.code(start + offset * STEP_US), None).verdict
        if verdict.valid:
            accepted.append(verdict.phone_step)
    assert len(accepted) == len(set(accepted))
    with till.db.read() as conn:
        queued = [i.data()["step"] for i in outbox.pending(conn, (outbox.PHONE_CODE,)) if i.subject == number]
    assert sorted(queued) == sorted(accepted)


def test_the_replay_cache_forgets_codes_a_day_past_the_window(till, phone):
    assert identify_card(till, phone.code(T0), None).verdict.valid
    till.clock.advance(days=1.01)
    assert identify_card(till, phone.code(till.clock.now_us()), None).verdict.valid
    assert seen_rows(till) == [(NUMBER, time_step(till.clock.now_us()))]


def test_the_door_command_takes_a_phone_code(tmp_path):
    from app.services.staff_auth import hash_pin
    from tests.support.club import MANAGER_PIN, make_club

    data_dir = tmp_path / "data"
    terminal = make_club(data_dir)
    with terminal.db.write() as conn:
        club.put_staff(conn, HOST, hash_pin("4321"))
    key = phone_key()
    register_key(terminal, key)
    guest = enroll_member(terminal, EnrollRequest(name="Sara Rahimi", phone="09121112233")).member
    now = time.time_ns() // 1000
    certified = make_phone(key, guest.id, NUMBER, expires_at_us=now + 30 * DAY_US)
    pull_phone_card(terminal, certified, now)
    event = door.save_event(terminal, MANAGER, Event(terminal.new_id(), "Gala", now - 1, now + 3600 * 10**6))
    door.invite(terminal, MANAGER, event.id, guest.id)
    terminal.db.close()
    assert MANAGER_PIN
    code = certified.code(time.time_ns() // 1000)
    args = ("door", "admit", "--qr", code, "--staff", HOST.name, "--pin", "4321", "--json")
    first = bashgah(data_dir, *args)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["guest"]["name"] == "Sara Rahimi"
    again = json.loads(bashgah(data_dir, *args).stdout)
    assert again["verdict"] == "card_refused" and again["reason"] == "card_phone_code_replayed"
    assert "30" in again["message"]
