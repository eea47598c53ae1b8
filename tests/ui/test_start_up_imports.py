# SPDX-License-Identifier: GPL-3.0-or-later
"""The window's cold start: what is only needed for a card, a receipt or a PDF is not imported before the
login screen shows (each costs tens of milliseconds at start-up; see bench/ui.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

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
    # the till's screens and their use cases: built just after the login screen's first frame
    "app.services.identify",
    "app.ui.views.idle",
    "app.ui.views.member",
    "app.ui.widgets.programme_panel",
    "app.services.programme",
    "sync",
    "pydantic",
    # the status bar's unsynced count: read on the worker once the bar is painted
    "app.store.ledger",
    # the store's statements: the first frame's reads run on the driver (app.store.start_up)
    "sqlalchemy",
    "app.store.club",
    "app.services.staff_auth",
)


# `bashgah --reader demo` (make run) until the login screen's first frame: what it has imported then
_FIRST_FRAME_PROBE = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import app.ui.app
from app.cli import main
from app.ui.first_paint import after_first_paint

start_window = app.ui.app.start_window

def start(*args, **kwargs):
    running = start_window(*args, **kwargs)
    def painted():
        later = ("sqlalchemy", "alembic", "sync", "pydantic")
        print(" ".join(m for m in later if m in sys.modules), flush=True)
        os._exit(0)
    after_first_paint(running.window.login, painted)
    return running

app.ui.app.start_window = start
main(["--data-dir", sys.argv[1], "--reader", "demo"])
"""


@pytest.mark.parametrize("enrolled", [False, True], ids=["demo", "enrolled"])
def test_the_login_screen_paints_before_sqlalchemy_is_imported(tmp_path, enrolled):
    """Opening the terminal, telling the demo from an enrolled till and the login screen's staff list run
    on the sqlite3 driver (app.store.start_up): importing SQLAlchemy cost the cold start ~0.2 s. An enrolled
    till's chip keys and sync client are built after the first frame (they cost it ~0.8 s more)."""
    import os

    from app.store import sync_state
    from tests.support.club import make_club

    terminal = make_club(tmp_path / "data")
    if enrolled:  # as enrolment leaves it (the server is never asked before the first frame)
        with terminal.db.write() as conn:
            sync_state.put(conn, sync_state.SERVER_URL, "http://127.0.0.1:9")
    terminal.db.close()
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_FRAME_PROBE, str(tmp_path / "data")], capture_output=True, text=True,
        timeout=120, check=True, env={**os.environ, "BASHGAH_WRAP_KEY_STORE": "file"},
    )  # fmt: skip
    assert done.stdout.split() == []


@pytest.fixture
def running_logged_out(qapp, tmp_path) -> Iterator:
    """The real window on a fresh club, as it starts: nobody logged in, the event loop not run yet."""
    from app.cards.simulated import SimulatedReader
    from app.ui.app import start_window
    from tests.support.club import make_club

    running = start_window(make_club(tmp_path / "data"), [SimulatedReader("Test reader")], lang="fa")
    yield running
    running.close()


def test_the_window_module_does_not_import_what_only_later_screens_need():
    probe = "import sys, app.ui.app; print(' '.join(m for m in sys.argv[1:] if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe, *LATER], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == []


def test_the_till_is_built_just_after_the_login_screens_first_frame(qtbot, running_logged_out):
    """The login screen paints before the till's idle and member screens are built (their modules were not
    even imported); the event loop's next turn builds them, so the first tap finds them ready."""
    window = running_logged_out.window
    assert window._idle is None and window._member is None  # nothing has painted yet
    qtbot.waitUntil(lambda: window._idle is not None and window._member is not None, timeout=5000)
    assert window.stack.currentWidget() is window.login
    assert window.stack.indexOf(window.member) >= 0 and window.stack.indexOf(window.idle) >= 0


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
