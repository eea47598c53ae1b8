# SPDX-License-Identifier: GPL-3.0-or-later
"""Issuing, identifying and revoking cards through the real store and the real signature code."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import text

from app.cards.base import CardEvent, CardEventKind
from app.domain.errors import ClubError
from app.services.cards import (
    REVOCATIONS_AS_OF_SETTING,
    bind_card,
    identify_card,
    identify_event,
    prepare_card,
    revoke_card,
)
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key, key_path
from app.services.photos import demo_photo
from app.store import club
from tests.support.club import CASHIER, MANAGER

UID = bytes.fromhex("04A1B2C3D4E5F6")


@pytest.fixture
def member(terminal):
    create_issuing_key(terminal, 1)
    return enroll_member(terminal, EnrollRequest(
        name="مریم احمدی", phone="09121234567", photo_jpeg=demo_photo(3, 400),
    )).member


def issue(terminal, member, uid=UID, **kwargs):
    prepared = prepare_card(terminal, member.id, staff=MANAGER, uid=uid, **kwargs)
    if uid is not None and not kwargs.get("as_qr"):
        bind_card(terminal, prepared.card.number, uid)
    return prepared


def test_the_key_file_is_private(terminal, member):
    path = key_path(terminal.data_dir, 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        create_issuing_key(terminal, 1)  # never overwrite a key that signed cards


def test_an_issued_card_identifies_its_member(terminal, member):
    enrolled_card = enroll_member(terminal, EnrollRequest(name="x", phone="09120000000")).card
    prepared = issue(terminal, member)
    assert prepared.card.number != enrolled_card.number
    assert len(prepared.ndef) < 200  # no profile: a small record
    result = identify_card(terminal, prepared.ndef, UID)
    assert result.verdict.valid and not result.verdict.earn_only
    assert result.member == member and result.card_number == prepared.card.number
    with terminal.db.read() as conn:
        uid = conn.execute(text("SELECT uid FROM card WHERE number = :n"), {"n": prepared.card.number})
        assert uid.scalar_one() == UID.hex()


def test_the_printed_card_from_enrolment_is_the_one_written_to_the_chip(terminal, member):
    with terminal.db.read() as conn:
        printed = conn.execute(text("SELECT number FROM card WHERE member_id = :m"), {"m": member.id})
        printed_number = printed.scalar_one()
    assert issue(terminal, member).card.number == printed_number


def test_a_copied_payload_on_another_chip_is_refused(terminal, member):
    prepared = issue(terminal, member)
    result = identify_card(terminal, prepared.ndef, bytes.fromhex("04FFFFFFFFFFFF"))
    assert not result.verdict.valid and result.verdict.reason == "uid_mismatch"


def test_a_revoked_card_is_refused(terminal, member):
    prepared = issue(terminal, member)
    revoked = revoke_card(terminal, prepared.card.number, "reported lost by phone", MANAGER, lost=True)
    assert revoked.status.value == "lost"
    result = identify_card(terminal, prepared.ndef, UID)
    assert not result.verdict.valid and result.verdict.reason == "revoked"
    with pytest.raises(ClubError, match="card_not_active"):
        revoke_card(terminal, prepared.card.number, "again", MANAGER)
    with terminal.db.read() as conn:
        row = conn.execute(text("SELECT status, reason, staff_id FROM card_revocation")).one()
    assert tuple(row) == ("lost", "reported lost by phone", MANAGER.id)


def test_an_old_revocation_list_allows_earning_only(terminal, member):
    prepared = issue(terminal, member)
    with terminal.db.write() as conn:
        club.put_setting(conn, REVOCATIONS_AS_OF_SETTING, "0")  # synced in 1970
    verdict = identify_card(terminal, prepared.ndef, UID).verdict
    assert verdict.valid and verdict.earn_only


def test_a_member_qr(terminal, member):
    prepared = issue(terminal, member, uid=None, as_qr=True)
    assert prepared.qr_text.startswith("BG1:") and prepared.card.kind.value == "qr"
    result = identify_card(terminal, prepared.qr_text, None)
    assert result.verdict.valid and result.member == member
    revoke_card(terminal, prepared.card.number, "screenshot shared", MANAGER)
    assert identify_card(terminal, prepared.qr_text, None).verdict.reason == "revoked"


def test_profile_on_card_carries_a_photo_that_fits(terminal, member):
    prepared = issue(terminal, member, with_profile=True)
    verdict = identify_card(terminal, prepared.ndef, UID).verdict
    assert verdict.profile.name == "مریم احمدی"
    assert 0 < len(verdict.profile.photo_jpeg) <= 4096


def test_a_chip_holds_one_card(terminal, member):
    issue(terminal, member)
    other = enroll_member(terminal, EnrollRequest(name="Ali", phone="09350000001")).member
    with pytest.raises(ClubError, match="uid_in_use"):
        prepare_card(terminal, other.id, staff=MANAGER, uid=UID)


def test_only_managers_issue_and_revoke(terminal, member):
    with pytest.raises(ClubError, match="not_permitted"):
        prepare_card(terminal, member.id, staff=CASHIER, uid=UID)
    prepared = issue(terminal, member)
    with pytest.raises(ClubError, match="not_permitted"):
        revoke_card(terminal, prepared.card.number, "x", CASHIER)


def test_a_chip_card_needs_a_uid(terminal, member):
    with pytest.raises(ClubError, match="uid_required"):
        prepare_card(terminal, member.id, staff=MANAGER)


def test_without_a_key_the_terminal_cannot_issue(tmp_path):
    from tests.support.club import make_club

    bare = make_club(tmp_path / "bare")
    someone = enroll_member(bare, EnrollRequest(name="A", phone="09121111111")).member
    with pytest.raises(ClubError, match="no_issuing_key"):
        prepare_card(bare, someone.id, staff=MANAGER, uid=UID)


def test_garbage_gets_a_verdict(terminal, member):
    assert identify_card(terminal, b"\x00garbage", UID).verdict.reason == "malformed"
    assert identify_card(terminal, "not a QR of ours", None).verdict.reason == "malformed"


def test_events_are_identified(terminal, member):
    prepared = issue(terminal, member)
    tap = CardEvent(CardEventKind.TAPPED, "simulated", "Demo", 1, uid=UID, ndef=prepared.ndef)
    assert identify_event(terminal, tap).member == member
    removed = CardEvent(CardEventKind.REMOVED, "simulated", "Demo", 2)
    assert identify_event(terminal, removed) is None


# ---- the club's policy for cards no chip check vouches for (issue 19) ----------------------------------


def test_the_clubs_published_policy_decides_old_cards_and_unchecked_chips(terminal, member):
    from app.cards.ntag424.keys import KeyRef
    from app.cards.verify import CardReason
    from app.services.chip_keys import IssuingChipKeys

    old = issue(terminal, member)
    chip_uid = bytes.fromhex("04A1B2C3D4E5F7")
    keys = IssuingChipKeys(KeyRef("0190a5b2-0000-7000-8000-0000000000aa", 1), bytes(16), bytes(16), ())
    chip_keyed = issue(terminal, member, uid=chip_uid, chip=keys)
    assert identify_card(terminal, old.ndef, UID).verdict.reason is None  # until the first sync says else
    unchecked = identify_card(terminal, chip_keyed.ndef, chip_uid).verdict  # no proof: an NFC reader, say
    assert unchecked.valid and unchecked.earn_only and unchecked.reason is CardReason.CHIP_UNCHECKED
    with terminal.db.write() as conn:  # what a pull of the club's settings writes
        club.put_setting(conn, "card_old_cards", "refuse")
        club.put_setting(conn, "card_unchecked_chips", "accept")
    retired = identify_card(terminal, old.ndef, UID).verdict
    assert not retired.valid and retired.reason is CardReason.OLD_CARD
    accepted = identify_card(terminal, chip_keyed.ndef, chip_uid).verdict
    assert accepted.valid and not accepted.earn_only and "challenge" not in accepted.checks


def test_a_chip_keyed_card_holds_no_profile(terminal, member):
    from app.cards.ntag424.keys import KeyRef
    from app.services.chip_keys import IssuingChipKeys

    keys = IssuingChipKeys(KeyRef("0190a5b2-0000-7000-8000-0000000000aa", 1), bytes(16), bytes(16), ())
    with pytest.raises(ClubError, match="card_chip_no_profile"):
        prepare_card(terminal, member.id, staff=MANAGER, uid=UID, with_profile=True, chip=keys)
