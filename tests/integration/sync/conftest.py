# SPDX-License-Identifier: GPL-3.0-or-later
"""A real club server process for the sync tests, and tills (terminals) enrolled with it.

The server's database is a copy of one made per session: migrated, with two branches (THR, ISF), two
tiers, a manager and an admin token. Each test gets its own copy and its own `bashgah-server` process on a
free port (tests.support.server_process); `postgres_club_server` does the same on a real PostgreSQL.
Tills enrol through the real command path: a code from the admin API, `enroll_device`, a full pull.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from app.services.device_enrollment import enroll_device
from app.services.terminal import Terminal
from sync.client import HttpEnrollment, SyncClient
from sync.protocol import WireBranch, WireTier
from sync.server import club as server_club
from sync.server import migrate
from sync.server.auth import create_admin_token
from sync.server.db import Database as ServerDatabase
from sync.server.sequence import Publisher
from tests.support.server_process import ServerProcess

THR = "01a0564b-bfc0-7506-b4f2-85639db8752a"
ISF = "01a0564b-bfc0-7506-b4f2-85639db8752b"
MANAGER_NAME = "Manager Mina"
MANAGER_PIN = "2468"


def now_us() -> int:
    return time.time_ns() // 1000


def _install_club(db: ServerDatabase) -> str:
    """Tiers and branches straight into the server's database; an admin token for the rest."""
    at = now_us()

    def work(conn: Any) -> str:
        pub = Publisher(at)
        server_club.put_tier(conn, pub, WireTier(code="bronze", name_fa="برنزی", name_en="Bronze", rank=0))
        server_club.put_tier(
            conn,
            pub,
            WireTier(code="silver", name_fa="نقره‌ای", name_en="Silver", rank=1, threshold_points=500),
        )
        for branch_id, code, points in ((THR, "THR", 1), (ISF, "ISF", 2)):
            server_club.put_branch(
                conn,
                pub,
                WireBranch(
                    id=branch_id, code=code, name_fa=code, name_en=code, earn_points_per_unit=points,
                    earn_rials_per_unit=100_000, redeem_rials_per_point=1_000, redeem_max_share_percent=50,
                ),
            )  # fmt: skip
        # these tests sell as fast as a computer can, thousands of sales a minute: a till's hourly ceilings
        # (sync.server.vetting.velocity) would set most of that aside. Tests of the ceilings set their own.
        for key in server_club.SERVER_SETTINGS:
            if key.startswith("velocity_"):
                server_club.put_setting(conn, pub, key, str(10**12))
        pub.flush(conn)
        return create_admin_token(conn, "sync tests", "admin", at)[1]

    migrate.upgrade(db, at)
    return db.write(work)


@dataclass
class ClubServer:
    """A running server and its admin API."""

    process: ServerProcess
    admin_token: str

    @property
    def url(self) -> str:
        return self.process.base_url

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        response = requests.request(
            method, self.url + "/v1/admin" + path, headers=headers, timeout=30, **kwargs
        )
        assert response.status_code < 300, response.text
        return response.json()

    def code(self, branch: str = "THR") -> str:
        return self.admin("POST", "/enrollment-codes", json={"branch_code": branch})["code"]

    def member(self, member_id: str) -> dict[str, Any]:
        return self.admin("GET", f"/members/{member_id}")

    def add_manager(self) -> None:
        self.admin("POST", "/staff", json={"name": MANAGER_NAME, "role": "manager", "pin": MANAGER_PIN})

    def enroll(self, data_dir: Path, branch: str = "THR", **kwargs: Any) -> tuple[Terminal, SyncClient]:
        """A till enrolled here through the real path; its sync client."""
        _enrollment, terminal = enroll_device(
            data_dir,
            server_url=self.url,
            code=self.code(branch),
            server=HttpEnrollment(),
            catch_up=lambda db: SyncClient(db).pull(),
            **kwargs,
        )
        return terminal, SyncClient(terminal.db, clock=terminal.clock)


@pytest.fixture(scope="session")
def server_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("club-server") / "server.sqlite3"
    db = ServerDatabase(f"sqlite:///{path}")
    token = _install_club(db)
    with db.engine.connect() as conn:  # fold the WAL into the file, so a copy of the file is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path, token


@pytest.fixture
def club_server(server_template: tuple[Path, str], tmp_path: Path) -> Iterator[ClubServer]:
    template, token = server_template
    path = tmp_path / "server.sqlite3"
    shutil.copyfile(template, path)
    with _serving(f"sqlite:///{path}", token, tmp_path) as server:
        yield server


@contextlib.contextmanager
def _serving(url: str, token: str, log_dir: Path) -> Iterator[ClubServer]:
    """A server process on `url` with a manager on staff; stopped on the way out."""
    process = ServerProcess(url, log_dir=log_dir)
    process.start()
    try:
        server = ClubServer(process, token)
        server.add_manager()
        yield server
    finally:
        process.stop()


@pytest.fixture
def postgres_club_server(tmp_path: Path) -> Iterator[ClubServer]:
    from tests.support.postgres import PostgresCluster, PostgresUnavailableError, unavailable

    cluster = PostgresCluster()
    try:
        cluster.ensure_running()
    except PostgresUnavailableError as error:
        unavailable(str(error))
    url = cluster.create_database()
    db = ServerDatabase(url)
    try:
        token = _install_club(db)
        db.dispose()
        with _serving(url, token, tmp_path) as server:
            yield server
    finally:
        db.dispose()
        cluster.drop_database(url)
