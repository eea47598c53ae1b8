# SPDX-License-Identifier: GPL-3.0-or-later
"""Checkout and receipt under the club's rule set, in the real window and views, in Persian and English:
a sale that crosses the silver threshold is celebrated and the member shows the new tier; the cashback
wallet pays part of a sale within its cap (the refusal when asked for more); a campaign on a product
category; bonuses and cashback on the receipt; the survey ("How was it?") on the receipt."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.domain.errors import ClubError
from app.format import number, points_text, toman_text
from app.services.bonuses import rate_sale
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.identify import find_member
from app.store import club as club_store
from app.store import ledger
from app.ui.messages import club_error_text
from app.ui.views.checkout import CheckoutView
from app.ui.views.receipt import ReceiptView
from app.ui.widgets.badge import tier_colour
from app.ui.widgets.programme_panel import Line
from tests.support.club import CASHIER
from tests.ui.test_programme_member import days_ago, install_programme, plain, sale


def type_text(widget, text: str) -> None:
    """Keystrokes carrying any character (QTest.keyClicks only knows ASCII)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


@pytest.fixture
def rules(club):
    return install_programme(club.terminal)


# ---------------------------------------------------------------------------------------------- the window


def open_checkout(qtbot, running, member_id: str) -> CheckoutView:
    """Tap-equivalent: the member opens (profile, then standing), Enter starts the checkout, whose
    standing is read on the worker."""
    window = running.window
    with qtbot.waitSignal(window.member.programme_shown, timeout=10_000):
        window.open_member(member_id)
    assert window.stack.currentWidget() is window.member
    QTest.keyClick(window.member, Qt.Key.Key_Return)
    checkout = window.checkout
    assert window.stack.currentWidget() is checkout
    qtbot.waitUntil(lambda: checkout.programme is not None, timeout=10_000)
    return checkout


def record(qtbot, checkout: CheckoutView, receipt_key=Qt.Key.Key_Return):
    with qtbot.waitSignal(checkout.sale_recorded, timeout=10_000) as recorded:
        QTest.keyClick(checkout.amount_edit, receipt_key)
    return recorded.args[0]


