# SPDX-License-Identifier: GPL-3.0-or-later
"""The event door, in both languages: every verdict on screen (colour, words, photo, counter) and its
tone, from cards tapped through the real PC/SC stack (pcscd + vpcd + our Type 4 emulator) into the
window's card bridge, and from QRs typed by a scanner through the window's scanner filter; then the host
tools: find a guest and admit them, a plus-one, a manager's undo, the attendance export.

pcscd is started once for the session (`pcscd` fixture); CI=true turns a missing pcscd into a failure.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog

from app.cards.base import ReaderState
from app.cards.invitation_qr import InvitationPass, invitation_qr_text
from app.cards.payload import CardProfile, sign_card
from app.cards.simulated import SimulatedReader
from app.domain.card import card_number
from app.domain.event import Event, Verdict
from app.domain.staff import Role, Staff
from app.format import card_number_text
from app.messages import message
from app.services import door
from app.services.cards import bind_card, prepare_card, revoke_card
from app.services.issuing_key import load_issuing_key
from app.services.photos import demo_photo
from app.services.staff_auth import hash_pin
from app.services.terminal import Terminal
from app.store import club as club_store
from app.store.club import Device
from app.ui.sound import SilentPlayer, Tone, make_player, tone_wav, write_tones
from app.ui.views.door import AMBER, GREEN, RED, Page
from tests.support.club import BRANCH_1, MANAGER, MANAGER_PIN
from tests.support.pcscd import Pcscd, pcscd_fixture, wait_until_readers_empty  # noqa: F401  (the fixture)
from tests.support.type4_emulator import VPCD_PORT, CardEmulator, Faults, Type4Card, kill_stale_emulators
from tests.ui.keys import scan as scanner_types

HOST = Staff("00000000-0000-7000-8000-0000000000b1", "Host Arash", Role.HOST, BRANCH_1)
HOST_PIN = "4321"
OTHER_DOOR = Device("00000000-0000-7000-8000-0000000000d2", "DOOR-2", BRANCH_1, is_self=False)
READER = "Virtual PCD 00 00"
MARYAM_UID = bytes.fromhex("04A1B2C3D4E5F6")
JOHN_UID = bytes.fromhex("04B1B2C3D4E5F7")
HOUR_US = 3600 * 1_000_000
WAIT_MS = 8_000
BIDI = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))

# what the banner says, as a guest and host read it (the Persian from i18n/bashgah_fa.ts)
TITLES = {
    "fa": {
        Verdict.ADMIT: "ورود مجاز",
        Verdict.ALREADY_INSIDE: "قبلاً وارد شده",
        Verdict.NOT_INVITED: "دعوت نشده",
        Verdict.CARD_REFUSED: "کارت پذیرفته نشد",
        Verdict.FULL: "ظرفیت تکمیل",
    },
    "en": {
        Verdict.ADMIT: "ADMIT",
        Verdict.ALREADY_INSIDE: "ALREADY INSIDE",
        Verdict.NOT_INVITED: "NOT INVITED",
        Verdict.CARD_REFUSED: "CARD REFUSED",
        Verdict.FULL: "FULL",
    },
}
THIS_DOOR = {"fa": "همین در", "en": "at this door"}
ON_THE_LIST = {"fa": "در فهرست مهمانان", "en": "On the guest list"}
NOT_ON_THE_LIST = {"fa": "در فهرست مهمانان نیست", "en": "Not on the guest list"}


def plain(text: str) -> str:
    return text.translate(BIDI)


class Recorder:
    """The door's sound player in tests: which tone each verdict asked for."""

    def __init__(self) -> None:
        self.played: list[Tone] = []

    def play(self, tone: Tone) -> None:
        self.played.append(tone)


@dataclass
class Party:
    event: Event
    maryam_card: bytes  # NDEF of Maryam's chip card (invited by name)
    maryam_number: str
    john_card: bytes  # NDEF of John's chip card (not invited)
    other_door: Terminal  # a second door on the same database: its admissions are another device's


