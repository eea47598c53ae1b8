# SPDX-License-Identifier: GPL-3.0-or-later
"""A real terminal (a `bashgah` data dir, driven through its command line) enrolled with the live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from sync.server.auth import create_admin_token
from sync.server.db import Database


@dataclass
class TillProcess:
    data_dir: Path
    staff: str
    pin: str

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "--data-dir", str(self.data_dir), *args],
            check=False, capture_output=True, text=True, timeout=180,
            env={**os.environ, "BASHGAH_LANG": "en"},
        )  # fmt: skip

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def sync(self) -> Any:
        return self.json("sync", "--once")

    def as_staff(self, *args: str) -> Any:
        return self.json(*args, "--staff", self.staff, "--pin", self.pin)


def enrol_till(db: Database, url: str, data_dir: Path, branch: str, staff: dict[str, str]) -> TillProcess:
    """A terminal at `branch` (a code), enrolled through the admin API's code and `bashgah enroll`."""
    token = db.write(lambda conn: create_admin_token(conn, "browser tests", "admin", 0))[1]
    answer = requests.post(
        f"{url}/v1/admin/enrollment-codes",
        json={"branch_code": branch},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    till = TillProcess(data_dir, staff["name"], staff["pin"])
    till.json("enroll", "--server", url, "--code", answer.json()["code"])
    return till
