# SPDX-License-Identifier: GPL-3.0-or-later
"""Language, direction and fonts, decided once at start-up and switched live (F10).

Persian is the default: right-to-left layout and Vazirmatn. English is one key away. Source strings are
English; `bashgah_fa.qm` (built by `make i18n` into the package resources) translates them, and Qt's own
`qtbase_fa.qm` (shipped with PySide6) translates Qt's standard buttons, dialogs and context menus.
"""

from __future__ import annotations

import importlib.resources
import logging
from pathlib import Path

import PySide6
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, Qt, QTranslator
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
    """Installs the translators for a language and sets the layout direction to match."""

    def __init__(self, app: QApplication) -> None:
        self._app = app
        self._installed: list[QTranslator] = []
        self._loaded: dict[str, list[QTranslator]] = {}  # loaded once, installed at each switch (F10)

    def apply(self, lang: str) -> None:
        for translator in self._installed:
            QCoreApplication.removeTranslator(translator)
        self._installed = []
        for translator in self._translators(lang):
            QCoreApplication.installTranslator(translator)
            self._installed.append(translator)
        QLocale.setDefault(QLocale(QLocale.Language.Persian if lang == "fa" else QLocale.Language.English))
        self._app.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if lang == "fa" else Qt.LayoutDirection.LeftToRight
        )

    def _translators(self, lang: str) -> list[QTranslator]:
        if lang != "fa":
            return []  # the source strings, ours and Qt's, are English
        if lang not in self._loaded:
            # Qt's first, ours last: the last installed is asked first, so our wording wins where both speak
            wanted = (
                (qt_qm_path(lang), "no Qt translation for Persian found: Qt's own buttons stay English"),
                (qm_path(lang), "no Persian translation found (run `make i18n`)"),
            )
            self._loaded[lang] = [t for path, missing in wanted if (t := _load(path, missing)) is not None]
        return self._loaded[lang]


def _load(path: str | None, missing: str) -> QTranslator | None:
    translator = QTranslator()
    if path is not None and translator.load(path):
        return translator
    log.warning(missing)
    return None


def qm_path(lang: str) -> str:
    return str(importlib.resources.files("app.resources") / "i18n" / f"bashgah_{lang}.qm")


def qt_qm_path(lang: str) -> str | None:
    """Qt's own translation of its widgets (`qtbase_fa.qm`), or None when this Qt has none.

    QLibraryInfo knows where PySide6 keeps it, in a virtualenv and in a PyInstaller bundle alike
    (`PySide6/Qt/translations`); the folder next to the PySide6 package is the fallback should a bundle's
    Qt prefix point elsewhere."""
    name = f"qtbase_{lang}.qm"
    folders = (
        Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
        Path(PySide6.__file__).parent / "Qt" / "translations",
    )
    return next((str(folder / name) for folder in folders if (folder / name).is_file()), None)
