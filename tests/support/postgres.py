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

`PostgresReplica(cluster)` makes a hot standby of it for the read-replica tests (pg_basebackup -R into a
temporary directory, run as `postgres` on its own port), removed at `stop()`.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    with (Path(tempfile.gettempdir()) / "bashgah-postgres-start.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
        # test workers (pytest-xdist) may all find it stopped at once: one starts it, the others wait
        with _start_lock():
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


# ---------------------------------------------------------------- a streaming replica

REPLICA_START_TIMEOUT_S = 30.0


class PostgresReplica:
    """A hot standby of the machine's cluster: `pg_basebackup -R` into a temporary data directory, run as
    the `postgres` user on its own port, its socket in that directory, until `stop()` removes it.

    The base backup copies the whole cluster (every test database on it, and the WAL written meanwhile:
    ~200 MB here, 2 to 15 s depending on the machine's load), with a fast checkpoint and no fsync. It
    streams without a replication slot, so nothing is left on the primary however the test session ends (a
    slot left behind would keep the shared cluster's WAL for ever); the standby keeps up within moments, and
    pausing its replay does not stop it receiving. The primary must let `postgres` replicate over the local
    socket (Debian's pg_hba.conf does: `local replication all peer`); the cluster's configuration is not
    changed.

    Databases the tests create on the primary appear here once replayed: `wait_caught_up()` waits until
    the replica has replayed everything the primary had written when it was called.
    """

    def __init__(self, primary: PostgresCluster) -> None:
        self.primary = primary
        self.version = primary.version or installed_version()
        self.dir: Path | None = None
        self.port = 0
        self.backup_s = 0.0  # seconds the base backup took
        self.started_s = 0.0  # seconds the base backup and the start took

    @property
    def data_dir(self) -> Path:
        assert self.dir is not None
        return self.dir / "data"

    @property
    def socket_dir(self) -> str:
        assert self.dir is not None
        return str(self.dir)

    def start(self) -> None:
        """Copy the primary and start the standby; raises PostgresUnavailableError."""

        from tests.support.server_process import free_port

        if os.geteuid() != 0 or shutil.which("runuser") is None or self.version is None:
            raise PostgresUnavailableError(
                "a replica needs root (to run PostgreSQL as `postgres`) and runuser"
            )
        began = time.monotonic()
        self.dir = Path(tempfile.mkdtemp(prefix="bashgah-replica-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        bin_dir = INSTALL_ROOT / self.version / "bin"
        self._as_postgres(
            str(bin_dir / "pg_basebackup"), "-h", SOCKET_DIR, "-U", "postgres", "-D", str(self.data_dir),
            "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
        )  # fmt: skip
        self.backup_s = time.monotonic() - began
        # Debian keeps the configuration outside the data directory: the copy gets its own
        (self.data_dir / "postgresql.conf").write_text(
            f"port = {self.port}\nlisten_addresses = ''\nunix_socket_directories = '{self.socket_dir}'\n"
            "hot_standby = on\nshared_buffers = 16MB\nfsync = off\n"
            "hot_standby_feedback = on\nwal_receiver_status_interval = 1s\n"
            # replay waits this long at most for a reader whose query conflicts with it, then cancels it
            "max_standby_streaming_delay = 5s\n"
        )
        (self.data_dir / "pg_hba.conf").write_text("local all all peer\n")
        (self.data_dir / "pg_ident.conf").write_text("")
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(self.data_dir / name, "postgres", "postgres")
        self._as_postgres(
            str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.dir / "log"), "-w",
            "-t", str(int(REPLICA_START_TIMEOUT_S)), "start",
        )  # fmt: skip
        self.primary_user_can_log_in()
        self.started_s = time.monotonic() - began

    def _as_postgres(self, *command: str) -> None:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], check=False, capture_output=True, text=True,
            cwd=self.socket_dir,
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresUnavailableError(
                f"`{Path(command[0]).name}` failed: {(result.stderr or result.stdout).strip()[-500:]}"
            )

    def primary_user_can_log_in(self) -> None:
        self.connect().close()

    def stop(self) -> None:
        """Stop the standby (immediately: it holds nothing to keep) and remove its directory."""
        if self.dir is None:
            return
        if (self.data_dir / "postmaster.pid").exists() and self.version is not None:
            bin_dir = INSTALL_ROOT / self.version / "bin"
            subprocess.run(
                ["runuser", "-u", "postgres", "--", str(bin_dir / "pg_ctl"), "-D", str(self.data_dir),
                 "-m", "immediate", "-w", "stop"],
                check=False, capture_output=True, cwd=self.socket_dir,
            )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    # ---------------------------------------------------------------- using it

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(
            host=self.socket_dir, port=self.port, dbname=dbname, user=self.primary.user, autocommit=True,
            connect_timeout=10,
        )  # fmt: skip

    def url(self, primary_url: str) -> str:
        """The URL of a primary's database (one of create_database's) on this replica."""
        return f"postgresql+psycopg://{self.primary.user}@/{_name(primary_url)}?host={self.socket_dir}&port={self.port}"

    def wait_caught_up(self, timeout_s: float = 20.0) -> None:
        """Until the replica has replayed what the primary had written when this was called."""
        with self.primary.connect() as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout_s
        with self.connect() as conn:
            while True:
                replayed = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (str(target),)
                ).fetchone()[0]
                if replayed:
                    return
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"the replica did not replay up to {target} in {timeout_s:.0f} s")
                time.sleep(0.01)

    def pause_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
                time.sleep(0.005)

    def resume_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def replica_of(cluster: PostgresCluster) -> Iterator[PostgresReplica]:
    """A started replica of the cluster for a fixture to yield, stopped and removed after (a session
    fixture: tests/sync/conftest.py's `postgres_replica`)."""
    replica = PostgresReplica(cluster)
    try:
        replica.start()
    except PostgresUnavailableError as error:
        replica.stop()
        unavailable(f"cannot make a streaming replica: {error}")
    try:
        yield replica
    finally:
        replica.stop()
