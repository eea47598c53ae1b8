# SPDX-License-Identifier: GPL-3.0-or-later
"""The invitation QR: signed, bound to its key, refused when edited, expired or not ours."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cards.invitation_qr import (
    PREFIX,
    InvitationPass,
    invitation_qr_text,
    is_invitation_text,
    parse_invitation_qr,
    verify_invitation_qr,
)
from app.cards.payload import PayloadError, generate_issuing_key
from app.cards.qr import sign_qr_card

KEY = generate_issuing_key(7)
T = 1_800_000_000 * 1_000_000
PASS = InvitationPass(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), 7, T)


def test_a_pass_round_trips_and_verifies():
    text = invitation_qr_text(KEY, PASS)
    assert text.startswith(PREFIX) and is_invitation_text(text) and len(text) < 200
    assert verify_invitation_qr(text + "\n", {7: KEY.public}, T - 1) == PASS


@pytest.mark.parametrize(
    ("keys", "now", "why"),
    [
        ({}, T, "unknown_key"),
        ({7: generate_issuing_key(7).public}, T, "bad_signature"),
        ({7: KEY.public}, T + 1_000_000, "expired"),
    ],
)
def test_a_pass_is_refused_with_its_reason(keys, now, why):
    with pytest.raises(PayloadError, match=why):
        verify_invitation_qr(invitation_qr_text(KEY, PASS), keys, now)


def test_a_member_card_qr_is_no_invitation():
    card = sign_qr_card(
        KEY, member_id=PASS.member_id, card_number="6037990000000006", issued_at_us=T, expires_at_us=None
    )
    assert not is_invitation_text(card)
    with pytest.raises(PayloadError, match="malformed"):
        verify_invitation_qr(card, {7: KEY.public}, T)


@given(st.text(max_size=300))
def test_any_text_parses_or_raises_payload_error_only(text):
    with contextlib.suppress(PayloadError):
        parse_invitation_qr(text)
    with contextlib.suppress(PayloadError):
        parse_invitation_qr(PREFIX + text)


@given(st.integers(0, 118), st.integers(1, 255))
def test_any_flipped_byte_is_refused(position, flip):
    import base64

    text = invitation_qr_text(KEY, PASS)
    raw = bytearray(base64.urlsafe_b64decode(text[len(PREFIX) :] + "=="))
    raw[position] ^= flip
    edited = PREFIX + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(PayloadError):
        verify_invitation_qr(edited, {7: KEY.public}, T)
