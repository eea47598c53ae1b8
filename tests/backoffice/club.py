# SPDX-License-Identifier: GPL-3.0-or-later
"""A demo club on a server database for the browser tests, with its back-office users, and logging in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from sync.server import demo, migrate
from sync.server.app import create_app
from sync.server.clock import SystemClock
from sync.server.db import Database


@dataclass
class DemoOffice:
    db: Database
    passwords: dict[str, str]  # user name → password
    names: dict[str, str]  # role → user name
    seeded: dict

    def app(self) -> object:
        return create_app(self.db)


def demo_office(folder: Path, members: int = 40) -> DemoOffice:
    db = Database(f"sqlite:///{folder / 'server.sqlite3'}")
    now = SystemClock().now_us()
    migrate.upgrade(db, now)
    seeded = demo.seed(db, now, members_count=members)
    users = seeded["office_users"]
    return DemoOffice(
        db,
        {u["name"]: u["password"] for u in users},
        {u["role"]: u["name"] for u in users},
        seeded,
    )


def log_in(page: Page, office: DemoOffice, role: str = "owner") -> None:
    name = office.names[role]
    page.goto("/admin/login")
    page.get_by_label("نام کاربری").fill(name)
    page.get_by_label("گذرواژه").fill(office.passwords[name])
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_test_id("whoami")).to_contain_text(name)
