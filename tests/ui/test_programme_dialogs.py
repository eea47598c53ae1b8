# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's programme at the counter: a membership card bought down with points (and renewed), a reward
given for points, a manager's brand-ambassador grant — real dialogs offscreen, in both languages, with
what they say on screen and what the store holds afterwards."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.domain.programme import US_PER_DAY, RuleSet
from app.format import date_text, local_datetime, number, points_text, toman_text
from app.services.bonuses import grant_ambassador
from app.services.demo_programme import demo_rules
from app.services.identify import find_member
from app.services.membership import buy_membership
from app.services.rewards import catalogue, redeem_reward
from app.store import club as club_store
from app.store import ledger, programme, sync_state
from app.ui.dialogs.manager import OverrideDialog
from app.ui.dialogs.membership import MembershipDialog
from app.ui.dialogs.programme import AmbassadorDialog
from app.ui.dialogs.rewards import RewardsDialog
from app.ui.messages import club_error_text
from sync.rules import to_body
from tests.support.club import CASHIER, CASHIER_PIN, MANAGER, MANAGER_PIN

BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))
TOMAN = 10
# Rule-set versions of their own: app.store.programme keeps each version it parsed for the process,
# so a rule set that differs from the demo's must not share a number with it.
DEMO_VERSION, ONE_MUG_VERSION = 701, 702


def plain(text: str) -> str:
    return text.translate(BIDI_MARKS)


def install(club, rules: RuleSet | None = None) -> RuleSet:
    """Give the test club a published programme: the demo's (B1 and B2 are its branches) unless told."""
    terminal = club.terminal
    rules = rules or demo_rules(("B1", "B2"), date.today(), version=DEMO_VERSION)
    with terminal.db.write() as conn:
        programme.put(conn, rules, to_body(rules), terminal.clock.now_us())
    return rules


def one_mug_left() -> RuleSet:
    """The demo programme with a single mug at the first branch."""
    rules = demo_rules(("B1", "B2"), date.today(), version=ONE_MUG_VERSION)
    mug, *others = rules.rewards
    return dataclasses.replace(rules, rewards=(dataclasses.replace(mug, stock=(("B1", 1),)), *others))


@pytest.fixture
def host(qtbot, ctx):
    """A cashier at the till; the dialogs delete themselves when closed, their parent is the test's."""
    ctx.session.log_in(CASHIER)
    widget = QWidget()
    qtbot.addWidget(widget)
    yield widget
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def opened(qtbot, ctx, club, host, dialog_type, *, member=None, **kwargs):
    profile = find_member(club.terminal, (member or club.maryam).id)
    dialog = dialog_type(ctx, profile, parent=host, **kwargs)
    dialog.show()
    qtbot.waitUntil(lambda: not ctx.tasks.busy())  # what the dialog shows is read on the worker
    return dialog


