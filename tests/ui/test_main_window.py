# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole window: a tapped card (through the real card manager and simulated reader), a scanned QR,
a refused card, the idle lock and the live language switch — in both languages."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest

from app.cards.base import CardEvent, CardEventKind
from app.services.cards import bind_card, prepare_card, revoke_card
from app.ui.main_window import read_card
from tests.support.club import MANAGER

UID = bytes.fromhex("04A1B2C3D4E5F6")


def chip_card(club):
    prepared = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, uid=UID)
    bind_card(club.terminal, prepared.card.number, UID)
    return prepared


def test_a_tapped_card_opens_its_member(qtbot, running, club):
    prepared = chip_card(club)
    with qtbot.waitSignal(running.window.member_shown, timeout=5000) as shown:
        running.ctx.simulated.tap(UID, prepared.ndef)
    assert shown.args == [club.maryam.id]
    assert running.window.stack.currentWidget() is running.window.member


def test_a_valid_card_is_verified_and_its_member_loaded_in_one_worker_job(running, club):
    prepared = chip_card(club)
    event = CardEvent(CardEventKind.TAPPED, "simulated", "Test reader", 0, uid=UID, ndef=prepared.ndef)
    result, screen = read_card(club.terminal, event)
    assert result.verdict.valid and screen is not None
    assert screen.profile.member.id == club.maryam.id
    assert screen.photo is not None and not screen.photo.isNull()  # decoded on the worker
    copied = CardEvent(
        CardEventKind.TAPPED, "simulated", "Test reader", 0, uid=b"\x04" * 7, ndef=prepared.ndef
    )
    result, screen = read_card(club.terminal, copied)
    assert not result.verdict.valid and screen is None


def test_a_copied_card_is_refused_on_screen(qtbot, running, club):
    prepared = chip_card(club)
    with qtbot.waitSignal(running.window.card_refused, timeout=5000) as refused:
        running.ctx.simulated.tap(bytes.fromhex("04FFFFFFFFFFFF"), prepared.ndef)
    assert refused.args == ["uid_mismatch"]
    assert running.window.idle.refusal() is not None


def test_a_revoked_card_is_refused_with_what_to_do(qtbot, running, club):
    prepared = chip_card(club)
    revoke_card(club.terminal, prepared.card.number, "reported lost", MANAGER, lost=True)
    with qtbot.waitSignal(running.window.card_refused, timeout=5000) as refused:
        running.ctx.simulated.tap(UID, prepared.ndef)
    assert refused.args == ["revoked"]
    title, detail = running.window.idle.refusal()
    assert title and detail


def test_a_damaged_card_is_refused(qtbot, running):
    with qtbot.waitSignal(running.window.card_refused, timeout=5000) as refused:
        running.ctx.simulated.tap_garbage()
    assert refused.args == ["bad_response"]


def test_a_scanned_member_qr_opens_the_member(qtbot, running, club):
    qr = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, as_qr=True).qr_text
    idle = running.window.idle
    idle.search_field.setFocus()
    with qtbot.waitSignal(running.window.member_shown, timeout=5000) as shown:
        QTest.keyClicks(idle.search_field, qr)  # what a keyboard-wedge scanner types
        QTest.keyClick(idle.search_field, Qt.Key.Key_Return)
    assert shown.args == [club.maryam.id]


def test_a_card_before_login_is_not_opened(qtbot, running, club):
    prepared = chip_card(club)
    running.window.lock()
    assert running.window.stack.currentWidget() is running.window.login
    running.ctx.simulated.tap(UID, prepared.ndef)
    QTest.qWait(400)
    assert running.window.stack.currentWidget() is running.window.login
    assert running.ctx.session.staff is None


def test_language_switches_live(qtbot, running):
    before = running.ctx.session.lang
    running.window.toggle_language()
    assert running.ctx.session.lang != before
    expected = Qt.LayoutDirection.LeftToRight if before == "fa" else Qt.LayoutDirection.RightToLeft
    assert running.app.layoutDirection() == expected
    running.window.toggle_language()
    assert running.ctx.session.lang == before


def press_a_key(app, widget):
    app.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_5, Qt.KeyboardModifier.NoModifier, "5"))


def test_activity_postpones_the_lock_only_while_someone_is_logged_in(running):
    window = running.window
    window._idle_timer.stop()
    press_a_key(running.app, window.idle.search_field)
    assert window._idle_timer.isActive()  # a key anywhere restarts the countdown
    window.lock()
    window._idle_timer.stop()
    press_a_key(running.app, window.login.pin_field)
    assert not window._idle_timer.isActive()  # nobody to lock: the application's events are not watched


def test_a_chip_card_not_challenged_here_opens_its_member_for_earning_only_saying_why(qtbot, running, club):
    """A chip-keyed card read by a reader that cannot challenge it (the simulated one here; another branch's
    card at a PC/SC reader) opens its member, with the banner naming the chip, not an old revocation list."""
    from app.cards.ntag424.keys import KeyRef
    from app.domain.errors import ClubError
    from app.services.chip_keys import IssuingChipKeys
    from app.ui.messages import club_error_text

    keys = IssuingChipKeys(KeyRef("0190a5b2-0000-7000-8000-0000000000aa", 1), bytes(16), bytes(16), ())
    prepared = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, uid=UID, chip=keys)
    bind_card(club.terminal, prepared.card.number, UID)
    with qtbot.waitSignal(running.window.member_shown, timeout=5000):
        running.ctx.simulated.tap(UID, prepared.ndef)
    banner = running.window.member.earn_only_banner
    qtbot.waitUntil(banner.isVisible, timeout=5000)
    lang = running.ctx.session.lang
    expected = club_error_text(ClubError("card_chip_unchecked", card=prepared.card.number), lang)
    assert banner.detail_label.text() == expected
    assert "revocation" not in banner.detail_label.text()
