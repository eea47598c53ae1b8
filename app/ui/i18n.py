# SPDX-License-Identifier: GPL-3.0-or-later
"""Language, direction and fonts, decided once at start-up and switched live (F10).

Persian is the default: right-to-left layout and Vazirmatn. English is one key away. Source strings are
English; `bashgah_fa.qm` (built by `make i18n` into the package resources) translates them.
"""

from __future__ import annotations

import importlib.resources
import logging

from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)
FONT_FILES = ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf")
BASE_POINT_SIZE = 13  # readable at arm's length on a counter screen


def install_fonts(app: QApplication) -> str:
    """Load the bundled Vazirmatn and make it the window's font; returns the family used."""
    folder = importlib.resources.files("app.resources") / "fonts"
    family = ""
    for name in FONT_FILES:
        data = (folder / name).read_bytes()
        font_id = QFontDatabase.addApplicationFontFromData(data)
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        family = family or (families[0] if families else "")
    if family:
        app.setFont(QFont(family, BASE_POINT_SIZE))
    else:
        log.warning("Vazirmatn could not be loaded; Persian will use a fallback font")
    return family


class Language:
    """Installs the translator for a language and sets the layout direction to match."""

    def __init__(self, app: QApplication) -> None:
        self._app = app
        self._translator: QTranslator | None = None

    def apply(self, lang: str) -> None:
        if self._translator is not None:
            QCoreApplication.removeTranslator(self._translator)
            self._translator = None
        if lang == "fa":
            translator = QTranslator()
            if translator.load(qm_path("fa")):
                QCoreApplication.installTranslator(translator)
                self._translator = translator
            else:
                log.warning("no Persian translation found (run `make i18n`)")
        QLocale.setDefault(QLocale(QLocale.Language.Persian if lang == "fa" else QLocale.Language.English))
        self._app.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if lang == "fa" else Qt.LayoutDirection.LeftToRight
        )


def qm_path(lang: str) -> str:
    return str(importlib.resources.files("app.resources") / "i18n" / f"bashgah_{lang}.qm")
