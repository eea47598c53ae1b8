# SPDX-License-Identifier: GPL-3.0-or-later
"""The verdict on chip-keyed cards (NTAG 424 DNA, issue 19): what the chip proved, and the club's policy
for cards no chip check vouches for."""

from __future__ import annotations

from dataclasses import dataclass

import ndef
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cards.ntag424.keys import KeyRef, chip_ndef_message
from app.cards.payload import card_record, issuing_key_from_private, payload_from_ndef, sign_card
from app.cards.verify import CardPolicy, CardReason, verify_card

S = 1_000_000
DAY = 86_400 * S
ISSUED = 1_735_689_600 * S
NOW = ISSUED + 30 * DAY
UID = bytes.fromhex("04a1b2c3d4e5f6")
MEMBER = "0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b"
NUMBER = "6219000000000426"
KEY = issuing_key_from_private(7, bytes(range(32)))
BRANCH = "0190a5b2-0000-7000-8000-000000000001"


@dataclass(frozen=True)
class Proof:
    """What the PC/SC reader's chip check reports (app.cards.ntag424.check.ChipProof's fields)."""

    originality: str = "valid"
    challenge: str = "passed"
    card_uid: bytes | None = UID


def chip_card(*, chip_keyed: bool = True, with_ref: bool = True) -> bytes:
    message = sign_card(KEY, member_id=MEMBER, card_number=NUMBER, uid=UID, issued_at_us=ISSUED,
                        expires_at_us=None, chip_keyed=chip_keyed)  # fmt: skip
    if not with_ref:
        return message
    return chip_ndef_message(card_record(payload_from_ndef(message)), KeyRef(BRANCH, 1))


DEFAULT_POLICY = CardPolicy()


def check(data: bytes, chip=None, policy: CardPolicy = DEFAULT_POLICY, stale: bool = False):
    return verify_card(
        data, uid=UID, keys={7: KEY.public}, now_us=NOW, is_revoked=lambda n: False,
        revocations_as_of_us=None if stale else NOW, max_revocation_age_us=DAY,
        member_exists=lambda m: m == MEMBER, chip=chip, policy=policy,
    )  # fmt: skip


def test_a_chip_that_answers_the_challenge_is_fully_valid_and_named_so():
    verdict = check(chip_card(), Proof())
    assert verdict.valid and verdict.reason is None and not verdict.earn_only
    assert verdict.checks == {"signature", "uid", "originality", "challenge"}


@pytest.mark.parametrize(
    ("proof", "reason"),
    [
        # a magic card: the UID and the payload, not the key
        (Proof(challenge="failed", card_uid=None), CardReason.CHIP_COPY),
        (Proof(card_uid=bytes.fromhex("04000000000001")), CardReason.CHIP_COPY),  # the real UID is another
        (Proof(card_uid=None), CardReason.CHIP_COPY),
        (Proof(originality="invalid"), CardReason.CHIP_NOT_GENUINE),
        (Proof(originality="invalid", challenge="failed"), CardReason.CHIP_NOT_GENUINE),
    ],
)
def test_a_copy_or_a_chip_not_made_by_nxp_is_refused(proof, reason):
    verdict = check(chip_card(), proof)
    assert not verdict.valid and verdict.reason is reason
    assert verdict.payload is not None and verdict.payload.card_number == NUMBER  # named for the log
    assert "challenge" not in verdict.checks


def test_a_chip_keyed_card_that_lost_its_key_reference_is_a_copy():
    """A genuine card's NDEF file is locked by its own key: only a copy can lack the record."""
    for proof in (None, Proof(challenge="not_run", card_uid=None)):
        verdict = check(chip_card(with_ref=False), proof)
        assert verdict.reason is CardReason.CHIP_COPY and not verdict.valid


@pytest.mark.parametrize(
    ("choice", "valid", "earn_only", "reason"),
    [("earn_only", True, True, CardReason.CHIP_UNCHECKED), ("accept", True, False, None),
     ("refuse", False, False, CardReason.CHIP_UNCHECKED), ("garbled", True, True, CardReason.CHIP_UNCHECKED)],
)  # fmt: skip
def test_a_chip_not_challenged_here_follows_the_clubs_policy(choice, valid, earn_only, reason):
    for proof in (None, Proof(challenge="not_run", card_uid=None)):  # another branch's card; an NFC reader
        verdict = check(chip_card(), proof, CardPolicy(unchecked_chips=choice))
        assert (verdict.valid, verdict.earn_only, verdict.reason) == (valid, earn_only, reason)
        assert "challenge" not in verdict.checks


@pytest.mark.parametrize(
    ("choice", "valid", "earn_only", "reason"),
    [("accept", True, False, None), ("earn_only", True, True, CardReason.OLD_CARD),
     ("refuse", False, False, CardReason.OLD_CARD)],
)  # fmt: skip
def test_old_cards_keep_working_labelled_until_the_club_retires_them(choice, valid, earn_only, reason):
    verdict = check(chip_card(chip_keyed=False, with_ref=False), None, CardPolicy(old_cards=choice))
    assert (verdict.valid, verdict.earn_only, verdict.reason) == (valid, earn_only, reason)
    assert verdict.checks == {"signature", "uid"}


def test_an_unchecked_chip_with_a_stale_revocation_list_is_still_earn_only():
    verdict = check(chip_card(), None, CardPolicy(unchecked_chips="accept"), stale=True)
    assert verdict.valid and verdict.earn_only and verdict.reason is CardReason.REVOCATION_LIST_STALE


def test_another_record_beside_ours_does_not_stand_in_for_the_key_reference():
    other = ndef.Record("text/plain", "", b"x")
    message = chip_card(with_ref=False) + b"".join(ndef.message_encoder([other]))
    assert check(message, None).reason in {CardReason.CHIP_COPY, CardReason.MALFORMED}


@settings(max_examples=80, deadline=None)
@given(
    originality=st.sampled_from(["valid", "invalid", "not_run"]),
    challenge=st.sampled_from(["passed", "failed", "not_run"]),
    card_uid=st.sampled_from([UID, None, b"\x04" * 7]),
    with_ref=st.booleans(),
    policy=st.builds(CardPolicy, st.sampled_from(["accept", "earn_only", "refuse"]),
                     st.sampled_from(["accept", "earn_only", "refuse"])),
)  # fmt: skip
def test_a_chip_keyed_card_is_spendable_only_when_its_chip_proved_itself(
    originality, challenge, card_uid, with_ref, policy
):
    verdict = check(chip_card(with_ref=with_ref), Proof(originality, challenge, card_uid), policy)
    proved = challenge == "passed" and card_uid == UID and originality != "invalid"
    if verdict.valid and not verdict.earn_only and policy.unchecked_chips != "accept":
        assert proved
    if originality == "invalid" or challenge == "failed" or (challenge == "passed" and card_uid != UID):
        assert not verdict.valid
    assert ("challenge" in verdict.checks) == proved


def test_the_policy_values_are_the_published_settings_values():
    from app.cards.verify import OLD_CARD_POLICIES, UNCHECKED_CHIP_POLICIES
    from sync import protocol

    assert set(OLD_CARD_POLICIES) == set(protocol.OLD_CARD_POLICIES)
    assert set(UNCHECKED_CHIP_POLICIES) == set(protocol.UNCHECKED_CHIP_POLICIES)
    assert CardPolicy().old_cards == "accept" and CardPolicy().unchecked_chips == "earn_only"
