# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's programme across a real server and two terminals (SQLite and PostgreSQL servers):

- a rule set the admin saves reaches both terminals, and a terminal's sale under it earns exactly what the
  server's quote says for the same sale (random sales: terminal and server agree);
- a birthday bonus both terminals grant offline is held once by the server and, after sync, counted once
  at both terminals;
- the server's daily run expires points (FIFO) in its own chain and the terminals pull the expiry;
- a third terminal that pulls the entry the server set aside sees no hole in the chain of the terminal that
  made it: `bashgah ledger verify` passes there and no sync problem is recorded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.ledger import EntryKind
from app.domain.programme import BranchRules, Campaign, TierRule
from app.domain.rules import EarningRule, RedemptionPolicy
from app.services import programme as standing_of
from app.services.checkout import SaleRequest, record_sale
from app.services.ledger_check import verify_ledger
from app.store import ledger, programme, sync_state
from sync.rules import to_body
from sync.server import programme as server_programme
from sync.server.db import Database as ServerDatabase
from tests.integration.sync.conftest import THR, ClubServer, postgres_club_server
from tests.support.programme import club_rules, club_today

__all__ = ["postgres_club_server"]

DAY_US = 86_400 * 1_000_000


def _rules():
    """The test programme on this server's branches (THR, ISF), with a campaign running today."""
    today = club_today()
    rules = club_rules()
    branches = (
        ("THR", BranchRules(EarningRule(), RedemptionPolicy())),
        ("ISF", BranchRules(EarningRule(2, 100_000, 5_000_000, 200), RedemptionPolicy(1_000, 30))),
    )
    campaign = Campaign(
        "today", "امروز", "Today", starts=today, ends=today, branches=("ISF",), categories=("food",),
        multiplier_percent=150, bonus_points=7,
    )  # fmt: skip
    tiers = (*rules.tiers[:2], TierRule("gold", "طلایی", "Gold", 2, 5_000, 150))
    return replace(rules, tiers=tiers, branches=branches, campaigns=(*rules.campaigns, campaign))


def _birthday(today: date, year: int) -> str:
    """A birth date whose birthday is today (29 February: born in a leap year)."""
    return today.replace(year=1992 if (today.month, today.day) == (2, 29) else year).isoformat()


def _publish(server: ClubServer) -> int:
    saved = server.admin("PUT", "/rules", json=to_body(_rules()))
    return saved["version"]


def _member(server: ClubServer, phone: str, **fields: object) -> str:
    return server.admin("POST", "/members", json={"name": "Programme " + phone[-2:], "phone": phone,
                                                  "branch_id": THR, **fields})["id"]  # fmt: skip


def _server_balance(server: ClubServer, member_id: str) -> dict[str, int]:
    """The server's folded balance, from its database (the admin API shows members, not balances)."""
    db = ServerDatabase(server.process.db_url)
    try:
        with db.engine.connect() as conn:
            row = conn.exec_driver_sql(
                f"SELECT points, wallet_rials FROM member_balance WHERE member_id = '{member_id}'"
            ).one()
        return {"points": row[0], "wallet_rials": row[1]}
    finally:
        db.dispose()


def _set_aside(server: ClubServer) -> list[tuple[str, str]]:
    db = ServerDatabase(server.process.db_url)
    try:
        with db.engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql("SELECT device_seq, reason FROM rejected_entry")]
    finally:
        db.dispose()


def _balance(terminal, member_id: str):  # type: ignore[no-untyped-def]
    with terminal.db.read() as conn:
        return ledger.balance(conn, member_id)


def agree(server: ClubServer, tmp_path: Path) -> None:
    version = _publish(server)
    member = _member(server, "09127000001")
    thr, client_thr = server.enroll(tmp_path / "thr", "THR")
    isf, client_isf = server.enroll(tmp_path / "isf", "ISF")
    for terminal in (thr, isf):
        with terminal.db.read() as conn:
            assert programme.latest_version(conn) == version

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        at_isf=st.booleans(),
        amount=st.integers(1, 200_000_000),
        category=st.sampled_from([None, "food", "cosmetics"]),
    )
    def same_numbers(at_isf: bool, amount: int, category: str | None) -> None:
        terminal = isf if at_isf else thr
        tier = standing_of.standing(terminal, member).tier.code
        sale = record_sale(terminal, SaleRequest(member, amount, category=category))
        quote = server.admin(
            "POST",
            "/rules/quote",
            json={"branch_code": "ISF" if at_isf else "THR", "tier_code": tier, "amount_rials": amount,
                  "category": category, "at_us": terminal.clock.now_us(), "version": sale.rules_version},
        )  # fmt: skip
        assert (sale.points_earned, sale.cashback_rials) == (quote["points"], quote["cashback_rials"])
        assert list(sale.campaigns) == quote["campaigns"]

    same_numbers()
    # and the server, holding every entry, folds the same balance as the terminals
    for client in (client_thr, client_isf, client_thr):
        assert client.sync_round().ok
    on_server = _server_balance(server, member)
    for terminal in (thr, isf):
        mine = _balance(terminal, member)
        assert (mine.points, mine.wallet_rials) == (on_server["points"], on_server["wallet_rials"])
    # …and took every entry the terminals wrote: none set aside (a sale's cashback pushed last once was)
    assert _set_aside(server) == []


