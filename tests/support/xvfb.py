# SPDX-License-Identifier: GPL-3.0-or-later
"""An X server of the tests' own (Xvfb) with no window manager, shared by the UI and package tests.

`-noreset`: by default Xvfb resets itself whenever its last client leaves, and a client that connects
during that reset is dropped before it is answered (xorg/xserver#1102). The kiosk tests poll with
xwininfo, which connects and leaves many times while bashgah starts, and CI once lost bashgah's own
connection that way ("could not connect to display :1"). `tests/ui/test_xvfb.py` shows the race.
"""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.components import missing_component

XVFB_START_S = 15
SCREEN = "1280x800x24"
OPTIONS = ("-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset")


@contextmanager
def xvfb_server(options: tuple[str, ...] = OPTIONS) -> Iterator[str]:
    """Starts Xvfb, yields its display (":N", a free number Xvfb picked itself) once it takes clients."""
    binary = shutil.which("Xvfb")
    if binary is None:
        missing_component("Xvfb", "Xvfb is not installed (scripts/install-system-deps xvfb)")
    read_fd, write_fd = os.pipe()
    # its complaints (xkbcomp's warnings) go to a file: a pipe nobody reads could fill and stall it
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [binary, "-displayfd", str(write_fd), *options],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        os.close(write_fd)
        try:
            yield f":{_read_display(read_fd, process, log)}"
        finally:
            os.close(read_fd)
            process.terminate()
            process.wait(timeout=10)


def _read_display(read_fd: int, process: subprocess.Popen, log) -> str:
    deadline = time.monotonic() + XVFB_START_S
    text = b""
    # a selector, not select.select: late in a long session the pipe's descriptor can be above 1023, which
    # select() refuses ("filedescriptor out of range")
    with selectors.DefaultSelector() as waiting:
        waiting.register(read_fd, selectors.EVENT_READ)
        while not text.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or process.poll() is not None:
                log.seek(0)
                said = log.read().decode(errors="replace").strip()[-300:]
                missing_component("Xvfb", f"Xvfb did not start (exit {process.poll()}): {said}")
            if waiting.select(left):
                chunk = os.read(read_fd, 64)
                if not chunk:
                    continue  # Xvfb exited; poll() says so next round
                text += chunk
    return text.decode().strip()
