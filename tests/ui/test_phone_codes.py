# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's phone code typed into the real window as a keyboard-wedge scanner types it (keys stamped
4 ms apart, then Enter: `tests.ui.keys.scan`): at the till it opens the member, once; at the door it
admits, once. The same code again is refused in the cashier's and the host's words."""

from __future__ import annotations

import time

from app.domain.card import card_number
from app.domain.digits import to_persian_digits
from app.domain.errors import ClubError
from app.domain.event import Verdict
from app.format import card_number_text
from app.ui.messages import club_error_text
from tests.support.phone import DAY_US, make_phone, phone_key, pull_phone_card, register_key
from tests.ui.keys import scan
from tests.ui.test_door import at_door, host_window, party, screen  # noqa: F401  (fixtures)

WAIT_MS = 8_000
NUMBER = card_number("9826", 42)


def now_us() -> int:
    return time.time_ns() // 1000  # the window's terminal runs on the system clock


def certified_phone(terminal, member_id: str):
    """The club's phone key and the member's phone card, as the pull leaves them; the phone itself."""
    key = phone_key()
    register_key(terminal, key)
    phone = make_phone(key, member_id, NUMBER, expires_at_us=now_us() + 30 * DAY_US)
    pull_phone_card(terminal, phone, now_us())
    return phone


def test_a_phone_code_scanned_at_the_till_opens_the_member_then_is_refused(qtbot, running, club, lang):
    window = running.window
    phone = certified_phone(club.terminal, club.maryam.id)
    window.activateWindow()
    qtbot.waitExposed(window)
    code = phone.code(now_us())
    with qtbot.waitSignal(window.member_shown, timeout=WAIT_MS) as shown:
        scan(window.windowHandle(), code)
    assert shown.args == [club.maryam.id]
    assert window.stack.currentWidget() is window.member and running.scanner.holding() == 0
    phone_label = {"fa": "گوشی", "en": "phone"}[lang]
    assert phone_label in window.member.cards_label.text()  # the phone is listed with the member's cards

    with qtbot.waitSignal(window.card_refused, timeout=WAIT_MS) as refused:
        scan(window.windowHandle(), code)
    assert refused.args == ["phone_code_replayed"]
    _title, detail = window.idle.refusal()
    assert detail == club_error_text(ClubError("card_phone_code_replayed", card=NUMBER), lang)
    assert card_number_text(NUMBER) in detail  # grouped and isolated, as the window shows a card number


def test_a_phone_code_typed_on_a_persian_layout_opens_the_member(qtbot, running, club):
    window = running.window
    phone = certified_phone(club.terminal, club.maryam.id)
    window.activateWindow()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.member_shown, timeout=WAIT_MS) as shown:
        scan(window.windowHandle(), to_persian_digits(phone.code(now_us())))
    assert shown.args == [club.maryam.id]


def test_at_the_door_a_phone_code_admits_then_is_refused(qtbot, at_door, party, club, lang):  # noqa: F811
    phone = certified_phone(club.terminal, club.maryam.id)
    view = at_door.window.door
    code = phone.code(now_us())
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS) as first:
        scan(at_door.window.windowHandle(), code)
    assert first.args == [Verdict.ADMIT.value]
    shown = screen(at_door)
    assert shown["photo"] and shown["name"] == club.maryam.name
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS) as again:
        scan(at_door.window.windowHandle(), code)
    assert again.args == [Verdict.CARD_REFUSED.value]
    assert "30" in screen(at_door)["detail"] or "۳۰" in screen(at_door)["detail"]
