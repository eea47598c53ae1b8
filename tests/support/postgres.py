# SPDX-License-Identifier: GPL-3.0-or-later
"""A real PostgreSQL for the server tests: the Debian cluster, and a fresh database per test.

`PostgresCluster().ensure_running()` finds the installed server (the newest version under
/usr/lib/postgresql), starts its "main" cluster if it does not answer (`pg_ctlcluster
--skip-systemctl-redirect VERSION main start`: there is no systemd here), and creates a login role for
the user running the tests if it is missing (as root, through `runuser -u postgres`). Connections go
over the unix socket in /var/run/postgresql, where local users authenticate by peer (HARNESS.md).

`create_database(template=None)` makes a database with a random name and returns its SQLAlchemy URL
(`postgresql+psycopg://USER@/NAME?host=/var/run/postgresql`); `drop_database(url)` removes it. A
migrated template copied per test (CREATE DATABASE … TEMPLATE …) keeps a fresh database cheap.

A PostgreSQL that is missing or cannot start skips the test with the reason, except when CI == "true",
where it fails (tests.support.components): a CI run must not pass by skipping the server on PostgreSQL.
The cluster is left running: it is the machine's, and other test sessions may be using it.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, NoReturn

from tests.support.components import missing_component

SOCKET_DIR = "/var/run/postgresql"
INSTALL_ROOT = Path("/usr/lib/postgresql")
CLUSTER = "main"
START_TIMEOUT_S = 20.0
NAME_PREFIX = "bashgah_test_"


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL is missing, or would not start or let us in; the message says which."""


def unavailable(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it when CI == "true"."""
    missing_component("PostgreSQL", reason)


def installed_version() -> str | None:
    """The newest PostgreSQL major version installed (Debian layout), e.g. "15"."""
    if not INSTALL_ROOT.is_dir():
        return None
    versions = [
        p.name for p in INSTALL_ROOT.iterdir() if (p / "bin" / "postgres").exists() and p.name.isdigit()
    ]
    return max(versions, key=int) if versions else None


class PostgresCluster:
    def __init__(self, user: str | None = None) -> None:
        self.user = user or getpass.getuser()
        self.version: str | None = None

    # ---------------------------------------------------------------- setting up

    def ensure_running(self) -> None:
        """The cluster answers and lets self.user in when this returns; raises PostgresUnavailableError."""
        try:
            import psycopg  # noqa: F401
        except ImportError as error:
            raise PostgresUnavailableError(
                f"psycopg is not importable ({error}); pip install 'psycopg[binary]'"
            ) from None
        self.version = installed_version()
        if self.version is None or shutil.which("pg_ctlcluster") is None:
            raise PostgresUnavailableError(
                "PostgreSQL is not installed (scripts/install-system-deps postgres)"
            )
        if not self._ready():
            self._start()
        self._ensure_role()

    def _ready(self) -> bool:
        pg_isready = shutil.which("pg_isready")
        if pg_isready is None:
            return Path(SOCKET_DIR, ".s.PGSQL.5432").exists()
        result = subprocess.run([pg_isready, "-q", "-h", SOCKET_DIR], check=False, capture_output=True)
        return result.returncode == 0

    def _start(self) -> None:
        if os.geteuid() != 0:
            raise PostgresUnavailableError("the PostgreSQL cluster is not running and only root can start it")
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", str(self.version), CLUSTER, "start"]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode not in (0, 2):  # 2: already running
            raise PostgresUnavailableError(f"`{' '.join(command)}` failed: {result.stderr.strip()[:300]}")
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._ready():
                return
            time.sleep(0.1)
        raise PostgresUnavailableError(
            f"PostgreSQL did not accept connections within {START_TIMEOUT_S:.0f} s"
        )

    def _ensure_role(self) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", self.user):
            raise PostgresUnavailableError(f"cannot make a PostgreSQL role for the user name {self.user!r}")
        try:
            self.connect().close()
            return
        except Exception as error:  # any failure to log in (usually: no such role): try to make the role
            first_error = error
        if os.geteuid() != 0 or shutil.which("runuser") is None:
            raise PostgresUnavailableError(f"cannot log in to PostgreSQL as {self.user}: {first_error}")
        sql = f"CREATE ROLE {self.user} SUPERUSER LOGIN"
        command = ["runuser", "-u", "postgres", "--", "psql", "-h", SOCKET_DIR, "-c", sql]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise PostgresUnavailableError(
                f"could not create the role {self.user}: {result.stderr.strip()[:300]}"
            )
        self.connect().close()

    # ---------------------------------------------------------------- databases

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(
            host=SOCKET_DIR, dbname=dbname, user=self.user, autocommit=True, connect_timeout=10
        )

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{dbname}?host={SOCKET_DIR}"

    def create_database(self, template: str | None = None) -> str:
        """A new, empty (or template-copied) database with a random name; returns its URL."""
        name = NAME_PREFIX + secrets.token_hex(6)
        with self.connect() as conn:
            if template is None:
                conn.execute(f'CREATE DATABASE "{name}"')
            else:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_name(template)}"')
        return self.url(name)

    def drop_database(self, url_or_name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_name(url_or_name)}" WITH (FORCE)')


def _name(url_or_name: str) -> str:
    """The database name in one of our URLs (or the name itself), checked to be one we made."""
    name = url_or_name.split("?", maxsplit=1)[0].rsplit("/", maxsplit=1)[-1]
    if not re.fullmatch(NAME_PREFIX + r"[0-9a-f]+", name):
        raise ValueError(f"not a test database: {url_or_name!r}")
    return name
