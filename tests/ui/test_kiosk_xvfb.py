# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah --kiosk` as a shop runs it: the kiosk session (packaging/linux/kiosk) running the real command on
a real X server with no window manager (Xvfb), driven by key presses through the X server (XTEST),
observed from outside as a shop's engineer would (xwininfo, xprop, the terminal's database).

It fills the screen with no frame; F10 switches the language (the window's title follows); the PIN logs
in and F12 logs out (the staff audit says so); killed, the session starts it again; Alt+F4 asks for a
manager instead of closing; the manager's PIN closes it, the audit keeps who, and the session ends.
A plain `bashgah`, which nobody activates, takes its F-keys too.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.services.kiosk import KIOSK_EXIT_EVENT
from app.store import club as club_store
from app.store.database import Database
from tests.support.club import CASHIER, CASHIER_PIN, MANAGER, MANAGER_PIN, make_club
from tests.support.components import missing_component

SCREEN = (1280, 800)  # the fixture's screen
START_S = 90  # Qt and the terminal cold on two shared cores
WAIT_S = 30
TITLE_EN = "Bashgah — customer club"
CLOSE_TITLE_EN = "Close the terminal"
SESSION = Path(__file__).parents[2] / "packaging" / "linux" / "kiosk" / "bashgah-kiosk-session"
MWM_HINTS_DECORATIONS = 0x2  # Motif's window-manager hints: the decorations field is set


class Keyboard:
    """Key presses through the X server (the XTEST extension, as xdotool sends them)."""

    def __init__(self, display: str) -> None:
        x11, xtst = ctypes.util.find_library("X11"), ctypes.util.find_library("Xtst")
        if not (x11 and xtst):
            missing_component("libXtst", "libX11 or libXtst is missing (scripts/install-system-deps xvfb)")
        self._x11, self._xtst = ctypes.CDLL(x11), ctypes.CDLL(xtst)
        self._x11.XOpenDisplay.restype = ctypes.c_void_p
        self._x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self._x11.XStringToKeysym.restype = ctypes.c_ulong
        self._x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self._x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self._x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self._x11.XFlush.argtypes = [ctypes.c_void_p]
        self._x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self._x11.XGetInputFocus.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self._xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self._display = self._x11.XOpenDisplay(display.encode())
        assert self._display, f"cannot open X display {display}"

    def press(self, *names: str) -> None:
        """A chord (`press("Alt_L", "F4")`): pressed in order, let go in reverse."""
        keysyms = [self._x11.XStringToKeysym(name.encode()) for name in names]
        codes = [self._x11.XKeysymToKeycode(self._display, keysym) for keysym in keysyms]
        assert all(codes), names
        for code in codes:
            self._xtst.XTestFakeKeyEvent(self._display, code, 1, 0)
        for code in reversed(codes):
            self._xtst.XTestFakeKeyEvent(self._display, code, 0, 0)
        self._x11.XFlush(self._display)

    def focus(self) -> int:
        """The window that has the X server's input focus (keys go there)."""
        window, revert = ctypes.c_ulong(), ctypes.c_int()
        self._x11.XGetInputFocus(self._display, ctypes.byref(window), ctypes.byref(revert))
        return window.value

    def focused_on(self, window: str) -> bool:
        return self.focus() == int(window, 16)

    def type(self, digits: str) -> None:
        for digit in digits:
            self.press(digit)

    def close(self) -> None:
        self._x11.XCloseDisplay(self._display)


def x_tool(display: str, *args: str) -> str:
    binary = shutil.which(args[0])
    if binary is None:
        missing_component(args[0], f"{args[0]} is not installed (scripts/install-system-deps xvfb)")
    result = subprocess.run(
        [binary, *args[1:]], env={**os.environ, "DISPLAY": display},
        capture_output=True, text=True, timeout=WAIT_S, check=False,
    )  # fmt: skip
    return result.stdout


def window_named(display: str, name: str) -> str | None:
    """The id of the top-level window with this title (WM_NAME), or None."""
    for line in x_tool(display, "xwininfo", "-root", "-children").splitlines():
        match = re.match(r'\s*(0x[0-9a-f]+) "(.*)":', line)
        if match and match.group(2) == name:
            return match.group(1)
    return None


def wait_for(what: Callable[[], object], process: subprocess.Popen, timeout_s: float, about: str) -> object:
    """Poll `what` until it answers (the X server and the database have no signal to wait on)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = what()
        if answer:
            return answer
        if process.poll() is not None:
            ended = f"bashgah ended ({process.returncode}) while waiting for {about}"
            pytest.fail(f"{ended}: {process.stderr.read()}")
        time.sleep(0.05)  # a poll interval, not a wait for time to pass: the loop ends on the answer
    pytest.fail(f"timed out waiting for {about}")


def geometry(display: str, window: str) -> tuple[int, ...]:
    """(x, y, width, height) of the window on the screen, as the X server has it."""
    info = x_tool(display, "xwininfo", "-id", window)
    fields = dict(re.findall(r"(Absolute upper-left [XY]|Width|Height):\s+(-?\d+)", info))
    keys = ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height")
    return tuple(int(fields.get(key, -1)) for key in keys)


def crash_and_restart(display: str, session: subprocess.Popen) -> str:
    """Kill the session's bashgah as a crash would: the session starts it again, and its window shows."""
    killed = session_child(session)
    os.kill(killed, signal.SIGKILL)  # the session's child, by its id: ours
    wait_for(lambda: session_child(session) not in (None, killed), session, WAIT_S, "a new bashgah")
    return str(wait_for(lambda: window_named(display, TITLE_EN), session, START_S, "its window"))


def session_child(session: subprocess.Popen) -> int | None:
    """The bashgah the session runs now (None between two)."""
    children = Path(f"/proc/{session.pid}/task/{session.pid}/children").read_text().split()
    return int(children[0]) if children else None


def staff_events(data_dir: Path, staff_id: str) -> list[str]:
    db = Database.open(data_dir)
    try:
        with db.read() as conn:
            return club_store.staff_events(conn, staff_id)
    finally:
        db.engine.dispose()


Started = Iterator[tuple[str, subprocess.Popen, Path]]


def start_bashgah(display: str, tmp_path: Path, *command: str) -> Started:
    """`command` (bashgah, or the kiosk session that runs it) on the test club, in English."""
    data_dir = tmp_path / "data"
    make_club(data_dir).db.engine.dispose()
    options = ("--data-dir", str(data_dir), "--lang", "en", "--reader", "simulated")
    # the session script runs the `bashgah` beside this interpreter (the project's own)
    bashgah = str(Path(sys.executable).with_name("bashgah"))
    env = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display, "HOME": str(tmp_path), "BASHGAH": bashgah}
    process = subprocess.Popen(
        [*command, *options], env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        yield display, process, data_dir
    finally:
        # the whole group: killing only the kiosk session's shell would leave its bashgah running
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=WAIT_S)


