# SPDX-License-Identifier: GPL-3.0-or-later
"""The phone's rotating code: the codec round trip, a decoder that only ever refuses, the time window
across the 24-bit step's wrap, and the replay rule (a code is good once per terminal)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cards import phone_pass
from app.cards.phone_pass import (
    STEP_MODULUS,
    STEP_SECONDS,
    STEPS_AHEAD,
    STEPS_BEHIND,
    CodeReason,
    PhoneCodeError,
    VerifiedCode,
    resolve_step,
    time_step,
    verify_phone_code,
)
from app.cards.verify import CardReason, CardVerdict, verify_card
from app.domain.digits import to_persian_digits
from app.services.cards import PHONE_CODES_KEPT_STEPS
from tests.support.phone import DAY_US, make_phone, phone_key

KEY = phone_key()
KEYS = {KEY.key_id: KEY.public}
T = 1_800_000_000 * 1_000_000  # 2027-01-15
STEP_US = STEP_SECONDS * 1_000_000
MEMBER = str(uuid.UUID("01900000-0000-7000-8000-00000000a001"))
PHONE = make_phone(KEY, MEMBER, "9826000000000042", expires_at_us=T + 30 * DAY_US)
CODE = PHONE.code(T)


def verified_or_refused(text: str, now_us: int = T) -> VerifiedCode | CodeReason:
    """What the decoder says: a verified code or a refusal's reason; any other exception fails the test."""
    try:
        return verify_phone_code(text, KEYS, now_us)
    except PhoneCodeError as error:
        return error.reason


def test_a_code_round_trips_and_verifies():
    assert len(CODE) == phone_pass.TEXT_LENGTH == 461 and CODE[0] == "8" and CODE.isdigit()
    verified = verify_phone_code(CODE, KEYS, T)
    assert verified.step == time_step(T)
    certificate = verified.certificate
    assert (certificate.member_id, certificate.card_number, certificate.key_id) == (
        MEMBER,
        "9826000000000042",
        KEY.key_id,
    )
    assert certificate.expires_at_us == phone_pass.expires_day(T + 30 * DAY_US) * DAY_US


def test_persian_digits_typed_by_a_scanner_on_a_persian_layout_are_read_back():
    persian = to_persian_digits(CODE)
    assert persian != CODE and phone_pass.is_phone_code_text(persian)
    assert verify_phone_code(persian + "\n", KEYS, T).step == time_step(T)


@pytest.mark.parametrize(
    ("keys", "now", "reason"),
    [
        ({}, T, CodeReason.UNKNOWN_KEY),
        ({KEY.key_id: phone_key().public}, T, CodeReason.BAD_SIGNATURE),
        (KEYS, T + 40 * DAY_US, CodeReason.CERTIFICATE_EXPIRED),
        (KEYS, T + 2 * STEP_US, CodeReason.CODE_EXPIRED),
        (KEYS, T - 2 * STEP_US, CodeReason.CLOCK_OFF),
    ],
)
def test_each_check_names_its_refusal(keys, now, reason):
    with pytest.raises(PhoneCodeError) as refused:
        verify_phone_code(CODE, keys, now)
    assert refused.value.reason is reason


def test_a_code_signed_by_another_phone_under_this_certificate_is_refused():
    thief = make_phone(KEY, MEMBER, "9826000000000043", expires_at_us=T + DAY_US)
    forged = phone_pass.sign_code(PHONE.certificate, thief.private_key, T)
    assert verified_or_refused(forged) is CodeReason.BAD_PHONE_SIGNATURE


# --- fuzzing the decoder: a verified code or PhoneCodeError, never anything else -------------------


@settings(max_examples=100)
@given(st.text(max_size=600))
def test_any_text_is_refused_without_another_exception(text):
    assert verified_or_refused(text) in set(CodeReason)


@settings(max_examples=100)
@given(st.text(alphabet="0123456789", min_size=460, max_size=460))
def test_any_digits_of_a_code_s_length_are_refused_without_another_exception(digits):
    assert verified_or_refused("8" + digits) in set(CodeReason)


@settings(max_examples=100)
@given(st.lists(st.tuples(st.integers(0, 460), st.sampled_from("0123456789")), min_size=1, max_size=4))
def test_a_mutated_code_is_refused_or_is_the_code_itself(edits):
    chars = list(CODE)
    for position, digit in edits:
        chars[position] = digit
    mutated = "".join(chars)
    found = verified_or_refused(mutated)
    if mutated == CODE:
        assert isinstance(found, VerifiedCode)
    else:  # every byte is under a signature: an edit never passes
        assert found in set(CodeReason)


@settings(max_examples=100)
@given(
    st.one_of(
        st.text(max_size=500), st.builds(lambda d: "8" + d, st.text("0123456789", min_size=460, max_size=460))
    )
)
def test_the_card_verdict_on_any_text_is_a_verdict(text):
    verdict = verify_card(
        text,
        uid=None,
        keys=KEYS,
        now_us=T,
        is_revoked=lambda number: False,
        revocations_as_of_us=T,
        max_revocation_age_us=DAY_US,
        member_exists=lambda member_id: True,
        code_seen=lambda number, step: False,
    )
    assert isinstance(verdict, CardVerdict) and not verdict.valid


