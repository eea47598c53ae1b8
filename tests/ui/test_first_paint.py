# SPDX-License-Identifier: GPL-3.0-or-later
"""`after_first_paint`: once, after the first frame, or at the latest after a delay for a widget that is
never painted (the status bar's first count, the window's first frame)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from app.ui.first_paint import after_first_paint


def test_it_runs_once_just_after_the_first_paint_not_before(qtbot) -> None:
    label = QLabel("paint me")
    qtbot.addWidget(label)
    calls: list[str] = []
    after_first_paint(label, lambda: calls.append("then"), at_the_latest_ms=60_000)
    qtbot.wait(50)
    assert calls == []  # not shown, not painted, the delay far off
    label.show()
    qtbot.waitUntil(lambda: calls == ["then"])
    label.repaint()
    label.update()
    qtbot.wait(50)
    assert calls == ["then"]


def test_a_widget_never_painted_gets_it_at_the_latest_once(qtbot) -> None:
    label = QLabel("hidden")
    qtbot.addWidget(label)
    calls: list[str] = []
    after_first_paint(label, lambda: calls.append("then"), at_the_latest_ms=30)
    qtbot.waitUntil(lambda: calls == ["then"])
    label.show()  # painted after the delay ran: nothing more
    qtbot.waitExposed(label)
    label.repaint()
    qtbot.wait(50)
    assert calls == ["then"]


def test_nothing_runs_for_a_widget_deleted_before_its_paint(qtbot) -> None:
    label = QLabel("gone")
    calls: list[str] = []
    after_first_paint(label, lambda: calls.append("then"), at_the_latest_ms=30)
    label.deleteLater()
    qtbot.wait(100)
    assert calls == []
