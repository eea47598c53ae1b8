# SPDX-License-Identifier: GPL-3.0-or-later
"""Log files and crash reports, in the platform's log folder (env BASHGAH_LOG_DIR overrides it).

The window and the long-running commands (`bashgah sync`) call `start(role)`: the root logger then writes
to `<role>.log` there, rotated at 1 MB with 5 old files kept (one file per role: two processes rotating
one file rename it under each other, and on Windows the rename fails while the other holds it open).

A crash leaves a report in the same folder:
- an uncaught Python exception, on any thread: `crash-<UTC time>-<pid>.txt` with the traceback, written by
  `sys.excepthook` / `threading.excepthook`, which then call the previous hook;
- a native crash (a segfault in a driver, Qt or SQLite): `faulthandler` writes the Python stacks into
  `native-<UTC start time>-<pid>.txt`, opened at start because nothing can be opened once the process is
  dying; the file is removed at a normal exit when it stayed empty.
`start` also records when this role last started, so the window can say at its next start that a crash
happened since (`LogSetup.crashes_since_last_start`), and `on_crash` lets it show the report's path when
it happens (the window's message box lives in app.ui.crash: no Qt here).

A message repeated from the same place is written once per 10 minutes (`Repeats`). Nothing secret is
written: the code logs no token, PIN or key, and `Redactor` masks what looks like one
(a bearer token, `pin=…`, `token: …`) in every record and report, should a message or traceback hold it.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import logging
import logging.handlers
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

MAX_BYTES = 1_000_000
BACKUPS = 5
REPEAT_EVERY_S = 600.0
CRASH_GLOB = "crash-*.txt"
NATIVE_GLOB = "native-*.txt"
FORMAT = "%(asctime)s %(levelname)s %(process)d %(threadName)s %(name)s: %(message)s"
_SECRET = re.compile(
    r"(?i)(bearer\s+|\b(?:token|pin|password|secret|api[_-]?key|private[_-]?key)\b[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',;&]+"
)


def log_dir() -> Path:
    """Where logs and crash reports go: env BASHGAH_LOG_DIR, else the platform's user log folder."""
    env = os.environ.get("BASHGAH_LOG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_log_dir

    return Path(user_log_dir("bashgah", appauthor=False))


def redact(text: str) -> str:
    """`text` with what looks like a secret (a bearer token, `pin=1234`, `"token": "…"`) masked."""
    return _SECRET.sub(lambda m: m.group(1) + "***", text)


class Redactor(logging.Filter):
    """Masks secrets in a record's message and arguments, and in its traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class Repeats(logging.Filter):
    """Lets the same message from the same place through once per `every_s`: a reader driver that logs
    "no reader available" at each retry (nfcpy: every 2 s) would otherwise fill the 5 MB of logs with it
    in hours and push out what support needs."""

    def __init__(self, every_s: float = REPEAT_EVERY_S) -> None:
        super().__init__()
        self.every_s = every_s
        self.seen: dict[tuple[str, int, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, record.getMessage())
        now = record.created
        last = self.seen.get(key)
        if last is not None and now - last < self.every_s:
            return False
        if len(self.seen) > 10_000:  # bounded: forget everything rather than grow without end
            self.seen.clear()
        self.seen[key] = now
        return True


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y%m%dT%H%M%S")


def crash_reports(folder: Path) -> list[Path]:
    """The crash reports in `folder` that hold something (a native file stays empty unless it crashed),
    oldest first."""
    found = []
    for path in [*folder.glob(CRASH_GLOB), *folder.glob(NATIVE_GLOB)]:
        with contextlib.suppress(OSError):
            stat = path.stat()
            if stat.st_size > 0:
                found.append((stat.st_mtime, path))
    return [path for _at, path in sorted(found)]


def newest_crash_report(folder: Path) -> Path | None:
    reports = crash_reports(folder)
    return reports[-1] if reports else None


def write_crash_report(
    folder: Path,
    kind: type[BaseException],
    value: BaseException | None,
    tb: TracebackType | None,
    thread_name: str | None = None,
) -> Path:
    """Write the traceback as a new crash report in `folder`; its path."""
    from app import __version__

    now = time.time()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{_stamp(now)}-{os.getpid()}.txt"
    for n in range(2, 100):  # two crashes within a second (two threads) get two files
        if not path.exists():
            break
        path = folder / f"crash-{_stamp(now)}-{os.getpid()}-{n}.txt"
    header = [
        "Bashgah crash report",
        f"time: {datetime.fromtimestamp(now, tz=UTC).isoformat()}",
        f"version: {__version__}",
        f"python: {sys.version.split()[0]} on {sys.platform}",
        f"process: {os.getpid()}",
        f"thread: {thread_name or threading.current_thread().name}",
        "",
    ]
    body = "".join(traceback.format_exception(kind, value, tb))
    path.write_text("\n".join(header) + redact(body), encoding="utf-8")
    return path


@dataclass
class LogSetup:
    """What `start` set up; `close` undoes it (tests, and a window that ends)."""

    folder: Path
    log_file: Path
    native_file: Path
    previous_start: float | None  # when this role last started, None the first time
    handler: logging.Handler
    crash_listeners: list[Callable[[Path], None]] = field(default_factory=list)
    _fault_stream: TextIO | None = None
    _faults_were_on: bool = False
    _previous_hooks: tuple[Any, Any] | None = None

    def crashes_since_last_start(self) -> list[Path]:
        """Crash reports written after this role's previous start (none the first time)."""
        if self.previous_start is None:
            return []
        return [
            p for p in crash_reports(self.folder) if p != self.native_file and _mtime(p) > self.previous_start
        ]

    def on_crash(self, listener: Callable[[Path], None]) -> None:
        """Call `listener(report_path)` after each crash report (on the crashing thread)."""
        self.crash_listeners.append(listener)

    def report(
        self,
        kind: type[BaseException],
        value: BaseException | None,
        tb: TracebackType | None,
        thread_name: str | None = None,
    ) -> Path | None:
        """Write a crash report for this exception and tell the listeners; None when not written."""
        try:
            path = write_crash_report(self.folder, kind, value, tb, thread_name)
        except OSError:  # a full disk must not turn one crash into two
            return None
        logging.getLogger("bashgah.crash").critical("uncaught %s; report in %s", kind.__name__, path)
        for listener in list(self.crash_listeners):
            with contextlib.suppress(Exception):
                listener(path)
        return path

    def close(self) -> None:
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks
            self._previous_hooks = None
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()
        if self._fault_stream is not None:
            faulthandler.disable()
            if self._faults_were_on:  # someone else's (pytest's) dump to stderr: give it back
                faulthandler.enable(file=sys.__stderr__ or sys.stderr)
            self._fault_stream.close()
            self._fault_stream = None
            _drop_if_empty(self.native_file)
        if _current.get("setup") is self:
            _current.clear()


_current: dict[str, LogSetup] = {}


def current() -> LogSetup | None:
    """The setup `start` made in this process, if any."""
    return _current.get("setup")


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _drop_if_empty(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.stat().st_size == 0:
            path.unlink()


def _note_start(folder: Path, role: str) -> float | None:
    """Record that `role` starts now; when it started before (None the first time)."""
    marker = folder / f".{role}-started"
    previous = _mtime(marker) if marker.exists() else None
    marker.touch()
    os.utime(marker)
    return previous


def _sweep_empty_native(folder: Path) -> None:
    """Empty native-crash files left by processes that were killed (no atexit ran); one a day is kept
    back so a running process's own file is never taken from it."""
    day_ago = time.time() - 86_400
    for path in folder.glob(NATIVE_GLOB):
        if _mtime(path) < day_ago:
            _drop_if_empty(path)


def start(role: str, *, level: int = logging.INFO, hooks: bool = True) -> LogSetup:
    """Log `role` (window, sync) to its rotating file and catch crashes into reports; idempotent."""
    existing = current()
    if existing is not None:
        return existing
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log_file = folder / f"{'bashgah' if role == 'window' else role}.log"
    handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(Repeats())
    handler.addFilter(Redactor())
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    previous = _note_start(folder, role)
    _sweep_empty_native(folder)
    native = folder / f"native-{_stamp(time.time())}-{os.getpid()}.txt"
    setup = LogSetup(folder, log_file, native, previous, handler)
    if hooks:
        _install_hooks(setup)
    _current["setup"] = setup
    atexit.register(setup.close)
    from app import __version__

    logging.getLogger("bashgah").info("%s %s started (pid %d)", role, __version__, os.getpid())
    return setup


def _install_hooks(setup: LogSetup) -> None:
    setup._faults_were_on = faulthandler.is_enabled()
    setup._fault_stream = setup.native_file.open("w", encoding="utf-8")
    faulthandler.enable(file=setup._fault_stream, all_threads=True)
    previous_sys, previous_thread = sys.excepthook, threading.excepthook
    setup._previous_hooks = (previous_sys, previous_thread)

    def on_exception(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            setup.report(kind, value, tb)
        previous_sys(kind, value, tb)

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if not issubclass(args.exc_type, SystemExit):
            name = args.thread.name if args.thread is not None else None
            setup.report(args.exc_type, args.exc_value, args.exc_traceback, name)
        previous_thread(args)

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception
