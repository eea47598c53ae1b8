# SPDX-License-Identifier: GPL-3.0-or-later
"""Tap to face: the member view shows the member a card names with their photo, decoded and framed on the
worker (the UI thread only paints it), through the real window, card manager and simulated reader.

A later tap wins over an earlier one whose photo is slow to decode, a garbled photo shows the silhouette,
and the one member view reused from member to member keeps nothing of the member before."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from PySide6.QtGui import QImage

from app.services.cards import bind_card, prepare_card
from app.services.identify import find_member
from app.store import members, outbox
from app.ui.widgets.photo import PLACEHOLDER_BACKGROUND, decode_photo, frame_photo
from tests.support.club import MANAGER

MARYAM_UID = bytes.fromhex("04A1B2C3D4E5F6")
JOHN_UID = bytes.fromhex("04B1B2C3D4E5F6")


def chip_card(club, member_id: str, uid: bytes) -> bytes:
    prepared = prepare_card(club.terminal, member_id, staff=MANAGER, uid=uid)
    bind_card(club.terminal, prepared.card.number, uid)
    return prepared.ndef


def stored_photo(club, member_id: str) -> bytes | None:
    with club.terminal.db.read() as conn:
        return members.photo(conn, member_id)


def put_photo(club, member_id: str, jpeg: bytes) -> None:
    """A photo in the store as a pull (or a damaged disk) could leave it: not checked on the way in."""
    with club.terminal.db.write() as conn:
        members.put_photo(conn, member_id, jpeg)


def centre(image: QImage):
    return image.pixelColor(image.width() // 2, image.height() // 2)


def test_a_tap_shows_the_members_own_photo_framed_on_the_worker(qtbot, running, club):
    ndef = chip_card(club, club.maryam.id, MARYAM_UID)
    view = running.window.member
    with qtbot.waitSignal(running.window.member_shown, timeout=5000):
        running.ctx.simulated.tap(MARYAM_UID, ndef)
    shown = view.photo.image()
    expected = decode_photo(stored_photo(club, club.maryam.id), *view.photo.pixel_side())
    assert shown is not None and expected is not None
    assert shown == expected  # the same pixels: Maryam's photo, at the size the view paints it
    assert shown.size().width() == round(view.photo.width() * view.photo.devicePixelRatioF())
    painted = view.photo.grab().toImage()
    assert centre(painted) != PLACEHOLDER_BACKGROUND
    assert view.name_label.text() == club.maryam.name


def test_a_later_tap_wins_over_an_earlier_slow_photo(qtbot, running, club):
    """Maryam's photo is a large one (slow to decode); John's card, tapped right after, is what stays."""
    big = io.BytesIO()
    Image.effect_noise((2400, 2400), 60).convert("RGB").save(big, "JPEG", quality=95)
    put_photo(club, club.maryam.id, big.getvalue())
    maryam, john = chip_card(club, club.maryam.id, MARYAM_UID), chip_card(club, club.john.id, JOHN_UID)
    shown: list[str] = []
    running.window.member_shown.connect(shown.append)
    running.ctx.simulated.tap(MARYAM_UID, maryam)
    running.ctx.simulated.tap(JOHN_UID, john)
    qtbot.waitUntil(lambda: len(shown) == 2 and not running.ctx.tasks.busy(), timeout=10_000)
    view = running.window.member
    assert shown == [club.maryam.id, club.john.id]
    assert view.profile().member.id == club.john.id and view.name_label.text() == club.john.name
    assert not view.photo.has_photo()  # John has none: nothing of Maryam's is left in the frame


def test_a_garbled_photo_shows_the_silhouette(qtbot, running, club):
    put_photo(club, club.maryam.id, b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)  # a JPEG's start, then noise
    ndef = chip_card(club, club.maryam.id, MARYAM_UID)
    with qtbot.waitSignal(running.window.member_shown, timeout=5000):
        running.ctx.simulated.tap(MARYAM_UID, ndef)
    view = running.window.member
    assert view.name_label.text() == club.maryam.name  # the member is shown all the same
    assert not view.photo.has_photo()
    painted = view.photo.grab().toImage()
    assert painted.pixelColor(painted.width() // 2, painted.height() // 10) == PLACEHOLDER_BACKGROUND


def test_the_reused_view_keeps_nothing_of_the_member_before(qtbot, running, club):
    """The window has one member view; from Maryam (photo, history, earn-only notice) to John (none of
    them) every part of it changes."""
    window, view = running.window, running.window.member
    with qtbot.waitSignal(view.programme_shown, timeout=5000):
        window.open_member(club.maryam.id, earn_only=True)
    assert view.photo.has_photo() and view.history_table.rowCount() > 0
    assert view.earn_only_banner.isVisible()
    maryam_points, maryam_cards = view.points_tile.value.text(), view.cards_label.text()
    with qtbot.waitSignal(view.programme_shown, timeout=5000) as programme:
        window.open_member(club.john.id)
    assert window.member is view  # reused, not rebuilt
    assert view.name_label.text() == club.john.name
    assert not view.photo.has_photo()
    assert view.history_table.rowCount() == 0 and not view.history_table.isVisible()
    assert not view.earn_only_banner.isVisible()
    assert view.points_tile.value.text() != maryam_points
    assert view.cards_label.text() != maryam_cards
    assert programme.args == [club.john.id] and view.standing() is not None


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_a_photo_framed_for_the_widget_is_painted_as_it_is(qtbot, ctx, club, ratio):
    """At the widget's side and the screen's pixel ratio the framed photo is painted without scaling again;
    framed for another size (a resize) it is framed again for the widget, never drawn at the wrong size."""
    from app.ui.widgets.photo import PhotoWidget

    widget = PhotoWidget(200)
    qtbot.addWidget(widget)
    widget.setFixedSize(200, 200)
    source = decode_photo(stored_photo(club, club.maryam.id))
    assert source is not None
    framed = frame_photo(source, 200, ratio)
    assert framed.width() == round(200 * ratio) and framed.devicePixelRatio() == ratio
    widget.set_photo(framed)
    painted = widget.grab().toImage()
    assert painted.width() == round(200 * painted.devicePixelRatio())
    assert centre(painted) != PLACEHOLDER_BACKGROUND
    assert find_member(club.terminal, club.maryam.id).has_photo


def test_a_tapped_chip_card_is_reported_once_its_member_is_shown(qtbot, running, club):
    """The tap's report for the server (clone detection) is written after the member is on screen, from
    the tap's own verdict: one item for the card, at the time it was verified."""
    prepared = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, uid=MARYAM_UID)
    bind_card(club.terminal, prepared.card.number, MARYAM_UID)
    ndef, card = prepared.ndef, prepared.card.number
    before = club.terminal.clock.now_us()
    with qtbot.waitSignal(running.window.member_shown, timeout=5000):
        running.ctx.simulated.tap(MARYAM_UID, ndef)
    qtbot.waitUntil(lambda: not running.ctx.tasks.busy(), timeout=5000)
    with club.terminal.db.read() as conn:
        (item,) = outbox.about(conn, card, (outbox.CARD_TAP,))
    body = item.data()
    assert body["member_id"] == club.maryam.id and body["card_number"] == card
    assert before <= body["used_at_us"] <= club.terminal.clock.now_us()
