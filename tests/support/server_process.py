# SPDX-License-Identifier: GPL-3.0-or-later
"""The club server as a real process, for tests that need one on the network (sync client, faults).

    with ServerProcess(url) as server:      # `bashgah-server --db URL serve --port FREE` on 127.0.0.1
        requests.get(server.base_url + "/v1/health")
        server.restart()                     # same port, same database
        server.kill()                        # SIGKILL: a crash, for fault-injection tests
        server.start()

`start()` waits until /v1/health answers (or the process dies, with the tail of its log in the error).
`upgraded_sqlite_url(path)` makes a fresh, upgraded SQLite database the server accepts;
`seeded_sqlite_url(path)` also imports the demo club. The `server_process` fixture yields a running
server on a fresh SQLite database and stops it afterwards; `server_process_factory` makes more (on a
database URL of the test's choice) and stops them all.

Threading: one test thread drives a ServerProcess.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
HOST = "127.0.0.1"


class ServerStartError(RuntimeError):
    """The server process exited or did not answer /v1/health in time."""


def server_command() -> list[str]:
    """`bashgah-server` beside this Python (the venv's entry point), else the module."""
    script = Path(sys.executable).with_name("bashgah-server")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sync.server.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _run_cli(*args: str) -> str:
    result = subprocess.run([*server_command(), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"bashgah-server {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def upgraded_sqlite_url(path: Path) -> str:
    url = f"sqlite:///{path}"
    _run_cli("--db", url, "db", "upgrade")
    return url


def seeded_sqlite_url(path: Path) -> str:
    url = upgraded_sqlite_url(path)
    _run_cli("--db", url, "demo", "seed")
    return url


class ServerProcess:
    def __init__(
        self,
        db_url: str,
        *,
        port: int | None = None,
        log_dir: Path | None = None,
        workers: int = 1,
        serve_args: Sequence[str] = (),
    ) -> None:
        self.db_url = db_url
        self.workers = workers
        self.serve_args = list(serve_args)  # more `serve` options, e.g. --forwarded-allow-ips
        self.port = port or free_port()
        self.log_path = (log_dir or Path(tempfile.gettempdir())) / f"bashgah-server-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running else None  # type: ignore[union-attr]

    def start(self) -> None:
        if self.running:
            return
        command = [*server_command(), "--db", self.db_url, "serve", "--host", HOST, "--port", str(self.port)]
        command += ["--workers", str(self.workers), "--log-level", "warning", *self.serve_args]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise ServerStartError(
                    f"bashgah-server exited with {self._process.returncode}: {self._log_tail()}"
                )
            if self.healthy():
                return
            time.sleep(0.05)
        self.stop()
        raise ServerStartError(
            f"bashgah-server did not answer within {START_TIMEOUT_S:.0f} s: {self._log_tail()}"
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/v1/health", timeout=1) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        """SIGTERM (uvicorn finishes requests in flight), then SIGKILL if it lingers."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """A crash: SIGKILL, no goodbye."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@pytest.fixture
def server_process_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """make(db_url=None, workers=1) → a started ServerProcess (a fresh SQLite database by default); all
    stopped after."""
    started: list[ServerProcess] = []

    def make(db_url: str | None = None, workers: int = 1) -> ServerProcess:
        url = db_url or upgraded_sqlite_url(tmp_path / f"server-{len(started)}.sqlite3")
        server = ServerProcess(url, log_dir=tmp_path, workers=workers)
        started.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def server_process(server_process_factory: Callable[..., ServerProcess]) -> ServerProcess:
    """A running server on a fresh, upgraded SQLite database."""
    return server_process_factory()
