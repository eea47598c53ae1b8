# SPDX-License-Identifier: GPL-3.0-or-later
"""The branch's day report on screen, from F8's manager tools: a manager sees today's figures in the
window's language; a cashier is told it is a manager's."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from app.services.checkout import SaleRequest, record_sale
from app.services.returns import ReturnRequest, return_sale
from app.ui.dialogs.day_report import DayReportDialog
from tests.support.club import CASHIER, MANAGER

BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069\u202a\u202b\u202c"))


@pytest.fixture
def host(qtbot, ctx):
    widget = QWidget()
    qtbot.addWidget(widget)
    yield widget
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def shown(qtbot, ctx, host) -> DayReportDialog:
    dialog = DayReportDialog(ctx, host)
    dialog.show()
    qtbot.waitUntil(lambda: not ctx.tasks.busy())  # read on the worker
    return dialog


def test_a_manager_sees_the_day_per_staff_member(qtbot, ctx, club, host, lang):
    # the club fixture's sale (5,200,000 Toman, no staff) and two more: one Kian's, half returned
    record_sale(club.terminal, SaleRequest(club.john.id, 3_000_000, invoice_ref="F-9", staff=CASHIER))
    return_sale(club.terminal, ReturnRequest("F-9", 1_000_000, staff=CASHIER))
    ctx.session.log_in(MANAGER)
    dialog = shown(qtbot, ctx, host)
    text = dialog.body.toPlainText().translate(BIDI_MARKS)
    if lang == "fa":
        assert "جمع شعبه" in text and "فروش خالص" in text and "بدون کارمند" in text
        assert "۵٬۴۰۰٬۰۰۰ تومان" in text  # 52,000,000 + 2,000,000 rials net
    else:
        assert "Branch total" in text and "No staff member" in text and CASHIER.name in text
        assert "5,400,000 Toman" in text and "200,000 Toman" in text  # net sales; Kian's net
    assert dialog.day is not None and dialog.day.report.branch.returns == 1
    # the window's language switched while it shows: the same figures, in the other language
    ctx.session.set_language("en" if lang == "fa" else "fa")
    assert ("Branch total" in dialog.body.toPlainText()) == (lang == "fa")


def test_a_cashier_is_told_it_is_a_managers(qtbot, ctx, host):
    ctx.session.log_in(CASHIER)
    dialog = shown(qtbot, ctx, host)
    assert dialog.day is None and dialog.body.toPlainText() == ""
    assert dialog.message_label.text()


def test_the_window_opens_it_for_a_manager(qtbot, running):
    running.ctx.session.log_in(MANAGER)
    dialog = running.window.open_day_report()
    qtbot.waitUntil(lambda: not running.ctx.tasks.busy())
    assert isinstance(dialog, DayReportDialog) and dialog.isVisible()
    assert dialog.day is not None and dialog.day.report.branch.purchases == 1
    dialog.close()