def enter(qtbot, ctx, widget, times=1):
    for _ in range(times):  # synchronous: the second Enter arrives while the first is written
        QTest.keyClick(widget, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def twice(qtbot, ctx, field, dialog):
    """Enter in the field, and Enter again on the dialog before the first answer is back."""
    QTest.keyClick(field, Qt.Key.Key_Return)
    dialog.accept()  # what Enter on its default button does, were the button not disabled while busy
    QTest.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def entries(club, member=None):
    with club.terminal.db.read() as conn:
        return ledger.member_entries(conn, (member or club.maryam).id)


def of_kind(club, kind):
    return [e for e in entries(club) if e.kind is kind]


def balance(club, member=None):
    return find_member(club.terminal, (member or club.maryam).id).balance.points


def day(at_us, lang):
    return date_text(local_datetime(at_us).date(), lang)


# ---------------------------------------------------------------------------------------------- membership


def test_the_seeds_example_300_points_take_a_silver_card_to_7_000_000_toman(qtbot, ctx, club, host, lang):
    install(club)
    dialog = opened(qtbot, ctx, club, host, MembershipDialog)
    assert dialog.select_plan("silver_card")
    assert balance(club) == 520
    # the points move in whole steps of 100, up to what the member may use: 500 of 520 (50 % off at most)
    assert (dialog.points_spin.singleStep(), dialog.points_spin.maximum()) == (100, 500)
    assert plain(points_text(500, lang)) in plain(dialog.cap_label.text())
    dialog.points_spin.stepBy(3)
    assert dialog.points_spin.value() == 300
    assert plain(dialog.list_value.text()) == plain(toman_text(10_000_000 * TOMAN, lang))
    assert plain(dialog.discount_value.text()) == plain(toman_text(3_000_000 * TOMAN, lang))
    assert plain(dialog.pay_value.text()) == plain(toman_text(7_000_000 * TOMAN, lang))
    assert number(7_000_000, lang) in plain(dialog.pay_value.text())

    answers = []
    dialog.membership_bought.connect(answers.append)
    with qtbot.waitSignal(dialog.membership_bought, timeout=10_000) as bought:
        twice(qtbot, ctx, dialog.points_spin, dialog)
    result = bought.args[0]
    assert answers == [result] and not result.replayed  # run once: the second Enter found it busy
    assert (result.price.pay_rials, result.price.points_used, result.points_balance) == (
        7_000_000 * TOMAN, 300, 220,
    )  # fmt: skip
    (purchase,) = of_kind(club, EntryKind.MEMBERSHIP_PURCHASE)
    (redeem,) = of_kind(club, EntryKind.REDEEM)
    assert (purchase.invoice_ref, purchase.sale_amount, purchase.discount_rials) == (
        "silver_card", 7_000_000 * TOMAN, 3_000_000 * TOMAN,
    )  # fmt: skip
    assert (redeem.points_delta, redeem.invoice_ref) == (-300, "silver_card")
    assert balance(club) == 220
    assert result.term.ends_us == purchase.created_at_us + 365 * US_PER_DAY
    said = plain(dialog.message)
    assert day(result.term.ends_us, lang) in said and plain(points_text(220, lang)) in said
    assert plain(toman_text(7_000_000 * TOMAN, lang)) in said
    if lang == "fa":
        assert day(result.term.ends_us, lang)[:2] == "۱۴"  # a Jalali year, in Persian digits
    with qtbot.waitSignal(dialog.finished):  # after the result, Enter closes
        enter(qtbot, ctx, dialog)
    assert len(of_kind(club, EntryKind.MEMBERSHIP_PURCHASE)) == 1


def test_buying_the_running_card_again_renews_it_until_a_later_date(qtbot, ctx, club, host, lang):
    install(club)
    first = buy_membership(club.terminal, club.maryam.id, "silver_card", staff=CASHIER)
    dialog = opened(qtbot, ctx, club, host, MembershipDialog)
    assert dialog.selected_plan.code == "silver_card"  # the running card is offered first
    assert day(first.term.ends_us, lang) in plain(dialog.intro_label.text())
    renewed_until = first.term.ends_us + 365 * US_PER_DAY
    expected = dialog.tr("Renews the running card until {date}.").format(date=day(renewed_until, lang))
    assert plain(dialog.term_label.text()) == expected
    with qtbot.waitSignal(dialog.membership_bought, timeout=10_000) as bought:
        enter(qtbot, ctx, dialog.plan_list)
    assert bought.args[0].term.ends_us == renewed_until
    said = dialog.tr("{card} renewed: it now runs until {date}.").format(
        card=dialog.plan_name(dialog.offer.plan("silver_card")), date=day(renewed_until, lang)
    )
    assert plain(dialog.message).startswith(said)
    assert len(of_kind(club, EntryKind.MEMBERSHIP_PURCHASE)) == 2
    assert of_kind(club, EntryKind.REDEEM) == [] and balance(club) == 520


def test_another_card_replaces_the_running_one(qtbot, ctx, club, host, lang):
    install(club)
    buy_membership(club.terminal, club.maryam.id, "silver_card", staff=CASHIER)
    dialog = opened(qtbot, ctx, club, host, MembershipDialog)
    dialog.select_plan("gold_card")
    assert plain(dialog.list_value.text()) == plain(toman_text(20_000_000 * TOMAN, lang))
    assert "Renews" not in dialog.term_label.text()
    gold = dialog.plan_list.currentItem()
    assert gold.text(dialog.TIER) == ("طلایی" if lang == "fa" else "Gold")


def test_points_out_of_step_are_refused_before_anything_is_written(qtbot, ctx, club, host, lang):
    install(club)
    dialog = opened(qtbot, ctx, club, host, MembershipDialog)
    dialog.points_spin.setValue(250)
    assert plain(dialog.pay_value.text()) == "—"
    enter(qtbot, ctx, dialog.points_spin)
    assert plain(dialog.message) == club_error_text(ClubError("points_not_whole_steps", step=100), lang)
    assert not dialog.done and of_kind(club, EntryKind.MEMBERSHIP_PURCHASE) == []


def test_escape_cancels_a_purchase(qtbot, ctx, club, host):
    install(club)
    dialog = opened(qtbot, ctx, club, host, MembershipDialog)
    dialog.points_spin.setValue(300)
    with qtbot.waitSignal(dialog.rejected):
        QTest.keyClick(dialog.points_spin, Qt.Key.Key_Escape)
    assert of_kind(club, EntryKind.MEMBERSHIP_PURCHASE) == [] and balance(club) == 520


def test_without_a_programme_no_card_is_on_sale(qtbot, ctx, club, host):
    dialog = opened(qtbot, ctx, club, host, MembershipDialog)
    assert plain(dialog.intro_label.text()) == dialog.tr("The club sells no membership cards.")
    assert not dialog.ok_button.isEnabled()


def test_offline_beyond_the_grant_a_manager_overrides_and_the_same_purchase_is_made(
    qtbot, ctx, club, host, lang
):
    """Enrolled with a server it cannot reach and no grant: the points are refused offline; F8 brings the
    manager's dialog (as at checkout) and, approved, the same request goes again with the override."""
    install(club)
    with club.terminal.db.write() as conn:
        sync_state.put(conn, sync_state.SERVER_URL, "http://club.invalid")
    dialog = opened(qtbot, ctx, club, host, MembershipDialog)
    dialog.select_plan("silver_card")
    dialog.points_spin.setValue(300)
    request_id = dialog.request_id
    enter(qtbot, ctx, dialog.points_spin)
    refusal = ClubError("offline_limit", allowance=0, requested=300)
    assert plain(dialog.message).startswith(plain(club_error_text(refusal, lang)))
    assert "F8" in dialog.message and dialog.awaiting_manager and dialog.override_button.isVisible()
    assert not dialog.points_spin.isEnabled()  # what the manager approves is what is bought
    assert of_kind(club, EntryKind.MEMBERSHIP_PURCHASE) == []

    QTest.keyClick(dialog, Qt.Key.Key_F8)
    override = dialog.findChild(OverrideDialog)
    assert override is not None and override.isVisible()
    qtbot.waitUntil(lambda: not ctx.tasks.busy())
    assert number(300, lang) in override.intro_label.text()
    override.approval.reason_edit.setText("A regular, known to the manager")
    override.approval.select_approver(MANAGER.id)
    override.approval.pin_edit.setText(MANAGER_PIN)
    with qtbot.waitSignal(dialog.membership_bought, timeout=10_000):
        enter(qtbot, ctx, override.approval.pin_edit)
    assert dialog.request_id == request_id
    kinds = sorted(e.kind for e in entries(club) if e.invoice_ref == "silver_card")
    assert kinds == sorted([EntryKind.MEMBERSHIP_PURCHASE, EntryKind.REDEEM, EntryKind.OVERRIDE])
    (written,) = of_kind(club, EntryKind.OVERRIDE)
    assert written.staff_id == MANAGER.id and balance(club) == 220


# ---------------------------------------------------------------------------------------------- rewards


def test_a_reward_is_given_and_its_stock_goes_down_on_screen_and_in_the_store(qtbot, ctx, club, host, lang):
    install(club)
    dialog = opened(qtbot, ctx, club, host, RewardsDialog)
    mug = dialog.item_of("mug")
    assert mug.text(dialog.LEFT) == number(20, lang) and mug.text(dialog.POINTS) == points_text(300, lang)
    assert mug.text(dialog.REWARD) == ("ماگ باشگاه" if lang == "fa" else "Club mug")
    assert not mug.isDisabled() and not dialog.item_of("cinema").isDisabled()  # 520 points: all of them
    assert dialog.select_reward("mug")
    answers = []
    dialog.reward_redeemed.connect(answers.append)
    with qtbot.waitSignal(dialog.reward_redeemed, timeout=10_000) as redeemed:
        twice(qtbot, ctx, dialog.reward_list, dialog)
    assert answers == [redeemed.args[0]]  # run once: the second Enter found it busy
    assert (redeemed.args[0].stock_left, redeemed.args[0].points_balance) == (19, 220)
    assert dialog.item_of("mug").text(dialog.LEFT) == number(19, lang)
    stock = {item.reward.code: item.stock_left for item in catalogue(club.terminal, club.maryam.id)}
    assert stock["mug"] == 19 and balance(club) == 220
    assert len(of_kind(club, EntryKind.REWARD)) == 1
    (redeem,) = of_kind(club, EntryKind.REDEEM)
    assert (redeem.points_delta, redeem.invoice_ref) == (-300, "reward:mug")
    said = plain(dialog.message)
    assert plain(points_text(220, lang)) in said and number(19, lang) in said
    # 220 points left: the cinema ticket (500) is still listed, but disabled, saying how many are missing
    cinema = dialog.item_of("cinema")
    assert cinema.isDisabled()
    assert cinema.text(dialog.NOTE) == dialog.tr("{points} short").format(points=points_text(280, lang))
    with qtbot.waitSignal(dialog.finished):
        enter(qtbot, ctx, dialog)
    assert len(of_kind(club, EntryKind.REWARD)) == 1


def test_an_out_of_stock_reward_is_shown_disabled_with_why(qtbot, ctx, club, host, lang):
    install(club, one_mug_left())
    redeem_reward(club.terminal, club.maryam.id, "mug", staff=CASHIER)  # the branch's only mug
    dialog = opened(qtbot, ctx, club, host, RewardsDialog)
    mug = dialog.item_of("mug")
    assert mug.isDisabled() and mug.text(dialog.LEFT) == number(0, lang)
    assert mug.text(dialog.NOTE) == dialog.tr("Out of stock here")
    assert not dialog.select_reward("mug")
    assert dialog.selected_reward is not None and dialog.selected_reward.code == "delivery"


def test_the_last_unit_given_disables_the_reward(qtbot, ctx, club, host, lang):
    install(club, one_mug_left())
    dialog = opened(qtbot, ctx, club, host, RewardsDialog)
    assert dialog.select_reward("mug")
    with qtbot.waitSignal(dialog.reward_redeemed, timeout=10_000):
        enter(qtbot, ctx, dialog.reward_list)
    mug = dialog.item_of("mug")
    assert mug.isDisabled() and mug.text(dialog.LEFT) == number(0, lang)
    assert mug.text(dialog.NOTE) == dialog.tr("Out of stock here")


def test_a_member_without_points_sees_every_reward_disabled(qtbot, ctx, club, host, lang):
    install(club)
    dialog = opened(qtbot, ctx, club, host, RewardsDialog, member=club.john)
    codes = ["mug", "delivery", "cinema"]
    assert all(dialog.item_of(code).isDisabled() for code in codes)
    assert dialog.item_of("delivery").text(dialog.NOTE) == dialog.tr("{points} short").format(
        points=points_text(150, lang)
    )
    enter(qtbot, ctx, dialog)
    assert plain(dialog.message) == dialog.tr("Choose a reward that can be given.")
    assert not any(e.kind is EntryKind.REWARD for e in entries(club, club.john))


def test_an_earn_only_card_spends_nothing(qtbot, ctx, club, host):
    install(club)
    rewards = opened(qtbot, ctx, club, host, RewardsDialog, earn_only=True)
    assert rewards.item_of("mug").text(rewards.NOTE) == rewards.tr("This card can only earn points")
    assert rewards.selected_reward is None
    rewards.close()
    card = opened(qtbot, ctx, club, host, MembershipDialog, earn_only=True)
    assert card.points_spin.maximum() == 0
    assert plain(card.pay_value.text()) == plain(toman_text(10_000_000 * TOMAN, ctx.session.lang))


# ---------------------------------------------------------------------------------------------- ambassador


def approve(dialog, staff, pin, reason="Spoke for the club at the fair"):
    dialog.approval.reason_edit.setText(reason)
    dialog.approval.select_approver(staff.id)
    dialog.approval.pin_edit.setText(pin)


def bonuses(club):
    return of_kind(club, EntryKind.BONUS)


def test_an_ambassador_grant_with_a_managers_pin(qtbot, ctx, club, host, lang):
    install(club)
    dialog = opened(qtbot, ctx, club, host, AmbassadorDialog)
    assert dialog.approval.approver == MANAGER  # the cashier at the till may not grant
    assert dialog.points_spin.maximum() == 1_000
    caps = plain(dialog.cap_label.text())
    assert plain(points_text(1_000, lang)) in caps and plain(points_text(5_000, lang)) in caps
    dialog.points_spin.setValue(200)
    approve(dialog, MANAGER, MANAGER_PIN)
    with qtbot.waitSignal(dialog.ambassador_granted, timeout=10_000) as granted:
        enter(qtbot, ctx, dialog.approval.pin_edit, times=2)
    assert (granted.args[0].points, granted.args[0].points_balance) == (200, 720)
    (grant,) = bonuses(club)
    assert (grant.points_delta, grant.staff_id, grant.reason) == (
        200,
        MANAGER.id,
        "Spoke for the club at the fair",
    )
    assert grant.invoice_ref.startswith("ambassador:") and balance(club) == 720
    assert plain(points_text(720, lang)) in plain(dialog.approval.message_label.text())


def test_the_ambassador_cap_is_shown_and_a_grant_over_it_refused(qtbot, ctx, club, host, lang):
    install(club)
    for points in (1_000, 1_000, 1_000, 1_000, 800):  # 4,800 of the 5,000 a member may have in 30 days
        grant_ambassador(club.terminal, club.maryam.id, points, "fair", MANAGER)
    before = balance(club)
    dialog = opened(qtbot, ctx, club, host, AmbassadorDialog)
    assert dialog.cap.now == 200
    assert plain(dialog.cap_label.text()).startswith(plain(dialog._cap_text()))
    assert plain(points_text(200, lang)) in plain(dialog.cap_label.text())
    dialog.points_spin.setValue(500)
    approve(dialog, MANAGER, MANAGER_PIN)
    enter(qtbot, ctx, dialog.approval.pin_edit)
    refusal = ClubError("bonus_over_cap", requested=500, allowed=200)
    assert plain(dialog.approval.message_label.text()) == plain(club_error_text(refusal, lang))
    assert len(bonuses(club)) == 5 and balance(club) == before and dialog.isVisible()


def test_an_ambassador_grant_needs_a_reason_before_the_pin_is_tried(qtbot, ctx, club, host, lang):
    install(club)
    dialog = opened(qtbot, ctx, club, host, AmbassadorDialog)
    dialog.points_spin.setValue(100)
    approve(dialog, MANAGER, "0000", reason="   ")
    enter(qtbot, ctx, dialog.approval.pin_edit)
    assert plain(dialog.approval.message_label.text()) == club_error_text(ClubError("reason_required"), lang)
    with club.terminal.db.read() as conn:
        assert club_store.pin_state(conn, MANAGER.id)[0] == 0  # no wrong PIN was counted
    assert bonuses(club) == []


def test_a_cashier_may_not_grant_ambassador_points(qtbot, ctx, club, host, lang):
    install(club)
    dialog = opened(qtbot, ctx, club, host, AmbassadorDialog)
    dialog.points_spin.setValue(100)
    approve(dialog, CASHIER, CASHIER_PIN)
    enter(qtbot, ctx, dialog.approval.pin_edit)
    refusal = ClubError("not_permitted", staff=CASHIER.name, role="cashier", action="adjust_balance")
    assert plain(dialog.approval.message_label.text()) == plain(club_error_text(refusal, lang))
    assert bonuses(club) == []


# ---------------------------------------------------------------------------------------------- the window


def test_f3_and_f4_on_the_member_screen_open_the_programme_dialogs(qtbot, running, club):
    install(club)
    window = running.window
    with qtbot.waitSignal(window.member_shown, timeout=5000):
        window.open_member(club.maryam.id)
    QTest.keyClick(window.member, Qt.Key.Key_F3)
    dialog = window.member_dialog()
    assert isinstance(dialog, MembershipDialog)
    qtbot.waitUntil(lambda: not running.ctx.tasks.busy())
    with qtbot.waitSignal(window.member_shown, timeout=5000):  # closed: the member is read again
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
    QTest.keyClick(window.member, Qt.Key.Key_F4)
    dialog = window.member_dialog()
    assert isinstance(dialog, RewardsDialog)
    qtbot.waitUntil(lambda: not running.ctx.tasks.busy())
    assert dialog.item_of("mug") is not None
    with qtbot.waitSignal(window.member_shown, timeout=5000):
        QTest.keyClick(dialog, Qt.Key.Key_Escape)


def test_f3_does_nothing_away_from_the_member_screen(running, club):
    install(club)
    QTest.keyClick(running.window.idle, Qt.Key.Key_F3)
    assert running.window.member_dialog() is None


def test_a_manager_opens_the_ambassador_grant_on_the_member_shown(qtbot, running, club):
    install(club)
    window = running.window
    with qtbot.waitSignal(window.member_shown, timeout=5000):
        window.open_member(club.maryam.id)
    window.open_ambassador()
    dialog = window.member_dialog()
    assert isinstance(dialog, AmbassadorDialog) and dialog.profile.member.id == club.maryam.id
    qtbot.waitUntil(lambda: not running.ctx.tasks.busy())
    with qtbot.waitSignal(window.member_shown, timeout=5000):
        QTest.keyClick(dialog.approval.reason_edit, Qt.Key.Key_Escape)