@pytest.fixture
def kiosk(xvfb_display, tmp_path) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    yield from start_bashgah(xvfb_display, tmp_path, "sh", str(SESSION))


@pytest.fixture
def window(xvfb_display, tmp_path) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    yield from start_bashgah(xvfb_display, tmp_path, sys.executable, "-m", "app.cli")


def test_the_window_keys_reach_a_plain_window_with_no_window_manager(window):
    """No `--kiosk`, nobody to activate the window: X hands keys to the window under the pointer, and Qt
    has no active window. F10 still switches the language; F-keys used to be lost here."""
    display, process, _data_dir = window
    shown = wait_for(lambda: window_named(display, TITLE_EN), process, START_S, "the window")
    viewable = lambda: "IsViewable" in x_tool(display, "xwininfo", "-id", shown)  # noqa: E731
    wait_for(viewable, process, WAIT_S, "the window on screen")  # X then gives it the keys under the pointer
    keys = Keyboard(display)
    try:
        keys.press("F10")
        wait_for(lambda: window_named(display, TITLE_EN) is None, process, WAIT_S, "F10 to go Persian")
        assert process.poll() is None and x_tool(display, "xwininfo", "-id", shown)
    finally:
        keys.close()


def test_the_kiosk_on_an_x_server_without_a_window_manager(kiosk):
    display, process, data_dir = kiosk
    window = wait_for(lambda: window_named(display, TITLE_EN), process, START_S, "the kiosk's window")
    whole_screen = (0, 0, *SCREEN)
    wait_for(lambda: geometry(display, window) == whole_screen, process, WAIT_S, "the window to fill it")
    hints = x_tool(display, "xprop", "-id", window, "_MOTIF_WM_HINTS", "_NET_WM_STATE")
    motif = re.search(r"_MOTIF_WM_HINTS\(_MOTIF_WM_HINTS\) = (.*)", hints)
    flags, _functions, decorations, *_ = (int(field, 16) for field in motif.group(1).split(", "))
    assert flags & MWM_HINTS_DECORATIONS and decorations == 0, hints  # no frame, no title bar
    assert "_NET_WM_STATE_FULLSCREEN" in hints, hints  # what a window manager, if one starts, is told
    keys = Keyboard(display)
    try:
        # no window manager gives it the keyboard: the kiosk takes it
        wait_for(lambda: keys.focused_on(window), process, WAIT_S, "the kiosk to take the keyboard")
        keys.press("F10")  # to Persian: the title follows
        wait_for(lambda: window_named(display, TITLE_EN) is None, process, WAIT_S, "F10 to go Persian")
        keys.press("F10")
        wait_for(lambda: window_named(display, TITLE_EN) == window, process, WAIT_S, "F10 back to English")
        keys.type(CASHIER_PIN)  # the first staff member (by name) is chosen on the login screen
        keys.press("Return")
        wait_for(lambda: "login" in staff_events(data_dir, CASHIER.id), process, WAIT_S, "the log-in")
        keys.press("F12")
        wait_for(lambda: "logout" in staff_events(data_dir, CASHIER.id), process, WAIT_S, "F12 to lock")
        restarted = crash_and_restart(display, process)
        wait_for(lambda: keys.focused_on(restarted), process, WAIT_S, "the new window to take the keyboard")
        keys.press("Alt_L", "F4")
        dialog = wait_for(lambda: window_named(display, CLOSE_TITLE_EN), process, WAIT_S, "the PIN dialog")
        assert process.poll() is None and window_named(display, TITLE_EN) == restarted  # not closed
        wait_for(lambda: keys.focused_on(dialog), process, WAIT_S, "the dialog to take the keyboard")
        keys.type(MANAGER_PIN)  # the dialog proposes a manager, who gives their PIN
        keys.press("Return")
        assert process.wait(timeout=WAIT_S) == 0
    finally:
        keys.close()
    assert KIOSK_EXIT_EVENT in staff_events(data_dir, MANAGER.id)
