# SPDX-License-Identifier: GPL-3.0-or-later
"""Qt's own widgets speak the window's language: `qtbase_fa.qm` from PySide6 is loaded with ours, so the
standard buttons of a dialog (OK, Cancel, Yes, No) and a text field's context menu are Persian in a
Persian window, and English again after F10."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from app.ui.i18n import qt_qm_path

Button = QDialogButtonBox.StandardButton


def button_texts(box: QDialogButtonBox | QMessageBox) -> dict[str, str]:
    """Each standard button's text by the button's name ("Ok", "Cancel", …), without its & shortcut mark."""
    return {box.standardButton(button).name: button.text().replace("&", "") for button in box.buttons()}


def test_pyside6_ships_qts_persian_translation():
    path = qt_qm_path("fa")
    assert path is not None and Path(path).name == "qtbase_fa.qm" and Path(path).stat().st_size > 0


@pytest.mark.parametrize("lang", ["fa"])
def test_qts_standard_buttons_follow_the_windows_language(running, qtbot):
    buttons = QDialogButtonBox(Button.Ok | Button.Cancel)
    answers = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    question = QMessageBox(QMessageBox.Icon.Question, "?", "?", answers)
    qtbot.addWidget(buttons)
    qtbot.addWidget(question)
    assert button_texts(buttons) == {"Ok": "تأیید", "Cancel": "انصراف"}
    assert button_texts(question) == {"Yes": "بله", "No": "نه"}
    assert QCoreApplication.translate("QLineEdit", "Select All") == "انتخاب همه"

    QTest.keyClick(running.window, Qt.Key.Key_F10)  # the window's language key: to English
    assert running.ctx.session.lang == "en"
    qtbot.waitUntil(lambda: button_texts(buttons) == {"Ok": "OK", "Cancel": "Cancel"})
    qtbot.waitUntil(lambda: button_texts(question) == {"Yes": "Yes", "No": "No"})
    assert QCoreApplication.translate("QLineEdit", "Select All") == "Select All"

    QTest.keyClick(running.window, Qt.Key.Key_F10)  # and back: the translators are installed again
    qtbot.waitUntil(lambda: button_texts(buttons) == {"Ok": "تأیید", "Cancel": "انصراف"})
    running.language.apply("en")  # leave the shared QApplication as the next test expects it