@pytest.mark.usefixtures("rules")
def test_a_sale_crossing_silver_is_celebrated_and_the_member_shows_the_new_tier(qtbot, running, club, lang):
    window = running.window
    checkout = open_checkout(qtbot, running, club.john.id)
    type_text(checkout.amount_edit, "6000000")  # 6,000,000 Toman: 600 points, silver is 500
    assert plain(checkout.earn_value.text()) == number(600, lang)
    result = record(qtbot, checkout)
    assert result.tier_upgrade == "silver"
    receipt = window.receipt
    assert window.stack.currentWidget() is receipt
    qtbot.waitUntil(receipt.celebration.isVisible, timeout=10_000)
    band = receipt.celebration
    title, detail = plain(band.title_label.text()), plain(band.detail_label.text())
    if lang == "fa":
        assert title == "ارتقا به نقره‌ای!"
        assert detail == "×۱٫۲۵ امتیاز، ۵٪ تخفیف در صندوق؛ رایگان: بسته‌بندی هدیه"
    else:
        assert title == "Upgraded to Silver!"
        assert detail == "×1.25 points, 5% off at the till; Free: Gift wrap"
    assert band.colour() == tier_colour("silver")
    image = band.grab().toImage()  # painted in the tier's colour
    assert image.pixelColor(image.width() // 2, image.height() - 6).name() == tier_colour("silver").name()
    assert band.focusPolicy() == Qt.FocusPolicy.NoFocus and receipt.hasFocus()  # nothing to dismiss
    QTest.keyClick(receipt, Qt.Key.Key_Return)  # done at once, the band needs no click
    assert window.stack.currentWidget() is window.idle and not band.isVisible()
    with qtbot.waitSignal(window.member.programme_shown, timeout=10_000):
        window.open_member(club.john.id)
    member = window.member
    assert member.tier_badge.tier_code() == "silver"
    assert member.tier_badge.text() == ("نقره‌ای" if lang == "fa" else "Silver")
    heading = plain(member.programme_panel.line_text(Line.PRIVILEGES))
    assert heading.startswith("نقره‌ای" if lang == "fa" else "Silver: ×1.25 points")


@pytest.mark.usefixtures("rules")
def test_no_celebration_without_an_upgrade(qtbot, running, club):
    checkout = open_checkout(qtbot, running, club.john.id)
    type_text(checkout.amount_edit, "100000")
    result = record(qtbot, checkout)
    qtbot.waitUntil(lambda: not running.ctx.tasks.busy())
    assert result.tier_upgrade is None and not running.window.receipt.celebration.isVisible()


@pytest.mark.usefixtures("rules")
def test_the_wallet_pays_part_of_a_sale_within_its_cap(qtbot, running, club, lang):
    sale(days_ago(club.terminal, 1), club.john.id, 1_000_000)  # yesterday: 20,000 Toman of cashback
    checkout = open_checkout(qtbot, running, club.john.id)
    assert checkout.wallet_edit.isVisible() and checkout.wallet_cap_label.isVisible()
    type_text(checkout.amount_edit, "100000")
    # the cap: what is spendable now (20,000), within half of what is left to pay (50,000)
    assert checkout.wallet_cap == 200_000
    assert plain(toman_text(200_000, lang)) in plain(checkout.wallet_cap_label.text())
    QTest.keyClick(checkout.amount_edit, Qt.Key.Key_F3)  # F3: to the wallet
    assert checkout.focusWidget() is checkout.wallet_edit
    type_text(checkout.wallet_edit, "30000")
    assert "C62828" in checkout.wallet_cap_label.styleSheet()  # red: over the cap
    with qtbot.waitSignal(checkout.refused, timeout=10_000) as refused:
        QTest.keyClick(checkout.wallet_edit, Qt.Key.Key_Return)
    assert refused.args == ["wallet_over_cap"]
    shown = plain(checkout.refusal_banner.title_label.text())
    refusal = ClubError("wallet_over_cap", requested=300_000, allowed=200_000)
    assert shown == plain(club_error_text(refusal, lang))
    if lang == "en":
        assert shown == "At most 20,000 Toman of the wallet can be spent on this sale (asked: 30,000 Toman)."
    else:
        assert "۲۰٬۰۰۰ تومان" in shown and "ریال" not in shown
    checkout.wallet_edit.selectAll()
    type_text(checkout.wallet_edit, "15000")
    assert "C62828" not in checkout.wallet_cap_label.styleSheet()
    assert plain(checkout.wallet_pay_value.text()) == plain(toman_text(150_000, lang))
    assert plain(checkout.pay_value.text()) == plain(toman_text(850_000, lang))
    assert plain(checkout.earn_value.text()) == number(8, lang)  # earned on what is paid: 85,000 Toman
    assert plain(toman_text(17_000, lang)) in plain(checkout.cashback_value.text())  # 2 % of it
    result = record(qtbot, checkout, Qt.Key.Key_Enter)
    assert (result.wallet_spent_rials, result.paid_rials, result.cashback_rials) == (150_000, 850_000, 17_000)
    assert result.balance.wallet_rials == 200_000 - 150_000 + 17_000
    receipt = running.window.receipt
    qtbot.waitUntil(lambda: not running.ctx.tasks.busy())
    assert plain(toman_text(150_000, lang)) in plain(receipt.wallet_label.text())
    assert plain(toman_text(850_000, lang)) in plain(receipt.paid_label.text())
    assert plain(receipt.wallet_balance_label.text()) == (
        f"کیف پول: {plain(toman_text(67_000, lang))}" if lang == "fa" else "Wallet: 6,700 Toman"
    )
    cashback = plain(receipt.cashback_label.text())
    assert plain(toman_text(17_000, lang)) in cashback
    if lang == "en":
        assert cashback == "Cashback: +1,700 Toman to the wallet, spendable from tomorrow"


# ---------------------------------------------------------------------------------------------- the views


@pytest.fixture
def checkout(qtbot, ctx):
    ctx.session.log_in(CASHIER)
    widget = CheckoutView(ctx)
    qtbot.addWidget(widget)
    widget.resize(1180, 720)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


@pytest.fixture
def receipt(qtbot, ctx):
    ctx.session.log_in(CASHIER)
    widget = ReceiptView(ctx)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def start(qtbot, view: CheckoutView, club, member_id: str, *, earn_only: bool = False) -> None:
    profile = find_member(club.terminal, member_id)
    with club.terminal.db.read() as conn:
        branch = club_store.branch(conn, club.terminal.branch_id)
    view.start(profile, branch, profile.tier, earn_only)
    qtbot.waitUntil(lambda: not view.ctx.tasks.busy())


def shown(qtbot, view: ReceiptView, result, member) -> None:
    view.show_sale(result, member)
    qtbot.waitUntil(lambda: not view.ctx.tasks.busy())


@pytest.mark.usefixtures("rules")
def test_a_category_campaign_previews_and_applies(qtbot, checkout, receipt, club, lang):
    start(qtbot, checkout, club, club.john.id)
    combo = checkout.category_combo
    assert combo.isVisible() and checkout.category is None  # none chosen by default
    names = [plain(combo.itemText(i)) for i in range(combo.count())]
    assert names == (["بدون دسته", "پوشاک", "لوازم آرایشی", "مواد غذایی"] if lang == "fa" else
                     ["No category", "Clothing", "Cosmetics", "Food"])  # fmt: skip
    running_now = plain(checkout.campaigns_hint.text())
    assert ("۵۰ امتیاز هدیه لوازم آرایشی" if lang == "fa" else "50 bonus points on cosmetics") in running_now
    type_text(checkout.amount_edit, "250000")
    assert checkout.points_to_earn == 25 and not checkout.campaigns_label.isVisible()
    QTest.keyClick(checkout.amount_edit, Qt.Key.Key_F4)  # F4: to the category, then the next one
    assert checkout.focusWidget() is combo and checkout.category is None
    QTest.keyClick(combo, Qt.Key.Key_F4)
    QTest.keyClick(combo, Qt.Key.Key_F4)
    assert checkout.category == "cosmetics"
    assert checkout.points_to_earn == 75 and plain(checkout.earn_value.text()) == number(75, lang)
    assert checkout.campaigns_label.isVisible()
    assert ("۵۰ امتیاز هدیه لوازم آرایشی" if lang == "fa" else "50 bonus points on cosmetics") in plain(
        checkout.campaigns_label.text()
    )
    with qtbot.waitSignal(checkout.sale_recorded, timeout=10_000) as recorded:
        QTest.keyClick(combo, Qt.Key.Key_Return)
    result = recorded.args[0]
    assert result.campaigns == ("cosmetics50",) and result.points_earned == 75
    shown(qtbot, receipt, result, club.john)
    campaigns = plain(receipt.campaigns_label.text())
    assert campaigns == ("کمپین‌ها: ۵۰ امتیاز هدیه لوازم آرایشی" if lang == "fa" else
                         "Campaigns: 50 bonus points on cosmetics")  # fmt: skip


@pytest.mark.usefixtures("rules")
def test_tab_reaches_the_wallet_and_the_category(qtbot, checkout, club):
    sale(days_ago(club.terminal, 1), club.john.id, 1_000_000)
    start(qtbot, checkout, club, club.john.id)
    type_text(checkout.amount_edit, "100000")
    checkout.amount_edit.setFocus()
    seen = []
    for _ in range(6):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert checkout.wallet_edit in seen and checkout.category_combo in seen
    assert seen.index(checkout.wallet_edit) < seen.index(checkout.category_combo)


@pytest.mark.usefixtures("rules")
def test_earn_only_cannot_spend_the_wallet(qtbot, checkout, club):
    sale(days_ago(club.terminal, 1), club.john.id, 1_000_000)
    start(qtbot, checkout, club, club.john.id, earn_only=True)
    type_text(checkout.amount_edit, "100000")
    assert not checkout.wallet_edit.isEnabled() and checkout.wallet_cap == 0 and checkout.wallet_rials == 0


def test_without_a_programme_there_is_no_wallet_or_category(qtbot, checkout, club):
    start(qtbot, checkout, club, club.maryam.id)
    assert checkout.programme is None
    for widget in (checkout.wallet_edit, checkout.category_combo, checkout.cashback_value):
        assert not widget.isVisible()


def test_bonuses_and_cashback_on_the_receipt(qtbot, receipt, club, rules, lang):
    today = datetime.now(timezone(timedelta(minutes=210))).date()
    born = date(1990, today.month, min(today.day, 28))
    birthday = enroll_member(
        club.terminal, EnrollRequest(name="Sara Birthday", phone="09120000001", birth_date=born)
    )
    result = sale(club.terminal, birthday.member.id, 500_000)
    assert any(key.startswith("birthday:") for key, _points in result.bonuses)
    shown(qtbot, receipt, result, birthday.member)
    bonuses = plain(receipt.bonuses_label.text())
    if lang == "fa":
        assert bonuses == "پاداش‌ها: پاداش تولد +۲۰۰"
    else:
        assert bonuses == "Bonuses: Birthday bonus +200"
    assert plain(toman_text(result.cashback_rials, lang)) in plain(receipt.cashback_label.text())
    assert not receipt.celebration.isVisible()


# ---------------------------------------------------------------------------------------------- the survey


def test_the_survey_rates_once_with_its_bonus(qtbot, receipt, club, rules, lang):
    result = sale(club.terminal, club.john.id, 500_000)
    shown(qtbot, receipt, result, club.john)
    assert receipt.survey_caption.isVisible()
    assert plain(receipt.survey_caption.text()) == (
        "چطور بود؟ از ۱ تا ۵" if lang == "fa" else "How was it? Rate 1–5"
    )
    assert [plain(b.text()) for b in receipt.rating_buttons] == [f"★ {number(n, lang)}" for n in range(1, 6)]
    assert all(b.isVisible() and b.height() >= 48 for b in receipt.rating_buttons)
    with qtbot.waitSignal(receipt.rated, timeout=10_000) as rated:
        QTest.keyClick(receipt, Qt.Key.Key_4)
    assert rated.args[0].points == 10
    thanks = plain(receipt.survey_result.text())
    assert thanks == ("+۱۰ امتیاز، سپاس!" if lang == "fa" else "+10 points, thank you!")
    assert not receipt.survey_caption.isVisible()
    assert not any(b.isVisible() for b in receipt.rating_buttons)
    assert plain(points_text(result.balance.points + 10, lang)) in plain(receipt.balance_label.text())
    QTest.keyClick(receipt, Qt.Key.Key_5)  # once rated, a key does nothing
    assert not receipt.ctx.tasks.busy()
    with club.terminal.db.read() as conn:
        ratings = [
            e.reason for e in ledger.member_entries(conn, club.john.id) if e.reason and "rating" in e.reason
        ]
    assert ratings == ["rating 4"]


def test_a_second_survey_the_same_day_only_thanks(qtbot, receipt, club, rules, lang):
    first = sale(club.terminal, club.john.id, 500_000)
    assert rate_sale(club.terminal, first.sale_id, 5, CASHIER).points == 10
    second = sale(club.terminal, club.john.id, 500_000)
    shown(qtbot, receipt, second, club.john)
    with qtbot.waitSignal(receipt.rated, timeout=10_000):
        type_text(receipt, "۲" if lang == "fa" else "2")  # the digits of either keyboard
    assert plain(receipt.survey_result.text()) == ("سپاس!" if lang == "fa" else "Thank you!")
    assert not any(b.isVisible() for b in receipt.rating_buttons)


def test_a_purchase_rated_already_says_so_and_the_buttons_go(qtbot, receipt, club, rules, lang):
    result = sale(club.terminal, club.john.id, 500_000)
    shown(qtbot, receipt, result, club.john)
    rate_sale(club.terminal, result.sale_id, 3, CASHIER)  # at another screen meanwhile
    qtbot.mouseClick(receipt.rating_buttons[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not receipt.ctx.tasks.busy())
    expected = plain(club_error_text(ClubError("survey_already_answered", sale=result.sale_id), lang))
    assert plain(receipt.survey_result.text()) == expected
    assert expected == ("برای این خرید پیش‌تر نظر ثبت شده است." if lang == "fa" else
                        "This purchase has already been rated.")  # fmt: skip
    assert not any(b.isVisible() for b in receipt.rating_buttons)


def test_no_survey_without_a_programme(qtbot, receipt, club):
    result = record_sale(club.terminal, SaleRequest(club.john.id, 5_000_000, staff=CASHIER))
    shown(qtbot, receipt, result, club.john)
    assert not receipt.survey_caption.isVisible() and not any(b.isVisible() for b in receipt.rating_buttons)
    QTest.keyClick(receipt, Qt.Key.Key_3)
    assert not receipt.ctx.tasks.busy()
    for label in (receipt.wallet_balance_label, receipt.cashback_label, receipt.bonuses_label):
        assert not label.isVisible()
