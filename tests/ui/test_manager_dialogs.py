# SPDX-License-Identifier: GPL-3.0-or-later
"""Manager actions: reversing an entry and adjusting points, approved by a manager's PIN typed again.
The use cases decide who may: a cashier's own PIN is refused by them, not by a hidden button."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.format import number
from app.services.identify import find_member
from app.services.spending import SpendOverride
from app.store import club as club_store
from app.store import ledger
from app.ui.dialogs.manager import AdjustDialog, OverrideDialog, ReverseDialog
from app.ui.messages import club_error_text
from tests.support.club import CASHIER, CASHIER_PIN, MANAGER, MANAGER_PIN

BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))


def plain(text: str) -> str:
    return text.translate(BIDI_MARKS)


@pytest.fixture
def host(qtbot, ctx):
    """The dialogs delete themselves when closed; their parent is what the test owns."""
    ctx.session.log_in(CASHIER)  # a cashier at the till calls the manager over
    widget = QWidget()
    qtbot.addWidget(widget)
    yield widget
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def opened(qtbot, ctx, dialog_type, club, host):
    dialog = dialog_type(ctx, find_member(club.terminal, club.maryam.id), host)
    dialog.show()
    qtbot.waitUntil(lambda: not ctx.tasks.busy())  # the staff list is read on the worker
    return dialog


def approve(dialog, staff, pin, reason="Recorded on the wrong member"):
    dialog.approval.reason_edit.setText(reason)
    dialog.approval.select_approver(staff.id)
    dialog.approval.pin_edit.setText(pin)


def enter(qtbot, ctx, dialog, times=1):
    for _ in range(times):
        QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def the_sale(club):
    with club.terminal.db.read() as conn:
        return next(e for e in ledger.recent_for_member(conn, club.maryam.id) if e.kind is EntryKind.EARN)


def reversals(club, entry_id):
    with club.terminal.db.read() as conn:
        return ledger.reversals_of(conn, entry_id)


def message(dialog) -> str:
    return plain(dialog.approval.message_label.text())


# ---------------------------------------------------------------------------------------------- reverse


def test_reverse_with_a_managers_pin(qtbot, ctx, club, host, lang):
    dialog = opened(qtbot, ctx, ReverseDialog, club, host)
    sale = the_sale(club)
    assert dialog.select_entry(sale.id)
    approve(dialog, MANAGER, MANAGER_PIN)
    with qtbot.waitSignal(dialog.entry_reversed, timeout=10_000) as blocker:
        enter(qtbot, ctx, dialog, times=2)  # a second Enter while it is written changes nothing
    result = blocker.args[0]
    assert (result.reverses, result.points_delta, result.balance.points) == (sale.id, -520, 0)
    assert len(reversals(club, sale.id)) == 1
    assert number(520, lang) in message(dialog)
    with qtbot.waitSignal(dialog.finished):  # after the result, Enter closes
        enter(qtbot, ctx, dialog)


def test_a_cashiers_own_pin_is_refused_by_the_use_case(qtbot, ctx, club, host, lang):
    dialog = opened(qtbot, ctx, ReverseDialog, club, host)
    sale = the_sale(club)
    dialog.select_entry(sale.id)
    approve(dialog, CASHIER, CASHIER_PIN)
    enter(qtbot, ctx, dialog)
    refusal = ClubError("not_permitted", staff=CASHIER.name, role="cashier", action="reverse_entry")
    assert message(dialog) == plain(club_error_text(refusal, lang))
    assert reversals(club, sale.id) == [] and dialog.isVisible()
    assert dialog.approval.pin_edit.text() == ""  # a PIN is never left in the field


def test_the_approver_defaults_to_someone_who_may(qtbot, ctx, club, host):
    dialog = opened(qtbot, ctx, ReverseDialog, club, host)
    assert dialog.approval.approver == MANAGER  # the cashier at the till may not reverse


def test_a_cashiers_pin_under_the_managers_name_is_a_wrong_pin(qtbot, ctx, club, host, lang):
    dialog = opened(qtbot, ctx, ReverseDialog, club, host)
    dialog.select_entry(the_sale(club).id)
    approve(dialog, MANAGER, CASHIER_PIN)
    enter(qtbot, ctx, dialog)
    wrong_pin = ClubError("wrong_pin", staff=MANAGER.name, tries_left=4)
    assert message(dialog) == plain(club_error_text(wrong_pin, lang))


def test_a_reason_is_required(qtbot, ctx, club, host, lang):
    dialog = opened(qtbot, ctx, ReverseDialog, club, host)
    sale = the_sale(club)
    dialog.select_entry(sale.id)
    approve(dialog, MANAGER, MANAGER_PIN, reason="   ")
    enter(qtbot, ctx, dialog)
    assert message(dialog) == club_error_text(ClubError("reason_required"), lang)
    assert reversals(club, sale.id) == []


def test_an_entry_must_be_chosen(qtbot, ctx, club, host):
    dialog = opened(qtbot, ctx, ReverseDialog, club, host)
    approve(dialog, MANAGER, MANAGER_PIN)
    enter(qtbot, ctx, dialog)
    assert dialog.approval.message_label.isVisible() and dialog.selected_entry_id is None
    assert reversals(club, the_sale(club).id) == []


def test_escape_cancels(qtbot, ctx, club, host):
    dialog = opened(qtbot, ctx, ReverseDialog, club, host)
    with qtbot.waitSignal(dialog.rejected):
        QTest.keyClick(dialog.approval.reason_edit, Qt.Key.Key_Escape)


# ---------------------------------------------------------------------------------------------- adjust


def test_adjust_within_the_managers_limit(qtbot, ctx, club, host, lang):
    dialog = opened(qtbot, ctx, AdjustDialog, club, host)
    assert number(1_000, lang) in plain(dialog.limit_label.text())
    dialog.points_spin.setValue(50)
    approve(dialog, MANAGER, MANAGER_PIN, reason="Birthday gift missed")
    with qtbot.waitSignal(dialog.points_adjusted, timeout=10_000) as blocker:
        enter(qtbot, ctx, dialog, times=2)
    assert (blocker.args[0].points_delta, blocker.args[0].balance.points) == (50, 570)
    assert find_member(club.terminal, club.maryam.id).balance.points == 570


def test_adjust_over_the_limit_is_refused(qtbot, ctx, club, host, lang):
    dialog = opened(qtbot, ctx, AdjustDialog, club, host)
    dialog.points_spin.setValue(-1_500)
    approve(dialog, MANAGER, MANAGER_PIN)
    enter(qtbot, ctx, dialog)
    refusal = ClubError("adjust_over_limit", requested=1_500, limit=1_000, role="manager")
    assert message(dialog) == plain(club_error_text(refusal, lang))
    assert find_member(club.terminal, club.maryam.id).balance.points == 520


def test_a_cashier_may_not_adjust(qtbot, ctx, club, host, lang):
    dialog = opened(qtbot, ctx, AdjustDialog, club, host)
    dialog.approval.select_approver(CASHIER.id)
    assert "may not" in plain(dialog.limit_label.text()) or lang == "fa"
    dialog.points_spin.setValue(10)
    approve(dialog, CASHIER, CASHIER_PIN)
    enter(qtbot, ctx, dialog)
    refusal = ClubError("not_permitted", staff=CASHIER.name, role="cashier", action="adjust_balance")
    assert message(dialog) == plain(club_error_text(refusal, lang))


def test_adjust_needs_points_and_a_reason(qtbot, ctx, club, host, lang):
    dialog = opened(qtbot, ctx, AdjustDialog, club, host)
    approve(dialog, MANAGER, MANAGER_PIN)
    enter(qtbot, ctx, dialog)  # zero points: asked for a number, nothing run
    assert dialog.approval.message_label.isVisible()
    dialog.points_spin.setValue(5)
    approve(dialog, MANAGER, MANAGER_PIN, reason="")
    enter(qtbot, ctx, dialog)
    assert message(dialog) == club_error_text(ClubError("reason_required"), lang)
    assert find_member(club.terminal, club.maryam.id).balance.points == 520


# ---------------------------------------------------------------- override (offline, beyond the grant)


def opened_override(qtbot, ctx, club, host, points=500):
    dialog = OverrideDialog(ctx, find_member(club.terminal, club.maryam.id), 300, points=points, parent=host)
    dialog.show()
    qtbot.waitUntil(lambda: not ctx.tasks.busy())
    return dialog


def test_an_override_is_approved_by_a_managers_pin_and_reason(qtbot, ctx, club, host, lang):
    dialog = opened_override(qtbot, ctx, club, host)
    assert dialog.approval.approver == MANAGER  # the cashier may not: the first who may is offered
    assert number(500, lang) in dialog.intro_label.text() and number(300, lang) in dialog.intro_label.text()
    approve(dialog, MANAGER, MANAGER_PIN, reason="  a regular  ")
    with qtbot.waitSignal(dialog.override_approved, timeout=5000) as approved:
        QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Return)
    assert approved.args == [SpendOverride(MANAGER, "a regular")]
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_an_override_needs_a_reason_before_the_pin_is_tried(qtbot, ctx, club, host, lang):
    dialog = opened_override(qtbot, ctx, club, host)
    approve(dialog, MANAGER, "0000", reason="   ")
    enter(qtbot, ctx, dialog)
    said = plain(club_error_text(ClubError("override_needs_reason"), lang))
    assert plain(dialog.approval.message_label.text()) == said
    with club.terminal.db.read() as conn:
        assert club_store.pin_state(conn, MANAGER.id)[0] == 0  # no wrong PIN was counted


def test_a_cashier_may_not_override(qtbot, ctx, club, host, lang):
    dialog = opened_override(qtbot, ctx, club, host)
    approve(dialog, CASHIER, CASHIER_PIN)
    enter(qtbot, ctx, dialog)
    assert dialog.isVisible()
    assert plain(dialog.approval.message_label.text()) == plain(club_error_text(
        ClubError("not_permitted", staff=CASHIER.name, role="cashier", action="override_spend"), lang
    ))


def test_an_override_entry_is_listed_as_such_and_cannot_be_reversed(qtbot, ctx, club, host, overridden_sale):
    dialog = opened(qtbot, ctx, ReverseDialog, club, host)
    override_id = overridden_sale.entry_ids[2]
    assert not dialog.select_entry(override_id)  # disabled: it moved no points, it records who allowed
    items = [dialog.entry_list.topLevelItem(i) for i in range(dialog.entry_list.topLevelItemCount())]
    override = next(item for item in items if item.data(0, Qt.ItemDataRole.UserRole) == override_id)
    assert override.text(1) == dialog.tr("Manager override") and override.isDisabled()
