# SPDX-License-Identifier: GPL-3.0-or-later
"""The idle view: search by phone, card number or part of a name; refusals; enrolment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from app.domain.digits import to_persian_digits
from app.format import card_number_text
from app.services.cards import revoke_card
from app.services.enroll import EnrollRequest, enroll_member
from app.store import members
from app.ui.views.idle import IdleView
from app.ui.widgets.banner import BannerKind
from tests.support.club import MANAGER

SEARCH_TIMEOUT_MS = 5000
SEARCH_PAUSE_MS = 30  # the same debounce as at the counter, only shorter


def type_text(widget: QWidget, text: str) -> None:
    """Type like a keyboard does, any script (QTest.keyClicks only carries Latin-1)."""
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            QApplication.sendEvent(widget, event)


@pytest.fixture
def view(qtbot, ctx) -> Iterator[IdleView]:
    idle = IdleView(ctx, search_pause_ms=SEARCH_PAUSE_MS)
    qtbot.addWidget(idle)
    idle.resize(1180, 720)
    idle.show()
    yield idle
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def search_for(qtbot, view: IdleView, text: str) -> int:
    """Type the text and wait for the search that runs once typing pauses; the number of matches."""
    with qtbot.waitSignal(view.search_finished, timeout=SEARCH_TIMEOUT_MS) as signal:
        type_text(view.search_field, text)
    return signal.args[0]


def shown_ids(view: IdleView) -> list[str]:
    return [view.result_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(view.result_list.count())]


def card_of(club, member_id: str) -> str:
    with club.terminal.db.read() as conn:
        return members.cards_of(conn, member_id)[0].number


def test_search_by_phone(qtbot, view: IdleView, club, lang: str) -> None:
    phone = to_persian_digits("09121234567") if lang == "fa" else "0912 123 4567"
    assert search_for(qtbot, view, phone) == 1
    assert shown_ids(view) == [club.maryam.id]
    item_text = view.result_list.item(0).text()
    assert club.maryam.name in item_text
    assert ("۴۵۶۷" if lang == "fa" else "4567") in item_text
    assert "0912123" not in item_text and "۰۹۱۲۱۲۳" not in item_text  # only the end of the phone
    assert view.result_list.isVisible()


def test_search_by_card_number(qtbot, view: IdleView, club) -> None:
    number = card_of(club, club.john.id)
    spaced = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    assert search_for(qtbot, view, spaced) == 1
    assert shown_ids(view) == [club.john.id]


@pytest.mark.parametrize(("part", "who"), [("احمد", "maryam"), ("smi", "john"), ("JOHN", "john")])
def test_search_by_part_of_a_name(qtbot, view: IdleView, club, part: str, who: str) -> None:
    assert search_for(qtbot, view, part) == 1
    assert shown_ids(view) == [getattr(club, who).id]


def test_one_match_and_enter_opens_it(qtbot, view: IdleView, club) -> None:
    type_text(view.search_field, "09121234567")
    with qtbot.waitSignal(view.member_chosen, timeout=SEARCH_TIMEOUT_MS) as signal:
        qtbot.keyClick(view.search_field, Qt.Key.Key_Return)  # before the pause: searches at once
    assert signal.args == [club.maryam.id]


def test_enter_on_results_already_shown(qtbot, view: IdleView, club) -> None:
    search_for(qtbot, view, "Smith")
    with qtbot.waitSignal(view.member_chosen) as signal:
        qtbot.keyClick(view.search_field, Qt.Key.Key_Enter)
    assert signal.args == [club.john.id]


def test_several_matches_are_chosen_with_arrows_or_a_tap(qtbot, view: IdleView, club) -> None:
    other = enroll_member(club.terminal, EnrollRequest(name="مریم رضایی", phone="09121112233")).member
    assert search_for(qtbot, view, "مریم") == 2
    assert set(shown_ids(view)) == {club.maryam.id, other.id}
    assert view.note_label.isVisible()
    with qtbot.assertNotEmitted(view.member_chosen):
        qtbot.keyClick(view.search_field, Qt.Key.Key_Return)  # which one? nothing opens by chance
    qtbot.keyClick(view.search_field, Qt.Key.Key_Down)
    qtbot.keyClick(view.search_field, Qt.Key.Key_Down)
    with qtbot.waitSignal(view.member_chosen) as signal:
        qtbot.keyClick(view.search_field, Qt.Key.Key_Return)
    assert signal.args == [shown_ids(view)[1]]
    first = view.result_list.item(0)
    with qtbot.waitSignal(view.member_chosen) as signal:
        rect = view.result_list.visualItemRect(first)
        qtbot.mouseClick(view.result_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == [shown_ids(view)[0]]


def test_no_match_says_so(qtbot, view: IdleView, lang: str) -> None:
    query = to_persian_digits("09350000000") if lang == "fa" else "09350000000"
    with qtbot.assertNotEmitted(view.member_chosen):
        assert search_for(qtbot, view, query) == 0
        qtbot.keyClick(view.search_field, Qt.Key.Key_Return)
    assert view.note_label.isVisible()
    assert query in view.note_label.text()
    assert view.note_label.text() == view.tr(
        "No member found for “{query}”. Check it, or enroll a new member (F2)."
    ).format(query="\u2068" + query + "\u2069")
    assert not view.result_list.isVisible()


def test_refusal_banner_shows_and_clears(qtbot, view: IdleView) -> None:
    view.show_refusal("Card refused", "Ask for ID and look the member up by phone.")
    assert view.banner.isVisible()
    assert view.banner.kind() is BannerKind.ERROR
    assert view.banner.title_label.text() == "Card refused"
    assert view.banner.title_label.font().pointSizeF() > view.font().pointSizeF() * 1.5
    assert view.refusal() == ("Card refused", "Ask for ID and look the member up by phone.")
    type_text(view.search_field, "0")  # the next search clears it
    assert not view.banner.isVisible()
    assert view.refusal() is None
    qtbot.waitUntil(view.note_label.isVisible)  # the search for "0" has answered
    view.show_refusal("Card refused", "Ask for ID.")
    view.clear()
    assert not view.banner.isVisible()
    assert view.search_field.text() == ""
    assert not view.note_label.isVisible()


def test_a_revoked_card_number_is_refused(qtbot, view: IdleView, club, lang: str) -> None:
    number = card_of(club, club.maryam.id)
    revoke_card(club.terminal, number, "stolen", MANAGER)
    with qtbot.assertNotEmitted(view.member_chosen):
        assert search_for(qtbot, view, number) == 0
    assert view.banner.isVisible()
    assert card_number_text(number) in view.banner.detail_label.text()  # grouped, left to right
    assert ("باطل‌شده" if lang == "fa" else "revoked") in view.banner.detail_label.text()
    assert view.result_list.count() == 0


def test_f2_and_the_button_ask_for_enrolment(qtbot, view: IdleView) -> None:
    with qtbot.waitSignal(view.enroll_requested):
        qtbot.keyClick(view.search_field, Qt.Key.Key_F2)
    with qtbot.waitSignal(view.enroll_requested):
        qtbot.mouseClick(view.enroll_button, Qt.MouseButton.LeftButton)
    assert view.enroll_button.height() >= 48
    assert "F2" in view.enroll_button.text()


def test_escape_clears_the_search(qtbot, view: IdleView) -> None:
    search_for(qtbot, view, "Smith")
    qtbot.keyClick(view.search_field, Qt.Key.Key_Escape)
    assert view.search_field.text() == ""
    assert view.result_list.count() == 0
    assert not view.result_list.isVisible()


def test_only_the_latest_search_is_shown(qtbot, view: IdleView, club) -> None:
    type_text(view.search_field, "Smith")
    view.search()  # answered, but overtaken by the next one
    view.search_field.clear()
    with qtbot.waitSignal(view.search_finished, timeout=SEARCH_TIMEOUT_MS):
        type_text(view.search_field, "احمد")
    assert shown_ids(view) == [club.maryam.id]
