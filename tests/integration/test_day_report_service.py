# SPDX-License-Identifier: GPL-3.0-or-later
"""The day report's use case on a real store: the local day's edges in the terminal's time zone, later
returns, and entries the server set aside."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest

from app.services.checkout import SaleRequest, record_sale
from app.services.day_report import branch_day_report, local_day_bounds
from app.services.enroll import EnrollRequest, enroll_member
from app.services.returns import ReturnRequest, return_sale
from app.services.terminal import open_terminal
from app.store import sync_state
from tests.support.club import CASHIER, MANAGER

DAY = date(2025, 12, 6)  # 1404/09/15; Tehran is UTC+3:30 all year (no clock change since 2022)
UTC_START = int(datetime.fromisoformat("2025-12-05T20:30:00+00:00").timestamp()) * 1_000_000
MINUTE = 60 * 1_000_000


class Clock:
    def __init__(self, now_us: int) -> None:
        self.now = now_us

    def now_us(self) -> int:
        return self.now


@pytest.fixture
def tehran(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tehran")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_local_day_is_midnight_to_midnight_in_the_terminals_time_zone(tehran):
    assert local_day_bounds(DAY) == (UTC_START, UTC_START + 24 * 60 * MINUTE)


def test_the_edges_of_the_day_later_returns_and_set_aside_entries(tehran, terminal):
    clock = Clock(UTC_START - MINUTE)  # 23:59 the evening before
    counter = open_terminal(terminal.data_dir, clock=clock, db=terminal.db)
    member = enroll_member(counter, EnrollRequest(name="Reza", phone="09351234567")).member

    def sell(at_us: int, amount: int, invoice: str, staff=CASHIER) -> str:
        clock.now = at_us
        return record_sale(counter, SaleRequest(member.id, amount, invoice_ref=invoice, staff=staff)).sale_id

    sell(UTC_START - MINUTE, 9_000_000, "before")
    sell(UTC_START, 1_000_000, "first")  # 00:00 local: in the day
    sell(UTC_START + 24 * 60 * MINUTE - MINUTE, 2_000_000, "last", MANAGER)  # 23:59 local: in the day
    set_aside = sell(UTC_START + 60 * MINUTE, 4_000_000, "refused")
    sell(UTC_START + 24 * 60 * MINUTE, 8_000_000, "after")  # 00:00 the next day
    clock.now = UTC_START + 30 * 60 * MINUTE  # the next day: half of "last" comes back
    return_sale(counter, ReturnRequest("last", 1_000_000, staff=CASHIER))
    with counter.db.write() as conn:
        sync_state.acknowledge_entry(conn, set_aside, "rejected", at_us=clock.now, reason="test")

    report = branch_day_report(counter, DAY).report
    assert (report.branch.purchases, report.branch.net_sales_rials) == (2, 1_000_000 + 1_000_000)
    assert report.branch.returns == 0  # the return was made the next day
    assert report.by_staff[MANAGER.id].net_sales_rials == 1_000_000
    assert report.by_staff[CASHIER.id].points_earned == 10  # "refused" counts nowhere
    assert branch_day_report(counter).day == date(2025, 12, 7)  # today, by the terminal's clock