@pytest.fixture
def party(club) -> Party:
    terminal = club.terminal
    with terminal.db.write() as conn:
        club_store.put_staff(conn, HOST, hash_pin(HOST_PIN))
        club_store.put_device(conn, OTHER_DOOR)
    now = terminal.clock.now_us()
    event = door.save_event(
        terminal,
        MANAGER,
        Event(
            id=terminal.new_id(),
            name="Year-end party",
            venue="Milad Tower",
            starts_at_us=now - HOUR_US,
            ends_at_us=now + 6 * HOUR_US,
            capacity=40,
            plus_ones=1,
        ),
    )
    door.invite(terminal, MANAGER, event.id, club.maryam.id)
    maryam = prepare_card(terminal, club.maryam.id, staff=MANAGER, uid=MARYAM_UID)
    bind_card(terminal, maryam.card.number, MARYAM_UID)
    john = prepare_card(terminal, club.john.id, staff=MANAGER, uid=JOHN_UID)
    bind_card(terminal, john.card.number, JOHN_UID)
    other = Terminal(terminal.db, OTHER_DOOR.id, OTHER_DOOR.code, BRANCH_1, terminal.clock, terminal.entropy)
    return Party(event, maryam.ndef, maryam.card.number, john.ndef, other)


@contextlib.contextmanager
def host_window(qtbot, club, lang: str, backends, page: Page = Page.IDLE) -> Iterator:
    """The real window with `backends`, a host logged in: the door opens by itself (on `page`)."""
    from app.ui.app import start_window

    running = start_window(club.terminal, backends, lang=lang)
    try:
        window = running.window
        running.ctx.session.log_in(HOST)
        window.login.logged_in.emit(HOST)  # what the login view does after the PIN
        qtbot.waitUntil(lambda: window._door is not None, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window.door.page() is page, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not running.ctx.tasks.busy(), timeout=WAIT_MS)
        window.door.sounds = Recorder()
        window.activateWindow()
        qtbot.waitExposed(window)
        yield running
    finally:
        QTest.qWait(50)
        running.close()


@pytest.fixture
def at_door(qtbot, club, party, lang) -> Iterator:
    """The door with the simulated reader (for the QR scans and host tools)."""
    with host_window(qtbot, club, lang, [SimulatedReader("Test reader")]) as running:
        yield running


@pytest.fixture
def pcsc_door(qtbot, club, party, lang, pcscd: Pcscd) -> Iterator:
    """The door reading the first vpcd reader through pcscd, as a shop's PC/SC reader."""
    from app.cards.pcsc import PcscBackend

    kill_stale_emulators(VPCD_PORT)  # a second card on a busy vpcd port would hang
    wait_until_readers_empty((READER,))
    backend = PcscBackend(retry_s=0.2, reader_filter=lambda name: name == READER)
    with host_window(qtbot, club, lang, [backend]) as running:
        qtbot.waitUntil(lambda: reader_state(running) is ReaderState.READY, timeout=WAIT_MS)
        yield running


def reader_state(running) -> ReaderState | None:
    return next((r.state for r in running.cards.readers() if r.name == READER), None)


def tap(qtbot, running, uid: bytes, ndef: bytes, **card: object) -> str:
    """A card held on the virtual reader until its verdict shows, then taken away."""
    emulator = CardEmulator(Type4Card(uid, ndef, **card), port=VPCD_PORT)  # type: ignore[arg-type]
    with qtbot.waitSignal(running.window.door.verdict_shown, timeout=WAIT_MS) as shown:
        emulator.insert()
    emulator.remove()
    wait_until_readers_empty((READER,))  # as pcscd sees it: the next card must not come before
    return shown.args[0]


