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