def bonus_once_and_expiry(server: ClubServer, tmp_path: Path) -> None:
    _publish(server)
    today = club_today()
    member = _member(server, "09127000002", birth_date=_birthday(today, 1990))
    thr, client_thr = server.enroll(tmp_path / "thr", "THR")
    isf, client_isf = server.enroll(tmp_path / "isf", "ISF")
    # offline, both terminals sell to the member on their birthday: both grant the bonus
    for terminal in (thr, isf):
        sale = record_sale(terminal, SaleRequest(member, 10_000_000))
        assert dict(sale.bonuses) == {f"birthday:{today.year}": 200}
    for client in (client_thr, client_isf, client_thr, client_isf):
        assert client.sync_round().ok
    # THR earns 100 on 1,000,000 Toman, ISF 200 (two per 10,000 Toman); the birthday once: 200
    on_server = _server_balance(server, member)
    assert on_server["points"] == 500 == _balance(thr, member).points == _balance(isf, member).points
    first, second = (thr, isf)  # THR pushed first: its bonus stands, ISF's is set aside
    assert len([e for e in _entries(first, member) if e.kind is EntryKind.BONUS]) == 1
    theirs = [e for e in _entries(second, member) if e.kind is EntryKind.BONUS]
    with second.db.read() as conn:
        assert len(theirs) == 2 and len(ledger.uncounted_ids(conn) & {e.id for e in theirs}) == 1

    # a year and a day later the server's run expires what was earned, FIFO, in its own chain
    later = time.time_ns() // 1000 + 366 * DAY_US
    db = ServerDatabase(server.process.db_url)
    try:
        written = db.write(lambda conn: server_programme.run(conn, later))
        again = db.write(lambda conn: server_programme.run(conn, later))
    finally:
        db.dispose()
    assert (written.expired_points, again.entries) == (500, [])
    for client in (client_thr, client_isf):
        assert client.sync_round().ok
    expired = [e for e in _entries(isf, member) if e.kind is EntryKind.EXPIRE]
    assert len(expired) == 1 and expired[0].points_delta == -on_server["points"]
    assert _balance(thr, member).points == _balance(isf, member).points == 0
    assert _server_balance(server, member)["points"] == 0


def set_aside_is_no_hole(server: ClubServer, tmp_path: Path) -> None:
    """Two tills grant one birthday bonus offline; the server sets the second aside. A third terminal that
    pulls both chains, and the till whose bonus was set aside, verify clean: no gap, no false mismatch."""
    _publish(server)
    today = club_today()
    member = _member(server, "09127000003", birth_date=_birthday(today, 1991))
    other = _member(server, "09127000004")
    thr, client_thr = server.enroll(tmp_path / "thr", "THR")
    isf, client_isf = server.enroll(tmp_path / "isf", "ISF")
    door, client_door = server.enroll(tmp_path / "door", "THR")
    for terminal in (thr, isf):
        record_sale(terminal, SaleRequest(member, 10_000_000))
    # after the set-aside bonus, ISF goes on selling: entries behind the hole, for another member too
    record_sale(isf, SaleRequest(other, 3_000_000))
    record_sale(isf, SaleRequest(member, 2_000_000))
    for client in (client_thr, client_isf, client_door, client_thr, client_isf):
        assert client.sync_round().ok
    on_server = _server_balance(server, member)
    for terminal in (thr, isf, door):
        report = verify_ledger(terminal.db)
        assert report.ok, (report.chain_break, report.mismatches)
        assert _balance(terminal, member).points == on_server["points"]
        assert _balance(terminal, other).points == _server_balance(server, other)["points"]
        with terminal.db.read() as conn:
            assert [p.problem for p in sync_state.problems(conn)] == []
    # the command a support engineer runs, as its own process: exit 0 (1 would mean a broken ledger)
    run = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path / "door"), "ledger", "verify"],
        capture_output=True, text=True, timeout=120, env=os.environ | {"BASHGAH_LANG": "en"}, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def _entries(terminal, member_id: str):  # type: ignore[no-untyped-def]
    with terminal.db.read() as conn:
        return ledger.member_entries(conn, member_id)


def test_terminal_and_server_agree_on_random_sales(club_server: ClubServer, tmp_path: Path) -> None:
    agree(club_server, tmp_path)


def test_terminal_and_server_agree_on_postgresql(postgres_club_server: ClubServer, tmp_path: Path) -> None:
    agree(postgres_club_server, tmp_path)


def test_a_bonus_granted_offline_twice_counts_once_and_points_expire(
    club_server: ClubServer, tmp_path: Path
) -> None:
    bonus_once_and_expiry(club_server, tmp_path)


def test_a_set_aside_entry_is_no_hole_at_other_terminals(club_server: ClubServer, tmp_path: Path) -> None:
    set_aside_is_no_hole(club_server, tmp_path)


@pytest.mark.parametrize("run", [bonus_once_and_expiry, set_aside_is_no_hole])
def test_the_same_on_postgresql(postgres_club_server: ClubServer, tmp_path: Path, run) -> None:
    run(postgres_club_server, tmp_path)