def scan(qtbot, running, text: str) -> str:
    """What a keyboard-wedge scanner does: the QR's text in a burst, then Enter, into the window. The keys
    carry their typing time, 4 ms apart: sent with QTest.keyClick, they were as slow as this process on a
    busy machine, a pause of 50 ms split the scan and the door never saw it."""
    with qtbot.waitSignal(running.window.door.verdict_shown, timeout=WAIT_MS) as shown:
        scanner_types(running.window.windowHandle(), text)
    return shown.args[0]


def screen(running) -> dict[str, object]:
    """What the door shows, as the host reads it."""
    view = running.window.door
    return {
        "verdict": view.banner.verdict(),
        "colour": view.banner.colour(),
        "title": view.banner.title_label.text(),
        "detail": plain(view.banner.detail_label.text()),
        "name": view.name_label.text(),
        "invitation": view.invitation_label.text() if view.invitation_label.isVisibleTo(view) else "",
        "plus_ones": plain(view.plus_ones_label.text()) if view.plus_ones_label.isVisibleTo(view) else "",
        "from_card": view.from_card_label.isVisibleTo(view),
        "counter": plain(view.counter_label.text()),
        "photo": view.photo.has_photo(),
    }


def digits(value: int, lang: str) -> str:
    from app.format import number

    return number(value, lang)


def played(running) -> list[Tone]:
    return running.window.door.sounds.played


def wait_idle(qtbot, running) -> None:
    qtbot.waitUntil(lambda: not running.ctx.tasks.busy(), timeout=WAIT_MS)


# ---------------------------------------------------------------------------- through pcscd


def test_a_tapped_card_admits_then_says_already_inside_at_this_door(qtbot, pcsc_door, party, club, lang):
    assert tap(qtbot, pcsc_door, MARYAM_UID, party.maryam_card) == Verdict.ADMIT
    shown = screen(pcsc_door)
    assert shown["colour"] == GREEN[0]
    assert shown["title"] == TITLES[lang][Verdict.ADMIT]
    assert shown["name"] == club.maryam.name and shown["photo"]
    assert shown["invitation"] == ON_THE_LIST[lang]
    assert digits(0, lang) in shown["plus_ones"] and digits(1, lang) in shown["plus_ones"]
    assert digits(1, lang) in shown["counter"] and digits(40, lang) in shown["counter"]
    assert not shown["from_card"]
    view = pcsc_door.window.door
    assert view.tier_badge.isVisibleTo(view) and view.tier_badge.tier_code() == club.maryam.tier_code

    assert tap(qtbot, pcsc_door, MARYAM_UID, party.maryam_card) == Verdict.ALREADY_INSIDE
    shown = screen(pcsc_door)
    assert shown["colour"] == AMBER[0]
    assert shown["title"] == TITLES[lang][Verdict.ALREADY_INSIDE]
    assert THIS_DOOR[lang] in shown["detail"]
    admitted = door.guest_list(club.terminal, party.event.id)[0]
    from app.format import datetime_text

    assert plain(datetime_text(admitted.admitted_at_us, lang)) in shown["detail"]  # Jalali in Persian
    assert digits(1, lang) in shown["counter"]  # still one person inside
    assert played(pcsc_door) == [Tone.ADMIT, Tone.ATTENTION]


