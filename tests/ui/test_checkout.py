# SPDX-License-Identifier: GPL-3.0-or-later
"""The checkout view: amount typed in Toman, the live preview, redemption within its cap, Enter records
one sale, Esc cancels, refusals shown — in Persian and English, on the real store and worker."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.domain.tier import Tier
from app.format import number, points_text, toman_text
from app.services.checkout import SaleRequest, record_sale
from app.services.identify import find_member
from app.store import club as club_store
from app.store import ledger
from app.ui.messages import club_error_text
from app.ui.views.checkout import CheckoutView
from tests.support.club import BRANCH_2, CASHIER

BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))
GOLD = Tier("gold", "طلایی", "Gold", 2, 5_000, 150)


def plain(text: str) -> str:
    return text.translate(BIDI_MARKS)


def type_text(widget, text: str) -> None:
    """Keystrokes carrying any character (QTest.keyClicks only knows ASCII)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def branch(terminal, branch_id=None):
    with terminal.db.read() as conn:
        return club_store.branch(conn, branch_id or terminal.branch_id)


@pytest.fixture
def view(qtbot, ctx, club):
    ctx.session.log_in(CASHIER)
    widget = CheckoutView(ctx)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not ctx.tasks.busy())  # join the worker before the store goes away


def start(view, club, member=None, *, tier=None, branch_id=None, earn_only=False):
    profile = find_member(club.terminal, (member or club.maryam).id)
    view.start(profile, branch(club.terminal, branch_id), tier or profile.tier, earn_only)
    return profile


@pytest.mark.parametrize("typed", ["250000", "۱۲۳۴۵۶۷", "٩٩٩٩٩", "5"])
def test_typing_an_amount_updates_the_preview_as_the_rule_computes(view, club, lang, typed):
    profile = start(view, club)
    type_text(view.amount_edit, typed)
    toman = int("".join(str(int(ch)) for ch in typed))
    rule = branch(club.terminal).earning
    assert view.amount_rials == toman * 10
    assert view.amount_edit.text() == number(toman, lang)  # grouped as typed, in the language's digits
    expected = rule.points_for(toman * 10, profile.tier.multiplier_percent)
    assert view.points_to_earn == expected
    assert plain(view.earn_value.text()) == number(expected, lang)
    assert plain(view.pay_value.text()) == plain(toman_text(toman * 10, lang))
    assert plain(view.after_value.text()) == plain(points_text(profile.balance.points + expected, lang))


@pytest.mark.parametrize("toman", [400_000, 500_000, 12_345_678])
def test_preview_follows_the_branch_and_the_tier_multiplier(view, club, toman):
    start(view, club, tier=GOLD, branch_id=BRANCH_2)
    type_text(view.amount_edit, str(toman))
    rule = branch(club.terminal, BRANCH_2).earning
    assert view.points_to_earn == rule.points_for(toman * 10, 150)  # minimum sale, cap, ×1.5 all apply


def test_grouping_survives_editing_in_the_middle(view, club, lang):
    start(view, club)
    type_text(view.amount_edit, "1234567")
    assert view.amount_edit.text() == number(1_234_567, lang)
    view.amount_edit.setCursorPosition(2)  # after "1," — backspace over a separator takes the digit
    QTest.keyClick(view.amount_edit, Qt.Key.Key_Backspace)
    QTest.keyClick(view.amount_edit, Qt.Key.Key_Backspace)
    assert view.amount_rials == 234_567 * 10
    type_text(view.amount_edit, "x-.")  # anything but digits is ignored
    assert view.amount_rials == 234_567 * 10
    type_text(view.amount_edit, "9" * 20)  # never more than a till can hold
    assert len(str(view.amount_edit.toman)) <= 12


def test_redemption_is_capped_and_the_discount_shown(view, club, lang):
    profile = start(view, club)
    policy = branch(club.terminal).redemption
    type_text(view.amount_edit, "5000")  # 50,000 rials: at most half, 25 points
    assert view.points_spin.maximum() == policy.max_points(50_000, profile.balance.points) == 25
    type_text(view.amount_edit, "00")  # 500,000 Toman: capped by the member's 520 points
    cap = policy.max_points(5_000_000, profile.balance.points)
    assert cap == profile.balance.points == view.points_spin.maximum()
    view.points_spin.setValue(10_000)
    assert view.redeem_points == cap
    view.points_spin.setValue(120)
    assert plain(view.discount_value.text()) == plain(toman_text(120_000, lang))
    assert plain(view.pay_value.text()) == plain(toman_text(5_000_000 - 120_000, lang))
    assert view.points_to_earn == branch(club.terminal).earning.points_for(5_000_000 - 120_000)
    assert number(cap, lang) in plain(view.cap_label.text())
    view.amount_edit.set_toman(100)  # a smaller sale lowers what may be spent
    assert view.redeem_points == policy.max_points(1_000, profile.balance.points) == 0


