# SPDX-License-Identifier: GPL-3.0-or-later
"""pcscd with vsmartcard's virtual readers, for tests and benchmarks (HARNESS.md, PC/SC).

`Pcscd().ensure_running()` checks that pyscard imports, that pcscd and the vpcd driver are installed, and
that a pcscd answers with the "Virtual PCD" readers; if none runs it starts `pcscd -f -i` as root (never
`-x`: without systemd socket activation it would exit after 60 s idle). `stop()` / `start()` restart it for
the recovery test, and only ever stop the pcscd this helper started (by its PID).

The `pcscd` fixture (session scope) yields a running `Pcscd` and stops it at the end of the session if it
started it. Import it into a test module as `from tests.support.pcscd import pcscd_fixture  # noqa: F401`
(its function name differs from the fixture name so that test parameters called `pcscd` shadow nothing).

A component that is missing or cannot start skips the test with the reason — except when CI == "true",
where it fails: a CI run must not pass by skipping the PC/SC tests.

pcscd and vpcd's ports are one per machine, so `stack_lock()` serialises whoever uses them: the fixture
holds it for the session (a second pytest run waits for the first), and so does `bench.tap`.

Threading: one test thread at a time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.support.components import missing_component

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
VPCD_CONFIG = Path("/etc/reader.conf.d/vpcd")
VPCD_READER_PREFIX = "Virtual PCD"
VIRTUAL_READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")  # vpcd's, on ports 35963 and 35964
VPCD_PORTS = "35963-35964"
RESERVED_PORTS = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
# pcscd and the vpcd ports are one per machine: test sessions (and benchmarks) that use them take turns.
LOCK_PATH = Path(tempfile.gettempdir()) / "bashgah-pcsc-stack.lock"
LOCK_TIMEOUT_S = 900.0


def reserve_vpcd_ports() -> None:
    """Keep vpcd's two ports out of the kernel's ephemeral range (root, Linux; a no-op elsewhere).

    vpcd listens on fixed ports inside the ephemeral range (32768-60999): a test server bound to port 0, or
    a client connection, given 35964 by the kernel made pcscd start with one reader missing, now and then.
    Reserved ports are never handed out for port 0, yet vpcd may still bind them by number."""
    if os.geteuid() != 0 or not RESERVED_PORTS.exists():
        return
    held = RESERVED_PORTS.read_text().strip()
    if VPCD_PORTS in held.split(","):
        return
    with contextlib.suppress(OSError):  # a container may not let us: then the tests run as before
        RESERVED_PORTS.write_text(f"{held},{VPCD_PORTS}" if held else VPCD_PORTS)


class PcscUnavailableError(RuntimeError):
    """A part of the PC/SC test stack is missing or would not start; the message says which."""


def unavailable(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it when CI == "true"."""
    missing_component("PC/SC test stack", reason)