def test_tapped_cards_refused_in_red(qtbot, pcsc_door, party, club, lang):
    assert tap(qtbot, pcsc_door, JOHN_UID, party.john_card) == Verdict.NOT_INVITED
    shown = screen(pcsc_door)
    assert (shown["colour"], shown["title"]) == (RED[0], TITLES[lang][Verdict.NOT_INVITED])
    assert shown["name"] == club.john.name and shown["invitation"] == NOT_ON_THE_LIST[lang]
    assert shown["detail"] == message(club_error("door_not_invited", ""), lang)

    garbled = party.maryam_card[:-8] + bytes(b ^ 0x5A for b in party.maryam_card[-8:])
    assert tap(qtbot, pcsc_door, MARYAM_UID, garbled) == Verdict.CARD_REFUSED
    shown = screen(pcsc_door)
    assert (shown["colour"], shown["title"]) == (RED[0], TITLES[lang][Verdict.CARD_REFUSED])
    assert shown["detail"]  # what to do, from the card's reason

    assert tap(qtbot, pcsc_door, MARYAM_UID, party.maryam_card, faults=Faults(truncate_at=4)) == (
        Verdict.CARD_REFUSED
    )
    assert screen(pcsc_door)["title"] == TITLES[lang][Verdict.CARD_REFUSED]
    assert "?" not in screen(pcsc_door)["detail"]  # the reader's own reason, not a placeholder

    revoke_card(club.terminal, party.maryam_number, "reported lost", MANAGER, lost=True)
    assert tap(qtbot, pcsc_door, MARYAM_UID, party.maryam_card) == Verdict.CARD_REFUSED
    shown = screen(pcsc_door)
    assert shown["colour"] == RED[0] and shown["name"] == club.maryam.name  # the club's own card: who
    grouped = card_number_text(party.maryam_number)
    assert shown["detail"] == plain(message(club_error("card_revoked", grouped), lang))
    assert not shown["plus_ones"] and not shown["invitation"]  # a refused card says nothing of the list
    assert played(pcsc_door) == [Tone.REFUSED] * 4
    assert door.door_counts(club.terminal, party.event.id).admitted == 0  # nobody was let in


def club_error(code: str, card: str):
    from app.domain.errors import ClubError

    return ClubError(code, card=card)


# ---------------------------------------------------------------------------- through the scanner


def invitation(club, party: Party, member_id: str, event_id: str | None = None) -> str:
    key = load_issuing_key(club.terminal)
    return invitation_qr_text(
        key,
        InvitationPass(
            club.terminal.new_id(), event_id or party.event.id, member_id, key.key_id, party.event.ends_at_us
        ),
    )


def test_a_scanned_invitation_admits_its_guest_once(qtbot, at_door, party, club, lang):
    text = invitation(club, party, club.john.id)  # John is not on the list: the signed pass says he is
    assert scan(qtbot, at_door, text) == Verdict.ADMIT
    shown = screen(at_door)
    assert shown["colour"] == GREEN[0] and shown["name"] == club.john.name
    assert not shown["photo"]  # John has no photo: the silhouette, never a broken image
    assert scan(qtbot, at_door, text) == Verdict.ALREADY_INSIDE
    assert screen(at_door)["colour"] == AMBER[0]
    assert played(at_door) == [Tone.ADMIT, Tone.ATTENTION]
    assert at_door.window.stack.currentWidget() is at_door.window.door


def test_an_invitation_for_another_event_is_not_invited(qtbot, at_door, party, club, lang):
    other = door.save_event(
        club.terminal, MANAGER, replace(party.event, id=club.terminal.new_id(), name="Other")
    )
    assert scan(qtbot, at_door, invitation(club, party, club.maryam.id, other.id)) == Verdict.NOT_INVITED
    shown = screen(at_door)
    assert shown["colour"] == RED[0]
    assert shown["detail"] == message(club_error("door_other_event", ""), lang)


def test_a_member_qr_already_admitted_at_another_door(qtbot, at_door, party, club, lang):
    door.admit_member(party.other_door, party.event.id, club.maryam.id, MANAGER)
    qr = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, as_qr=True).qr_text
    assert scan(qtbot, at_door, qr) == Verdict.ALREADY_INSIDE
    shown = screen(at_door)
    assert shown["colour"] == AMBER[0]
    assert OTHER_DOOR.code in shown["detail"] and THIS_DOOR[lang] not in shown["detail"]
    assert played(at_door) == [Tone.ATTENTION]