def test_enter_records_one_sale_even_when_pressed_twice(qtbot, view, club, ctx):
    start(view, club)
    type_text(view.amount_edit, "250000")
    view.points_spin.setValue(120)
    recorded = []
    view.sale_recorded.connect(recorded.append)
    with qtbot.waitSignal(view.sale_recorded, timeout=10_000):
        QTest.keyClick(view.amount_edit, Qt.Key.Key_Return)
        QTest.keyClick(view.amount_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not ctx.tasks.busy())
    QTest.keyClick(view.amount_edit, Qt.Key.Key_Enter)  # after the sale too
    qtbot.waitUntil(lambda: not ctx.tasks.busy())
    assert len(recorded) == 1
    result = recorded[0]
    assert (result.amount_rials, result.points_redeemed, result.discount_rials) == (2_500_000, 120, 120_000)
    assert result.points_earned == 23
    with club.terminal.db.read() as conn:
        sales = [e for e in ledger.recent_for_member(conn, club.maryam.id, 50) if e.kind is EntryKind.EARN]
        assert len(sales) == 2  # the fixture's sale and this one
        assert ledger.get(conn, result.sale_id).staff_id == CASHIER.id


def test_each_checkout_screen_has_its_own_entry_id(view, club):
    start(view, club)
    first = view._entry_id
    start(view, club)
    assert first and view._entry_id and first != view._entry_id


def test_escape_cancels(qtbot, view, club):
    start(view, club)
    type_text(view.amount_edit, "1000")
    with qtbot.waitSignal(view.cancelled):
        QTest.keyClick(view.amount_edit, Qt.Key.Key_Escape)


def test_earn_only_disables_redemption(qtbot, view, club, ctx):
    start(view, club, earn_only=True)
    type_text(view.amount_edit, "250000")
    assert not view.points_spin.isEnabled() and not view.points_slider.isEnabled()
    assert view.earn_only_banner.isVisible() and not view.cap_label.isVisible()
    assert view.redeem_points == 0
    with qtbot.waitSignal(view.sale_recorded, timeout=10_000) as blocker:
        QTest.keyClick(view.amount_edit, Qt.Key.Key_Return)
    assert blocker.args[0].points_redeemed == 0


def test_a_refusal_is_shown_in_the_view(qtbot, view, club, ctx, lang):
    start(view, club)
    type_text(view.amount_edit, "250000")
    view.points_spin.setValue(500)
    # meanwhile the member spends points at another till: the balance on screen is out of date
    other = record_sale(club.terminal, SaleRequest(club.maryam.id, 10_000_000, redeem_points=400))
    recorded = []
    view.sale_recorded.connect(recorded.append)
    QTest.keyClick(view.amount_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not ctx.tasks.busy())
    expected = ClubError("insufficient_points", requested=500, balance=other.balance.points)
    assert view.refusal_banner.isVisible()
    assert plain(view.refusal_banner.title_label.text()) == plain(club_error_text(expected, lang))
    assert not recorded and view.confirm_button.isEnabled()  # nothing written; the cashier may correct it


def test_enter_without_an_amount_asks_for_one(qtbot, view, club, ctx):
    start(view, club)
    qtbot.waitUntil(lambda: not ctx.tasks.busy())  # the member's standing, read as the checkout starts
    QTest.keyClick(view.amount_edit, Qt.Key.Key_Return)
    assert view.refusal_banner.isVisible() and not ctx.tasks.busy()
    assert not view.confirm_button.isEnabled()


def test_a_persian_name_reads_whole_in_english_and_digits_follow_the_language(view, club, ctx, lang):
    start(view, club)
    type_text(view.amount_edit, "250000")
    assert club.maryam.name in plain(view.member_label.text())
    other = "en" if lang == "fa" else "fa"
    ctx.session.set_language(other)
    assert view.amount_edit.text() == number(250_000, other)
    assert plain(view.earn_value.text()) == number(25, other)