# --- the time window -------------------------------------------------------------------------------


@settings(max_examples=100)
@given(
    st.integers(0, 2**40),
    st.integers(-(STEP_MODULUS // 2) + 1, STEP_MODULUS // 2 - 1),
    st.integers(0, STEP_US - 1),
)
def test_the_carried_step_resolves_to_the_full_step_nearest_the_clock(now_step, delta, within):
    """Whatever side of a 2^24 wrap the clock and the code are on (now_step runs past many wraps)."""
    now_us = now_step * STEP_US + within
    full = now_step + delta
    assert resolve_step(full % STEP_MODULUS, now_us) == full


@pytest.mark.parametrize("wrap", [1, 5])
def test_a_code_across_the_wrap_is_the_next_step_not_one_16_years_back(wrap):
    last = wrap * STEP_MODULUS - 1  # the terminal's step just before the wrap
    assert resolve_step(0, last * STEP_US) == wrap * STEP_MODULUS
    assert resolve_step(STEP_MODULUS - 1, (last + 1) * STEP_US) == last


@settings(max_examples=60, deadline=None)
@given(st.integers(-5 * STEP_US, 5 * STEP_US))
def test_a_code_is_accepted_exactly_within_the_window(offset_us):
    """The phone's clock `offset_us` off the terminal's: accepted iff its step is at most STEPS_BEHIND
    behind and STEPS_AHEAD ahead of the terminal's."""
    now_us = T + 12_345_678
    found = verified_or_refused(PHONE.code(now_us + offset_us), now_us)
    delta = time_step(now_us + offset_us) - time_step(now_us)
    if -STEPS_BEHIND <= delta <= STEPS_AHEAD:
        assert isinstance(found, VerifiedCode) and found.step == time_step(now_us + offset_us)
    else:
        assert found is (CodeReason.CODE_EXPIRED if delta < 0 else CodeReason.CLOCK_OFF)


# --- the replay rule --------------------------------------------------------------------------------


class ReplayCache:
    """The terminal's rule as app.services.cards keeps it, in memory: accepted codes are kept, and pruned
    only a day past the window."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, int]] = set()

    def scan(self, text: str, now_us: int) -> CardVerdict:
        verdict = verify_card(
            text,
            uid=None,
            keys=KEYS,
            now_us=now_us,
            is_revoked=lambda number: False,
            revocations_as_of_us=now_us,
            max_revocation_age_us=DAY_US,
            member_exists=lambda member_id: True,
            code_seen=lambda number, step: (number, step) in self.seen,
        )
        if verdict.valid:
            assert verdict.payload is not None and verdict.phone_step is not None
            floor = time_step(now_us) - STEPS_BEHIND - PHONE_CODES_KEPT_STEPS
            self.seen = {(n, s) for n, s in self.seen if s >= floor}
            self.seen.add((verdict.payload.card_number, verdict.phone_step))
        return verdict


# a scan: the phone's clock as an offset in steps from the start, and the terminal's clock moving
_SCANS = st.lists(
    st.tuples(st.integers(0, 12), st.integers(-60, 3 * 60)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(_SCANS)
def test_a_code_is_accepted_at_most_once_whatever_the_order_of_scans(scans):
    cache, now_us, accepted = ReplayCache(), T, []
    codes = {offset: PHONE.code(T + offset * STEP_US) for offset, _ in scans}
    for offset, move_s in scans:
        now_us += move_s * 1_000_000  # the terminal's clock: forward, or set back a little
        verdict = cache.scan(codes[offset], now_us)
        in_window = -STEPS_BEHIND <= time_step(T) + offset - time_step(now_us) <= STEPS_AHEAD
        if verdict.valid:
            accepted.append(offset)
        elif in_window:  # a code within the window is refused only for having been accepted before
            assert verdict.reason is CardReason.PHONE_CODE_REPLAYED and offset in accepted
    assert len(accepted) == len(set(accepted))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3600, 2 * 86_400), min_size=1, max_size=10), st.integers(-1, 1))
def test_pruning_never_lets_a_code_inside_the_window_pass_twice(jumps, shown_at):
    """The clock jumps ahead (days) or is set back (up to an hour), codes pile up and are pruned; a code
    accepted once is refused whenever it is within the window again."""
    cache, now_us = ReplayCache(), T
    first = PHONE.code(T + shown_at * STEP_US)
    assert cache.scan(first, T).valid
    for jump_s in jumps:
        now_us += jump_s * 1_000_000
        cache.scan(PHONE.code(now_us), now_us)  # the member's next visits: codes of their own time
        if -STEPS_BEHIND <= time_step(T) + shown_at - time_step(now_us) <= STEPS_AHEAD:
            assert cache.scan(first, now_us).reason is CardReason.PHONE_CODE_REPLAYED