def test_a_full_event_refuses_in_red(qtbot, at_door, party, club, lang):
    door.save_event(club.terminal, MANAGER, replace(party.event, capacity=1))
    door.invite(club.terminal, MANAGER, party.event.id, club.john.id)
    door.admit_member(party.other_door, party.event.id, club.john.id, MANAGER)  # John fills it
    at_door.window.door.refresh_counts()
    wait_idle(qtbot, at_door)
    qr = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, as_qr=True).qr_text
    assert scan(qtbot, at_door, qr) == Verdict.FULL
    shown = screen(at_door)
    assert (shown["colour"], shown["title"]) == (RED[0], TITLES[lang][Verdict.FULL])
    assert shown["detail"] == message(club_error("door_event_full", ""), lang)
    assert shown["invitation"] == ON_THE_LIST[lang]
    assert played(at_door) == [Tone.REFUSED]


def test_a_guest_never_synced_here_is_shown_from_the_card(qtbot, at_door, party, club, lang):
    """A genuine card whose member this terminal never received: the name and photo on the card."""
    uid = bytes.fromhex("04C1C2C3C4C5C6")
    ndef = sign_card(
        load_issuing_key(club.terminal),
        member_id="00000000-0000-7000-8000-00000000e001",
        card_number=card_number("9826", 987_654),
        uid=uid,
        issued_at_us=club.terminal.clock.now_us(),
        expires_at_us=None,
        profile=CardProfile("Reza Karimi", photo_jpeg=demo_photo(3, 96)),
    )
    with qtbot.waitSignal(at_door.window.door.verdict_shown, timeout=WAIT_MS) as shown:
        at_door.ctx.simulated.tap(uid, ndef)
    assert shown.args == [Verdict.NOT_INVITED]
    seen = screen(at_door)
    assert seen["name"] == "Reza Karimi" and seen["photo"] and seen["from_card"]


# ---------------------------------------------------------------------------- host tools


def test_a_guest_without_a_card_is_found_compared_and_admitted(qtbot, at_door, party, club, lang):
    view = at_door.window.door
    with qtbot.waitSignal(view.guests_found, timeout=WAIT_MS):
        QTest.keyClick(view, Qt.Key.Key_F3)
    assert view.page() is Page.SEARCH
    assert view.guest_results.count() == 1  # the guest list: Maryam, invited by name
    with qtbot.waitSignal(view.guests_found, timeout=WAIT_MS) as found:
        QTest.keyClicks(view.search_field, "Nobody")
        QTest.keyClick(view.search_field, Qt.Key.Key_Return)
    assert found.args == [0]
    assert view.search_note.isVisibleTo(view) and "Nobody" in view.search_note.text()
    assert not view.admit_button.isEnabled()
    view.search_field.clear()
    with (
        qtbot.waitSignal(view.guest_photo_shown, timeout=WAIT_MS) as photo,
        qtbot.waitSignal(view.guests_found, timeout=WAIT_MS) as found,
    ):
        QTest.keyClicks(view.search_field, "0912 123")  # Maryam's phone, as a host types it
        QTest.keyClick(view.search_field, Qt.Key.Key_Return)
    assert found.args == [1] and photo.args == [club.maryam.id]
    assert view.search_photo.has_photo() and view.search_name.text() == club.maryam.name
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS) as verdict:
        QTest.keyClick(view.search_field, Qt.Key.Key_Return)  # the host compared the photo: admit
    assert verdict.args == [Verdict.ADMIT]
    assert screen(at_door)["name"] == club.maryam.name
    rows = door.guest_list(club.terminal, party.event.id)
    assert rows[0].member_id == club.maryam.id and rows[0].admitted_at_us is not None


def test_a_plus_one_comes_in_with_the_member(qtbot, at_door, party, club, lang):
    view = at_door.window.door
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS):
        view.present_card(card_event(party.maryam_card, MARYAM_UID))
    assert view.plus_one_button.isVisibleTo(view)
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS) as verdict:
        QTest.keyClick(view, Qt.Key.Key_F6)
    assert verdict.args == [Verdict.ADMIT]
    shown = screen(at_door)
    assert shown["title"] == {"fa": "ورود همراه مجاز", "en": "ADMIT PLUS-ONE"}[lang]
    assert digits(2, lang) in shown["counter"]  # Maryam and her guest
    assert digits(1, lang) in shown["plus_ones"]
    assert not view.plus_one_button.isVisibleTo(view)  # her one plus-one is used
    assert door.door_counts(club.terminal, party.event.id).admitted == 2


