# SPDX-License-Identifier: GPL-3.0-or-later
"""The window's cold start: what is only needed for a card, a receipt or a PDF is not imported before the
login screen shows (each costs tens of milliseconds at start-up; see bench/ui.py)."""

from __future__ import annotations

import subprocess
import sys

LATER = (
    "cryptography",
    "ndef",
    "PIL",
    "qrcode",
    "escpos",
    "app.services.cards",
    "app.ui.views.checkout",
    "app.ui.views.receipt",
    "app.ui.receipt_pdf",
)


def test_the_window_module_does_not_import_what_only_later_screens_need():
    probe = "import sys, app.ui.app; print(' '.join(m for m in sys.argv[1:] if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe, *LATER], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == []



def test_what_the_worker_imports_after_log_in_defines_no_qt_class():
    """A module of QWidget classes imported on the worker while the UI thread built a widget crashed
    PySide 6.11 now and then (`bashgah --self-test`, about one run in ten): the worker imports only
    modules that need no Qt; the view modules follow on the UI thread."""
    from app.ui.main_window import _AFTER_LOGIN

    probe = "import sys, importlib; [importlib.import_module(m) for m in sys.argv[1:]]; print(*sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe, *_AFTER_LOGIN], capture_output=True, text=True, timeout=120, check=True
    )
    assert "PySide6" not in done.stdout
