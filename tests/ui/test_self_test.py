# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah --self-test` as packaging runs it: a separate process, offscreen and on a real X server with no
window manager (Xvfb), and failing — not passing, not aborting — when a library the terminal needs is gone."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SELF_TEST_TIMEOUT_S = 120  # two shared cores: a cold start of Qt and the demo club takes a few seconds


def self_test(
    env: dict[str, str], blocked: tuple[str, ...] = (), prelude: str = ""
) -> subprocess.CompletedProcess:
    """Runs the self-test in a fresh interpreter; `blocked` modules fail to import there, as in a bundle
    built without them; `prelude` runs before it."""
    code = (
        "import sys\n"
        f"for name in {list(blocked)!r}: sys.modules[name] = None\n"
        f"{prelude}\n"
        "from app.cli import main\n"
        "sys.exit(main(['--self-test']))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=SELF_TEST_TIMEOUT_S, check=False,
        env={**os.environ, "BASHGAH_LANG": "en", **env},
    )


def assert_passed(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "self-test ok:" in result.stdout
    assert "PC/SC (pyscard) present, pcscd " in result.stdout
    assert "NFC (nfcpy) present" in result.stdout
    assert "window ok: card " in result.stdout
    assert "Qt's Persian loaded" in result.stdout
    assert "printer path ok (" in result.stdout
    assert "camera backend present, " in result.stdout
    assert "FAILED" not in result.stdout + result.stderr


def test_self_test_passes_offscreen():
    assert_passed(self_test({"QT_QPA_PLATFORM": "offscreen"}))


def test_self_test_passes_on_a_real_x_server_without_a_window_manager(xvfb_display):
    """It used to abort here (`ASSERT: "widget" in qtestkeyboard.h`): with no window manager nothing was
    active, so nothing had the focus. Now the window is activated and must become active."""
    result = self_test({"QT_QPA_PLATFORM": "xcb", "DISPLAY": xvfb_display})
    assert_passed(result)


@pytest.mark.parametrize(
    ("blocked", "said", "why"),
    [
        (("smartcard",), "PC/SC (pyscard) MISSING", "PC/SC readers cannot work"),
        (("nfc",), "NFC (nfcpy) MISSING", "USB NFC readers cannot work"),
        (("usb1",), "NFC (nfcpy) MISSING", "USB NFC readers cannot work"),
        (("escpos",), "printer path FAILED", "receipts cannot be printed"),
    ],
)
def test_a_missing_library_fails_the_self_test(blocked, said, why):
    result = self_test({"QT_QPA_PLATFORM": "offscreen"}, blocked)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "self-test FAILED: " in result.stdout
    assert said in result.stdout
    assert f"self-test FAILED: {why}" in result.stderr
    assert "window ok" in result.stdout  # the rest still ran and was reported


def test_no_x_display_fails_with_a_message_instead_of_qts_abort():
    env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "--self-test"],
        capture_output=True, text=True, timeout=SELF_TEST_TIMEOUT_S, check=False,
        env={**env, "QT_QPA_PLATFORM": "xcb", "BASHGAH_LANG": "en"},
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "self-test FAILED: QT_QPA_PLATFORM=xcb but DISPLAY is not set" in result.stderr


def test_a_missing_qt_translation_fails_the_self_test():
    """As in a bundle built without PySide6's translations: no qtbase_fa.qm to be found."""
    prelude = "import app.ui.i18n; app.ui.i18n.qt_qm_path = lambda lang: None"
    result = self_test({"QT_QPA_PLATFORM": "offscreen"}, prelude=prelude)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Qt's Persian MISSING" in result.stdout
    assert "self-test FAILED: Qt's own Persian translation (qtbase_fa.qm) is not loaded" in result.stderr