def card_event(ndef: bytes, uid: bytes):
    from app.cards.base import CardEvent, CardEventKind

    return CardEvent(CardEventKind.TAPPED, "simulated", "Test reader", 0, uid=uid, ndef=ndef)


def undo_dialog(qtbot, at_door):
    from app.ui.dialogs.manager import UndoAdmissionDialog

    view = at_door.window.door
    QTest.keyClick(view, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: at_door.window.findChild(UndoAdmissionDialog) is not None, timeout=WAIT_MS)
    dialog = at_door.window.findChild(UndoAdmissionDialog)
    wait_idle(qtbot, at_door)  # the staff list is read on the worker
    return dialog


def test_a_manager_undoes_an_admission_with_their_pin_a_host_cannot(qtbot, at_door, party, club, lang):
    view = at_door.window.door
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS):
        view.present_card(card_event(party.maryam_card, MARYAM_UID))
    assert view.undo_button.isVisibleTo(view)
    dialog = undo_dialog(qtbot, at_door)
    assert club.maryam.name in dialog.intro_label.text()
    dialog.approval.reason_edit.setText("Not the face on the photo")
    dialog.approval.select_approver(HOST.id)  # a host may admit, not undo: the use case says no
    dialog.approval.pin_edit.setText(HOST_PIN)
    QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Return)
    wait_idle(qtbot, at_door)
    assert dialog.approval.message_label.isVisibleTo(dialog) and dialog.isVisible()
    assert door.door_counts(club.terminal, party.event.id).admitted == 1  # still inside
    dialog.approval.select_approver(MANAGER.id)
    dialog.approval.pin_edit.setText(MANAGER_PIN)
    with qtbot.waitSignal(dialog.admission_undone, timeout=WAIT_MS):
        QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Return)
    QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Return)  # Close
    qtbot.waitUntil(lambda: view.page() is Page.IDLE, timeout=WAIT_MS)
    wait_idle(qtbot, at_door)
    assert view.note_label.text() == view.tr("The admission was undone.")
    assert digits(0, lang) in plain(view.counter_label.text())
    assert door.door_counts(club.terminal, party.event.id).admitted == 0
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS) as again:  # in again once the host is sure
        view.present_card(card_event(party.maryam_card, MARYAM_UID))
    assert again.args == [Verdict.ADMIT]


def test_the_attendance_is_exported_as_csv(qtbot, at_door, party, club, monkeypatch):
    door.admit_member(club.terminal, party.event.id, club.maryam.id, HOST)
    door.admit_plus_one(club.terminal, party.event.id, club.maryam.id, HOST)
    target = club.terminal.data_dir / "attendance.csv"
    asked: list[str] = []

    def save_as(_parent, _title, suggested, _filter):
        asked.append(suggested)
        return str(target), "CSV files (*.csv)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_as))
    view = at_door.window.door
    with qtbot.waitSignal(view.attendance_exported, timeout=WAIT_MS) as exported:
        QTest.keyClick(view, Qt.Key.Key_F4)
    assert exported.args == [str(target)] and asked[0].endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [r["name"] for r in rows] == [club.maryam.name]
    assert rows[0]["door"] == "T1" and rows[0]["plus_ones_admitted"] == "1" and rows[0]["admitted_at_utc"]
    assert str(target) in at_door.window.statusBar().currentMessage()


