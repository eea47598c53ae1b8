# SPDX-License-Identifier: GPL-3.0-or-later
"""app.logs: the rotating log file, secrets kept out of it, and crash reports from real crashes (an
uncaught exception on the main thread and on another, and a real segfault) in child processes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import logs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv("BASHGAH_LOG_DIR", str(folder))
    return folder


@pytest.fixture
def started(log_dir: Path) -> Iterator[logs.LogSetup]:
    setup = logs.start("window", hooks=False)
    yield setup
    setup.close()


def child(code: str, log_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "BASHGAH_LOG_DIR": str(log_dir)},
    )  # fmt: skip


def test_the_log_dir_follows_the_environment(log_dir: Path) -> None:
    assert logs.log_dir() == log_dir


def test_the_log_rotates_and_keeps_five_old_files(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    setup = logs.start("window", hooks=False)
    try:
        for n in range(400):
            logging.getLogger("bashgah.test").info("line %d of a long day at the till", n)
    finally:
        setup.close()
    names = sorted(p.name for p in log_dir.glob("bashgah.log*"))
    assert names == ["bashgah.log", *(f"bashgah.log.{n}" for n in range(1, 6))]
    assert all(p.stat().st_size <= 2_000 for p in log_dir.glob("bashgah.log*"))
    assert "line 399 of" in (log_dir / "bashgah.log").read_text(encoding="utf-8")


def test_secrets_never_reach_the_log(started: logs.LogSetup) -> None:
    log = logging.getLogger("bashgah.test")
    log.warning("sent Authorization: Bearer s3cr3t-t0ken to %s", "https://club.example")
    log.warning("login failed for %s with pin=%s", "Sara", "1234")
    log.warning("answer %s", {"token": "tok-567", "device": "THR-01"})
    try:
        raise ValueError("api_key=ABCDEF while enrolling")
    except ValueError:
        log.exception("enrolment failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = started.log_file.read_text(encoding="utf-8")
    for secret in ("s3cr3t-t0ken", "1234", "tok-567", "ABCDEF"):
        assert secret not in text
    assert "https://club.example" in text and "THR-01" in text and "enrolment failed" in text


def test_a_message_repeated_at_each_retry_is_written_once(started: logs.LogSetup) -> None:
    for _ in range(50):  # nfcpy, looking for a USB reader every 2 s
        logging.getLogger("nfc.clf").error("no reader available on path %s", "usb")
    logging.getLogger("nfc.clf").error("no reader available on path %s", "udp")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = started.log_file.read_text(encoding="utf-8")
    assert text.count("no reader available on path usb") == 1
    assert text.count("no reader available on path udp") == 1


def test_an_uncaught_exception_leaves_a_crash_report(log_dir: Path) -> None:
    result = child(
        """
        from app import logs
        logs.start("sync")
        def checkout(pin):
            raise RuntimeError("the till fell over, pin=4321")
        checkout("4321")
        """,
        log_dir,
    )
    assert result.returncode == 1 and "RuntimeError" in result.stderr  # the previous hook still prints
    [report] = log_dir.glob("crash-*.txt")
    text = report.read_text(encoding="utf-8")
    assert text.startswith("Bashgah crash report")
    assert "in checkout" in text and "RuntimeError: the till fell over" in text
    assert "4321" not in text
    assert logs.newest_crash_report(log_dir) == report
    assert list(log_dir.glob("native-*.txt")) == []  # nothing native happened: the empty file went at exit
    assert "uncaught RuntimeError" in (log_dir / "sync.log").read_text(encoding="utf-8")


def test_a_thread_that_dies_leaves_a_crash_report(log_dir: Path) -> None:
    result = child(
        """
        import threading
        from app import logs
        logs.start("window")
        def work():
            raise KeyError("member")
        worker = threading.Thread(target=work, name="sync-worker")
        worker.start()
        worker.join()
        """,
        log_dir,
    )
    assert result.returncode == 0  # a thread's death does not end the process
    [report] = log_dir.glob("crash-*.txt")
    text = report.read_text(encoding="utf-8")
    assert "thread: sync-worker" in text and "KeyError: 'member'" in text


def test_a_native_crash_leaves_the_faulthandler_report(log_dir: Path) -> None:
    result = child(
        """
        import faulthandler
        from app import logs
        logs.start("window")
        def read_card():
            faulthandler._sigsegv()
        read_card()
        """,
        log_dir,
    )
    assert result.returncode == -signal.SIGSEGV
    [report] = log_dir.glob("native-*.txt")
    text = report.read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in text and "read_card" in text
    assert logs.newest_crash_report(log_dir) == report


def test_the_next_start_knows_of_a_crash_since_the_last(log_dir: Path) -> None:
    first = logs.start("window", hooks=False)
    first.close()
    assert first.crashes_since_last_start() == []  # the very first start: nothing to compare with
    marker = log_dir / ".window-started"
    os.utime(marker, (time.time() - 60, time.time() - 60))
    report = log_dir / "crash-20261206T120000-99.txt"
    report.write_text("Bashgah crash report\n", encoding="utf-8")
    (log_dir / "native-20261206T120000-98.txt").write_text("", encoding="utf-8")  # a clean exit's: ignored
    second = logs.start("window", hooks=False)
    try:
        assert second.crashes_since_last_start() == [report]
    finally:
        second.close()
    third = logs.start("window", hooks=False)
    try:
        assert third.crashes_since_last_start() == []  # told once: the start after that is clean
    finally:
        third.close()
