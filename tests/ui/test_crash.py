# SPDX-License-Identifier: GPL-3.0-or-later
"""The window says where a crash report is: a message box when an exception escapes while it runs (from a
slot, or from a worker thread), and a band at the next start after a crash; both in the window's
language."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from app import logs
from app.ui.crash import CrashNotice, watch_crashes


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv("BASHGAH_LOG_DIR", str(folder))
    return folder


@pytest.fixture
def log_setup(log_dir: Path) -> Iterator[logs.LogSetup]:
    setup = logs.start("window")
    yield setup
    setup.close()


def saved_to(lang: str) -> str:
    return "ذخیره شد" if lang == "fa" else "was saved to"


@pytest.mark.qt_no_exception_capture  # the window's own hook must see it, as in production
def test_an_exception_in_a_slot_shows_where_its_report_is(running, log_setup, qtbot, lang) -> None:
    watch = watch_crashes(running.window, log_setup)
    assert watch is not None and running.window.menuWidget() is None  # no crash before: no band

    def checkout_button_clicked() -> None:
        raise RuntimeError("a slot fell over")

    QTimer.singleShot(0, checkout_button_clicked)
    qtbot.waitUntil(lambda: watch.box is not None and watch.box.isVisible(), timeout=5000)
    [report] = log_setup.folder.glob("crash-*.txt")
    text = report.read_text(encoding="utf-8")
    assert "in checkout_button_clicked" in text and "RuntimeError: a slot fell over" in text
    assert str(report) in watch.box.text() and saved_to(lang) in watch.box.text()
    assert running.window.isVisible()  # the window goes on
    watch.box.close()


# our hook passes the exception on to the previous one, here pytest's, which warns
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_thread_that_dies_is_reported_on_the_ui_thread(running, log_setup, qtbot, lang) -> None:
    watch = watch_crashes(running.window, log_setup)

    def pull_worker() -> None:
        raise ValueError("garbled page")

    thread = threading.Thread(target=pull_worker, name="sync-pull")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: watch.box is not None and watch.box.isVisible(), timeout=5000)
    [report] = log_setup.folder.glob("crash-*.txt")
    assert "thread: sync-pull" in report.read_text(encoding="utf-8")
    assert str(report) in watch.box.text()
    watch.box.close()


def test_the_next_start_tells_of_a_crash_since_the_last(qapp, club, lang, log_dir, qtbot) -> None:
    from app.cards.simulated import SimulatedReader
    from app.ui.app import start_window

    logs.start("window", hooks=False).close()  # a start before: the window ran here already
    an_hour_ago = time.time() - 3600
    os.utime(log_dir / ".window-started", (an_hour_ago, an_hour_ago))
    report = log_dir / "native-20261206T101500-4242.txt"  # a segfault in a driver, say
    report.write_text("Fatal Python error: Segmentation fault\n", encoding="utf-8")
    setup = logs.start("window", hooks=False)
    window = start_window(club.terminal, [SimulatedReader("Test reader")], lang=lang)
    try:
        watch_crashes(window.window, setup)
        notice = window.window.menuWidget()
        assert isinstance(notice, CrashNotice)
        qtbot.waitUntil(notice.isVisible, timeout=5000)
        detail = notice.banner.detail_label.text()
        assert str(report) in detail and saved_to(lang) in detail
        window.window.toggle_language()  # F10: the band follows
        other = "en" if lang == "fa" else "fa"
        qtbot.waitUntil(lambda: saved_to(other) in notice.banner.detail_label.text(), timeout=5000)
        qtbot.mouseClick(notice.dismiss, Qt.MouseButton.LeftButton)
        assert not notice.isVisible()
    finally:
        window.close()
        setup.close()
    again = logs.start("window", hooks=False)  # the start after that: told already
    try:
        assert again.crashes_since_last_start() == []
    finally:
        again.close()


def test_no_logging_no_watch(running) -> None:
    assert logs.current() is None
    assert watch_crashes(running.window) is None