class Pcscd:
    def __init__(self, log_dir: Path | None = None) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._log_dir = log_dir or Path(tempfile.gettempdir())
        self.log_path: Path | None = None

    @property
    def started_here(self) -> bool:
        """Whether the running pcscd is ours (so that we may stop it)."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.started_here else None  # type: ignore[union-attr]

    # ------------------------------------------------------------------ checks

    def check_installed(self) -> None:
        """Raise PcscUnavailableError unless pyscard, pcscd and the vpcd driver are all here."""
        try:
            from smartcard import scard  # noqa: F401
        except ImportError as error:
            raise PcscUnavailableError(f"pyscard is not importable ({error}); pip install pyscard") from None
        if _pcscd_binary() is None:
            raise PcscUnavailableError("pcscd is not installed (apt-get install pcscd)")
        if not VPCD_DRIVER.exists() or not VPCD_CONFIG.exists():
            raise PcscUnavailableError(
                "vsmartcard's vpcd driver is not installed (apt-get install vsmartcard-vpcd)"
            )

    @staticmethod
    def virtual_readers() -> list[str] | None:
        """The vpcd readers of the running pcscd, or None when no pcscd answers."""
        from smartcard import scard

        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        try:
            hresult, names = scard.SCardListReaders(context, [])
        finally:
            scard.SCardReleaseContext(context)
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        return [name for name in names if name.startswith(VPCD_READER_PREFIX)]

    # ------------------------------------------------------------------ control

    def ensure_running(self) -> None:
        """A pcscd with the vpcd readers answers when this returns; raises PcscUnavailableError."""
        self.check_installed()
        readers = self.virtual_readers()
        if readers:
            return
        if readers is not None:
            raise PcscUnavailableError(
                "a pcscd not started by the tests runs without the vpcd readers (started before "
                "vsmartcard-vpcd was installed?); restart it"
            )
        self.start()

    def start(self) -> None:
        """Start `pcscd -f -i` (root only) and wait until it lists the vpcd readers."""
        if self.started_here:
            return
        if os.geteuid() != 0:
            raise PcscUnavailableError("pcscd is not running and only root can start it")
        _remove_stale_socket()
        binary = _pcscd_binary()
        assert binary is not None
        self.log_path = self._log_dir / f"pcscd-{os.getpid()}.log"
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen([binary, "-f", "-i"], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PcscUnavailableError(
                    f"pcscd exited with {self._process.returncode}; see {self.log_path}"
                )
            if self.virtual_readers():
                return
            time.sleep(0.05)
        self.stop()
        raise PcscUnavailableError(f"pcscd did not list the vpcd readers within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        """Stop the pcscd this helper started (SIGTERM, then SIGKILL); any other pcscd is left alone."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def stack_lock(timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Exclusive use of pcscd and the vpcd ports among processes on this machine (an flock)."""
    with LOCK_PATH.open("a") as lock:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PcscUnavailableError(
                        f"another process has held the PC/SC test stack for {timeout_s:.0f} s ({LOCK_PATH})"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _pcscd_binary() -> str | None:
    return shutil.which("pcscd") or next(
        (str(p) for p in (Path("/usr/sbin/pcscd"), Path("/sbin/pcscd")) if p.exists()), None
    )


def _remove_stale_socket() -> None:
    """A pcscd killed hard leaves its socket and PID file; a new one refuses to start over them."""
    pid_file = Path("/run/pcscd/pcscd.pid")
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pid_file.read_text().strip()), 0)
        return  # that pcscd is alive: leave its files
    for leftover in (Path("/run/pcscd/pcscd.comm"), pid_file):
        with contextlib.suppress(OSError):
            leftover.unlink()


# Each module importing the fixture gets its own session-scoped instance of it (pytest keys fixtures by the
# module that holds them); they share one Pcscd, so that every module knows whether the tests started pcscd,
# and the first instance holds the machine-wide lock for the whole session.
_session: dict[str, Pcscd] = {}
_lock_held: list[bool] = []  # non-empty while one instance of the fixture holds stack_lock()


@pytest.fixture(scope="session", name="pcscd")
def pcscd_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    """A running pcscd with the vpcd readers; stopped at the end if this session started it."""
    service = _session.setdefault("pcscd", Pcscd(log_dir=tmp_path_factory.mktemp("pcscd")))
    with contextlib.ExitStack() as held:
        try:
            if not _lock_held:
                held.enter_context(stack_lock())
                _lock_held.append(True)
                held.callback(_lock_held.clear)
            service.ensure_running()
        except PcscUnavailableError as error:
            unavailable(str(error))
        try:
            yield service
        finally:
            service.stop()


def wait_until_readers_empty(readers: tuple[str, ...] = VIRTUAL_READERS, timeout_s: float = 5.0) -> None:
    """Until pcscd itself has seen the cards taken away (it polls vpcd about every 400 ms). A test that takes
    a card off and puts the next one on sooner leaves pcscd holding the first, and the next card's APDUs go
    nowhere (`SCARD_E_NOT_TRANSACTED`); a reader's own state in our backend cannot tell, as it may not have
    been told of the card at all."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return  # pcscd not running: nothing to wait for
    try:
        states = [(name, scard.SCARD_STATE_UNAWARE) for name in readers]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            hresult, found = scard.SCardGetStatusChange(context, 200, states)
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                return
            if all(state & scard.SCARD_STATE_EMPTY for _, state, _ in found):
                return
            states = [(name, state & ~scard.SCARD_STATE_CHANGED) for name, state, _ in found]
        raise AssertionError("the virtual readers still hold a card")
    finally:
        scard.SCardReleaseContext(context)
