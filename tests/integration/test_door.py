# SPDX-License-Identifier: GPL-3.0-or-later
"""The event door through the real store, the real card signatures and the real ledger."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from app.cards.invitation_qr import InvitationPass, invitation_qr_text
from app.domain.errors import ClubError
from app.domain.event import Event, Invitation, Verdict
from app.domain.ledger import EntryDraft, EntryKind
from app.domain.staff import Role, Staff
from app.services import door
from app.services.cards import bind_card, prepare_card, revoke_card
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key, load_issuing_key
from app.services.photos import demo_photo
from app.services.terminal import Terminal
from app.store import cards, club, events, ledger, members
from app.store.club import Device
from tests.support.club import BRANCH_1, CASHIER, MANAGER, make_club

HOST = Staff("00000000-0000-7000-8000-0000000000b1", "Host Arash", Role.HOST, BRANCH_1)
HOUR = 3600 * 1_000_000
OTHER_DOOR = "00000000-0000-7000-8000-0000000000d2"


@pytest.fixture
def party(terminal: Terminal) -> Event:
    create_issuing_key(terminal, 1)
    now = terminal.clock.now_us()
    return door.save_event(
        terminal,
        MANAGER,
        Event(terminal.new_id(), "  Year-end   party ", now, now + 4 * HOUR, venue="Hall", plus_ones=1),
    )


def member_with_card(terminal: Terminal, name: str, phone: str, uid: bytes, **kwargs) -> tuple[str, bytes]:
    member = enroll_member(
        terminal, EnrollRequest(name=name, phone=phone, photo_jpeg=demo_photo(1, 300))
    ).member
    prepared = prepare_card(terminal, member.id, staff=MANAGER, uid=uid, **kwargs)
    bind_card(terminal, prepared.card.number, uid)
    return member.id, prepared.ndef


@pytest.fixture
def guest(terminal: Terminal, party: Event) -> tuple[str, bytes]:
    member_id, ndef = member_with_card(
        terminal, "Maryam Ahmadi", "09121234567", b"\x04\x01\x02\x03\x04\x05\x06"
    )
    door.invite(terminal, MANAGER, party.id, member_id)
    return member_id, ndef


UID = b"\x04\x01\x02\x03\x04\x05\x06"


def test_an_invited_guest_is_admitted_once_and_then_already_inside(terminal, party, guest):
    member_id, ndef = guest
    assert party.name == "Year-end party"
    first = door.admit_card(terminal, party.id, ndef, UID, HOST)
    assert first.verdict is Verdict.ADMIT and first.reason is None
    assert first.guest.name == "Maryam Ahmadi" and first.guest.photo and first.guest.tier.code == "bronze"
    assert first.check_in.member_id == member_id and first.at_this_door and first.door == "T1"
    assert (first.counts.admitted, first.counts.invited) == (1, 1)
    with terminal.db.read() as conn:
        entry = ledger.get(conn, first.check_in.entry_id)
    assert entry.kind is EntryKind.CHECK_IN and entry.invoice_ref == party.id and entry.staff_id == HOST.id
    assert (entry.points_delta, entry.cash_delta, entry.sale_amount) == (0, 0, 0)

    again = door.admit_card(terminal, party.id, ndef, UID, HOST)
    assert again.verdict is Verdict.ALREADY_INSIDE
    assert again.check_in == first.check_in and again.at_this_door
    assert again.counts.admitted == 1


def test_two_taps_at_once_admit_exactly_once(terminal, party, guest):
    _member_id, ndef = guest
    results: list[Verdict] = []
    barrier = threading.Barrier(4)

    def tap() -> None:
        barrier.wait()
        results.append(door.admit_card(terminal, party.id, ndef, UID, HOST).verdict)

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted([Verdict.ADMIT] + [Verdict.ALREADY_INSIDE] * 3)


def test_not_invited_and_invited_by_tier(terminal, party):
    member_id, ndef = member_with_card(terminal, "Reza", "09121111111", b"\x04\x09")
    refused = door.admit_card(terminal, party.id, ndef, b"\x04\x09", HOST)
    assert refused.verdict is Verdict.NOT_INVITED and refused.reason == "door_not_invited"
    assert refused.guest.name == "Reza" and refused.check_in is None
    with terminal.db.read() as conn:
        assert not [e for e in ledger.recent_for_member(conn, member_id) if e.kind is EntryKind.CHECK_IN]
    door.save_event(terminal, MANAGER, replace(party, invited_tiers=("bronze",)))
    assert door.admit_card(terminal, party.id, ndef, b"\x04\x09", HOST).verdict is Verdict.ADMIT
    # an invitation taken back beats the tier
    door.invite(terminal, MANAGER, party.id, member_id, cancel=True)
    assert door.door_counts(terminal, party.id).invited == 0


def test_bad_cards_are_refused_with_their_reason_and_write_nothing(terminal, party, guest):
    member_id, ndef = guest
    with terminal.db.read() as conn:
        before = ledger.entry_count(conn)
    garbled = door.admit_card(terminal, party.id, b"\xd2garbage" + ndef[9:20], UID, HOST)
    assert garbled.verdict is Verdict.CARD_REFUSED and garbled.reason == "card_malformed"
    copied = door.admit_card(terminal, party.id, ndef, b"\x04\x99\x99\x99", HOST)
    assert copied.verdict is Verdict.CARD_REFUSED and copied.reason == "card_uid_mismatch"
    with terminal.db.read() as conn:
        number = next(c.number for c in members.cards_of(conn, member_id) if c.uid == UID.hex())
    revoke_card(terminal, number, "stolen at the door", MANAGER)
    revoked = door.admit_card(terminal, party.id, ndef, UID, HOST)
    assert revoked.verdict is Verdict.CARD_REFUSED and revoked.reason == "card_revoked"
    assert revoked.guest.name == "Maryam Ahmadi" and number in str(revoked.refusal().params)
    with terminal.db.read() as conn:
        assert ledger.entry_count(conn) == before
    unreadable = door.admit_card(terminal, party.id, b"", None, HOST)
    assert unreadable.verdict is Verdict.CARD_REFUSED


def test_a_full_event_and_a_closed_door(terminal, party, guest):
    _member_id, ndef = guest
    other_id, other_ndef = member_with_card(terminal, "Sina", "09122222222", b"\x04\x0a")
    door.invite(terminal, MANAGER, party.id, other_id)
    door.save_event(terminal, MANAGER, replace(party, capacity=1))
    assert door.admit_card(terminal, party.id, ndef, UID, HOST).verdict is Verdict.ADMIT
    full = door.admit_card(terminal, party.id, other_ndef, b"\x04\x0a", HOST)
    assert full.verdict is Verdict.FULL and full.reason == "door_event_full"
    later = terminal.clock.now_us() + 10 * HOUR
    door.save_event(terminal, MANAGER, replace(party, starts_at_us=later, ends_at_us=later + HOUR))
    closed = door.admit_card(terminal, party.id, other_ndef, b"\x04\x0a", HOST)
    assert closed.verdict is Verdict.NOT_INVITED and closed.reason == "door_event_closed"
    door.save_event(terminal, MANAGER, replace(party, cancelled=True))
    cancelled = door.admit_card(terminal, party.id, other_ndef, b"\x04\x0a", HOST)
    assert cancelled.reason == "door_event_cancelled"
    assert door.open_events(terminal) == []


def test_plus_ones_within_the_allowance(terminal, party, guest):
    member_id, ndef = guest
    early = door.admit_plus_one(terminal, party.id, member_id, HOST)
    assert early.verdict is Verdict.NOT_INVITED and early.reason == "door_member_not_inside"
    door.admit_card(terminal, party.id, ndef, UID, HOST)
    plus = door.admit_plus_one(terminal, party.id, member_id, HOST)
    assert plus.verdict is Verdict.ADMIT and plus.check_in.guest
    assert (plus.plus_ones_allowed, plus.plus_ones_admitted, plus.counts.admitted) == (1, 1, 2)
    more = door.admit_plus_one(terminal, party.id, member_id, HOST)
    assert more.reason == "door_no_plus_ones_left" and more.counts.admitted == 2
    door.invite(terminal, MANAGER, party.id, member_id, plus_ones=3)
    assert door.admit_plus_one(terminal, party.id, member_id, HOST).verdict is Verdict.ADMIT


def test_a_manager_undoes_an_admission(terminal, party, guest):
    _member_id, ndef = guest
    admitted = door.admit_card(terminal, party.id, ndef, UID, HOST)
    with pytest.raises(ClubError) as refused:
        door.undo_admission(terminal, party.id, admitted.check_in.entry_id, HOST, "wrong face")
    assert refused.value.code == "not_permitted"
    with pytest.raises(ClubError) as no_reason:
        door.undo_admission(terminal, party.id, admitted.check_in.entry_id, MANAGER, "  ")
    assert no_reason.value.code == "reason_required"
    undo_id = door.undo_admission(terminal, party.id, admitted.check_in.entry_id, MANAGER, "wrong face")
    with terminal.db.read() as conn:
        undo = ledger.get(conn, undo_id)
    assert undo.kind is EntryKind.REVERSAL and undo.reverses == admitted.check_in.entry_id
    assert door.door_counts(terminal, party.id).admitted == 0
    with pytest.raises(ClubError) as twice:
        door.undo_admission(terminal, party.id, admitted.check_in.entry_id, MANAGER, "again")
    assert twice.value.code == "already_reversed"
    assert door.admit_card(terminal, party.id, ndef, UID, HOST).verdict is Verdict.ADMIT


def test_a_cashier_may_not_work_the_door(terminal, party, guest):
    with pytest.raises(ClubError) as refused:
        door.admit_card(terminal, party.id, guest[1], UID, CASHIER)
    assert refused.value.code == "not_permitted"


def test_an_admission_at_another_door_shows_where_and_when(terminal, party, guest):
    _member_id, ndef = guest
    with terminal.db.write() as conn:
        club.put_device(conn, Device(OTHER_DOOR, "DOOR-2", BRANCH_1, is_self=False))
    other = Terminal(terminal.db, OTHER_DOOR, "DOOR-2", BRANCH_1, terminal.clock, terminal.entropy)
    there = door.admit_card(other, party.id, ndef, UID, HOST)
    assert there.verdict is Verdict.ADMIT
    here = door.admit_card(terminal, party.id, ndef, UID, HOST)
    assert here.verdict is Verdict.ALREADY_INSIDE and here.door == "DOOR-2" and not here.at_this_door
    assert here.check_in.at_us == there.check_in.at_us


def test_two_doors_that_both_admitted_are_flagged_not_refused(terminal, party, guest):
    member_id, ndef = guest
    door.admit_card(terminal, party.id, ndef, UID, HOST)
    with terminal.db.write() as conn:  # what another door wrote offline, as a pull brings it
        club.put_device(conn, Device(OTHER_DOOR, "DOOR-2", BRANCH_1, is_self=False))
        ledger.append(
            conn,
            OTHER_DOOR,
            [
                EntryDraft(
                    terminal.new_id(),
                    terminal.clock.now_us(),
                    BRANCH_1,
                    member_id,
                    EntryKind.CHECK_IN,
                    HOST.id,
                    invoice_ref=party.id,
                )
            ],
        )
    rows = door.guest_list(terminal, party.id)
    assert [(r.member_id, r.admitted_twice) for r in rows] == [(member_id, True)]
    assert door.door_counts(terminal, party.id).admitted == 1  # one person, however many doors
    csv_text = door.attendance_csv(rows)
    assert csv_text.splitlines()[0].startswith("member_id,name") and csv_text.splitlines()[1].endswith(",yes")


def test_the_guest_list_searches_by_name_and_phone(terminal, party, guest):
    member_id, _ndef = guest
    other = enroll_member(terminal, EnrollRequest(name="=HYPERLINK(1)", phone="09123334444")).member
    door.invite(terminal, MANAGER, party.id, other.id)
    assert [r.member_id for r in door.guest_list(terminal, party.id, search="maryam")] == [member_id]
    assert [r.member_id for r in door.guest_list(terminal, party.id, search="3334444")] == [other.id]
    admitted = door.admit_member(terminal, party.id, other.id, HOST)
    assert admitted.verdict is Verdict.ADMIT
    assert door.guest_list(terminal, party.id)[0].member_id == other.id  # the latest admission first
    assert "'=HYPERLINK(1)" in door.attendance_csv(door.guest_list(terminal, party.id))


def test_an_invitation_qr_admits_even_before_the_guest_list_synced(terminal, party):
    member = enroll_member(terminal, EnrollRequest(name="Guest", phone="09125556666")).member
    key = load_issuing_key(terminal)
    pass_ = InvitationPass(terminal.new_id(), party.id, member.id, key.key_id, party.ends_at_us)
    text = invitation_qr_text(key, pass_)
    result = door.admit_qr(terminal, party.id, text, HOST)
    assert result.verdict is Verdict.ADMIT and result.guest.member_id == member.id
    assert door.admit_qr(terminal, party.id, text, HOST).verdict is Verdict.ALREADY_INSIDE
    forged = text[:-6] + ("A" if text[-6] != "A" else "B") + text[-5:]
    assert door.admit_qr(terminal, party.id, forged, HOST).reason == "card_bad_signature"
    elsewhere = invitation_qr_text(key, replace(pass_, event_id=terminal.new_id()))
    assert door.admit_qr(terminal, party.id, elsewhere, HOST).reason == "door_other_event"
    stale = invitation_qr_text(key, replace(pass_, valid_until_us=terminal.clock.now_us() - HOUR))
    assert door.admit_qr(terminal, party.id, stale, HOST).reason == "card_expired"
    # a cancelled invitation stops the pass too
    door.invite(terminal, MANAGER, party.id, member.id, cancel=True)
    door.undo_admission(terminal, party.id, result.check_in.entry_id, MANAGER, "test")
    assert door.admit_qr(terminal, party.id, text, HOST).verdict is Verdict.NOT_INVITED


def test_a_member_qr_card_works_at_the_door(terminal, party, guest):
    member_id, _ndef = guest
    qr = prepare_card(terminal, member_id, staff=MANAGER, as_qr=True).qr_text
    assert door.admit_qr(terminal, party.id, qr, HOST).verdict is Verdict.ADMIT


def test_a_guest_never_synced_here_is_admitted_from_the_profile_on_the_card(tmp_path, terminal, party):
    member_id, ndef = member_with_card(terminal, "Profile Person", "09127778888", UID, with_profile=True)
    door_terminal = make_club(tmp_path / "door")  # the same club, but this member never synced to it
    key = load_issuing_key(terminal)
    with door_terminal.db.write() as conn:
        cards.put_key(conn, key.key_id, key.public, 0)
    now = door_terminal.clock.now_us()
    event = door.save_event(door_terminal, MANAGER, Event(party.id, "Party", now, now + HOUR))
    with door_terminal.db.write() as conn:
        events.put_invitation(conn, Invitation(door_terminal.new_id(), event.id, member_id))
    result = door.admit_card(door_terminal, event.id, ndef, UID, HOST)
    assert result.verdict is Verdict.ADMIT
    assert result.guest.from_card and result.guest.name == "Profile Person" and result.guest.photo
    assert door.admit_card(door_terminal, event.id, ndef, UID, HOST).verdict is Verdict.ALREADY_INSIDE


def test_events_made_here_wait_in_the_outbox(terminal, party, guest):
    from app.store import outbox

    with terminal.db.read() as conn:
        kinds = [i.kind for i in outbox.pending(conn)]
    assert kinds.count("event") == 1 and kinds.count("invitation") == 1
    with pytest.raises(ClubError) as refused:
        door.save_event(terminal, HOST, replace(party, name="mine"))
    assert refused.value.code == "not_permitted"
    with pytest.raises(ClubError) as bad:
        door.save_event(terminal, MANAGER, replace(party, ends_at_us=party.starts_at_us))
    assert bad.value.code == "event_ends_before_start"
    with pytest.raises(ClubError) as tier:
        door.save_event(terminal, MANAGER, replace(party, invited_tiers=("platinum",)))
    assert tier.value.code == "unknown_tier"