def test_the_verdict_gives_way_to_the_prompt(qtbot, at_door, party, lang):
    view = at_door.window.door
    view._result_timer.setInterval(100)
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS):
        view.present_card(card_event(party.john_card, JOHN_UID))
    qtbot.waitUntil(lambda: view.page() is Page.IDLE, timeout=WAIT_MS)  # by itself
    assert view.prompt_label.text() == {"fa": "کارت را به دستگاه بزنید یا دعوت‌نامه را اسکن کنید",
                                        "en": "Tap a card or scan an invitation"}[lang]  # fmt: skip
    view._result_timer.setInterval(60_000)
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS):
        view.present_card(card_event(party.john_card, JOHN_UID))
    QTest.keyClick(view, Qt.Key.Key_Escape)  # or at once
    assert view.page() is Page.IDLE


# ---------------------------------------------------------------------------- opening the door


def test_no_open_event_says_so(qtbot, club, lang):
    with club.terminal.db.write() as conn:
        club_store.put_staff(conn, HOST, hash_pin(HOST_PIN))
    with host_window(qtbot, club, lang, [SimulatedReader("Test reader")], Page.NO_EVENT) as running:
        view = running.window.door
        assert view.no_event_label.text() == message(club_error("no_open_event", ""), lang)
        assert not view.find_button.isVisibleTo(view) and not view.leave_button.isVisibleTo(view)


def test_several_open_events_are_chosen_from(qtbot, club, party, lang):
    second = door.save_event(
        club.terminal, MANAGER, replace(party.event, id=club.terminal.new_id(), name="Gala")
    )
    with host_window(qtbot, club, lang, [SimulatedReader("Test reader")], Page.CHOOSE) as running:
        view = running.window.door
        assert view.event_list.count() == 2
        names = {view.event_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(2)}
        assert names == {party.event.id, second.id}
        QTest.keyClick(view, Qt.Key.Key_Down)
        chosen = view.event_list.currentItem().data(Qt.ItemDataRole.UserRole)
        QTest.keyClick(view, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: view.page() is Page.IDLE, timeout=WAIT_MS)
        assert view.current_event().id == chosen


def test_a_manager_opens_the_door_with_f7_and_goes_back(qtbot, running, club, party, lang):
    window = running.window
    assert not window.idle.door_button.isVisibleTo(window.idle)
    window.toggle_door()  # a cashier may not
    assert window.stack.currentWidget() is window.idle
    running.ctx.session.log_in(MANAGER)
    assert window.idle.door_button.isVisibleTo(window.idle)
    window.idle.door_button.click()
    qtbot.waitUntil(lambda: window.door_open() and window.door.page() is Page.IDLE, timeout=WAIT_MS)
    assert window.door.leave_button.isVisibleTo(window.door)
    window.toggle_door()
    assert window.stack.currentWidget() is window.idle
    assert running.ctx.session.staff is MANAGER


def test_an_invitation_scanned_at_the_till_points_to_the_door(qtbot, running, club, party, lang):
    running.window.activateWindow()
    qtbot.waitExposed(running.window)
    scanner_types(running.window.windowHandle(), invitation(club, party, club.maryam.id))
    qtbot.waitUntil(lambda: "F7" in running.window.statusBar().currentMessage(), timeout=WAIT_MS)
    assert running.window.stack.currentWidget() is running.window.idle


# ---------------------------------------------------------------------------- the tones


def test_each_colour_has_its_own_short_tone(tmp_path: Path, qapp):
    sounds = {tone: tone_wav(tone) for tone in Tone}
    assert len(set(sounds.values())) == 3
    assert all(1_000 < len(data) < 40_000 for data in sounds.values())  # well under a second
    files = write_tones(tmp_path)
    assert {tone: path.read_bytes() for tone, path in files.items()} == sounds
    player = make_player(files)  # QtMultimedia if installed, a command-line player, or silence
    for tone in Tone:
        player.play(tone)  # no sound device here: neither an error nor a wait
    SilentPlayer().play(Tone.ADMIT)
    assert QApplication.instance() is qapp
