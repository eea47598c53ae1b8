# SPDX-License-Identifier: GPL-3.0-or-later
"""Points a member spent at a terminal offline must not expire again when the terminal pushes after the
server's daily run: a known bug, found by the thirty-day soak (bench.soak reports it as "the server's run
expired N points of M members that they had spent offline before it"), kept here as a strict xfail for
whoever fixes it.

The run expires, FIFO, what the server knows was earned `expiry_days` ago and not spent. A spend (or a
return's claw-back) made offline before the run, pushed after it, is charged by FIFO to those same oldest
points: the member loses them twice, and one who earned nothing since goes below zero (and onto the
restricted list) without any override. Terminal and server still agree (they hold the same entries).
The fix: app.domain.expiry charges an expire entry only to lots earned before its cutoff; what it took
beyond them is over-expired, and the next run gives it back (an `expire` entry of positive points, reason
"expiry_given_back"), once.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.domain.expiry import GIVEN_BACK
from app.domain.ledger import EntryKind
from app.domain.programme import US_PER_DAY
from sync.protocol import WireEntry
from sync.server.backoffice.texts import FA
from sync.server.programme import SERVER_DEVICE_ID, run_daily
from tests.server.club import T0, pull_all, push
from tests.server.office import add_every_role, sign_in
from tests.server.test_programme import (
    DAY,
    RULES,
    earn,
    new_member,
    points_of,
    run,
    save_rules,
    server_entries,
)


def test_points_spent_offline_before_the_run_are_not_expired_again(client, club_db, admin, terminal):
    save_rules(client, admin, RULES)  # points expire after 365 days
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0)])
    # the terminal, offline, spends 30 of those points on day 364 (within its grant); the server's run of
    # day 366 does not know yet and expires all 100
    spent = terminal.sale(m, 60_000, redeem=30, created_at_us=T0 + 364 * US_PER_DAY)
    assert run(club_db, T0 + 366 * US_PER_DAY).expired_points == 100
    push(client, terminal, spent)  # back online
    run(club_db, T0 + 367 * US_PER_DAY)  # the next day's run: 70 were due, not 100
    assert points_of(club_db, m) == 0  # not -30: 100 earned, 30 spent, 70 expired


def _given_back(db, member_id: str) -> list:
    return [e for e in server_entries(db) if e.member_id == member_id and e.points_delta > 0]


def test_the_give_back_is_an_expire_entry_written_once(client, club_db, admin, terminal):
    save_rules(client, admin, RULES)
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0)])
    spent = terminal.sale(m, 60_000, redeem=30, created_at_us=T0 + 364 * US_PER_DAY)
    run(club_db, T0 + 366 * US_PER_DAY)
    push(client, terminal, spent)
    summary = run(club_db, T0 + 367 * US_PER_DAY)
    assert (summary.given_back_members, summary.given_back_points, summary.expired_points) == (1, 30, -30)
    [back] = _given_back(club_db, m)
    assert (back.kind, back.points_delta, back.reason) == (EntryKind.EXPIRE, 30, GIVEN_BACK)
    assert back.device_id == SERVER_DEVICE_ID
    # again the same day, the next day, a month on: nothing more is owed
    for day in (367, 368, 400):
        assert run(club_db, T0 + day * US_PER_DAY).entries == []
    assert points_of(club_db, m) == 0 and len(_given_back(club_db, m)) == 1
    # terminals pull it like any entry the server writes, its seal whole
    pulled = [
        WireEntry.model_validate(c["entry"]) for c in pull_all(client, terminal) if c["kind"] == "entry"
    ]
    [wire] = [e for e in pulled if e.id == back.id]
    assert wire.hash_holds() and wire.points_delta == 30


def test_a_lot_earned_after_the_cutoff_is_not_eaten(client, club_db, admin, terminal):
    save_rules(client, admin, RULES)
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0), earn(terminal, m, 50, T0 + 200 * US_PER_DAY)])
    spent = terminal.sale(m, 60_000, redeem=30, created_at_us=T0 + 364 * US_PER_DAY)
    assert run(club_db, T0 + 366 * US_PER_DAY).expired_points == 100
    push(client, terminal, spent)
    assert points_of(club_db, m) == 20  # 150 − 30 − 100: the day-200 lot looks eaten
    run(club_db, T0 + 367 * US_PER_DAY)
    assert points_of(club_db, m) == 50  # it stands whole, and expires on its own day
    assert run(club_db, T0 + 566 * US_PER_DAY).expired_points == 50
    assert points_of(club_db, m) == 0


def test_an_expiry_and_a_give_back_on_one_day_have_their_own_ids(client, club_db, admin, terminal):
    save_rules(client, admin, RULES)
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0), earn(terminal, m, 40, T0 + US_PER_DAY * 3 // 2)])
    spent = terminal.sale(m, 60_000, redeem=30, created_at_us=T0 + 364 * US_PER_DAY)
    run(club_db, T0 + 366 * US_PER_DAY)  # 100 due (the 40 of day 1.5 not yet)
    push(client, terminal, spent)
    run(club_db, T0 + 367 * US_PER_DAY)  # the 40 due, and 30 given back
    day_367 = [e for e in server_entries(club_db) if e.created_at_us == T0 + 367 * US_PER_DAY]
    assert sorted(e.points_delta for e in day_367) == [-40, 30]
    assert len({e.id for e in day_367}) == 2
    assert points_of(club_db, m) == 0


def test_a_daily_run_stopped_between_batches_gives_back_once_when_resumed(client, club_db, admin, terminal):
    save_rules(client, admin, RULES)
    people = [new_member(client, terminal) for _ in range(3)]
    push(client, terminal, [earn(terminal, m, 100, T0) for m in people])
    spent = [e for m in people for e in terminal.sale(m, 60_000, redeem=30, created_at_us=T0 + 364 * DAY)]
    run_daily(club_db, T0 + 366 * DAY)
    push(client, terminal, spent)

    class StopError(Exception):
        pass

    def stop(_done: object) -> None:
        raise StopError

    with pytest.raises(StopError):  # the server stops after its first batch committed
        run_daily(club_db, T0 + 367 * DAY, batch=1, on_batch=stop)
    assert sum(len(_given_back(club_db, m)) for m in people) == 1
    resumed = run_daily(club_db, T0 + 367 * DAY + 3_600_000_000, batch=1)
    assert resumed.given_back_points == 60  # the two members left, at the first call's moment
    assert run_daily(club_db, T0 + 367 * DAY, batch=1).entries == []  # run again: nothing twice
    for m in people:
        assert len(_given_back(club_db, m)) == 1 and points_of(club_db, m) == 0


def test_the_back_office_names_the_give_back(client, club_db, admin, terminal):
    save_rules(client, admin, RULES)
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0)])
    spent = terminal.sale(m, 60_000, redeem=30, created_at_us=T0 + 364 * US_PER_DAY)
    run(club_db, T0 + 366 * US_PER_DAY)
    push(client, terminal, spent)
    run(club_db, T0 + 367 * US_PER_DAY)
    add_every_role(club_db)
    sign_in(client, "auditor")  # Persian first
    page = client.get(f"/admin/members/{m}")
    assert page.status_code == 200, page.text
    assert FA["Expiry given back"] == "بازگشت امتیاز منقضی‌شده"
    assert page.text.count("بازگشت امتیاز منقضی‌شده") == 1 and "انقضای امتیاز" in page.text


def test_a_club_that_lengthens_expiry_gives_nothing_back_for_an_earlier_one(client, club_db, admin, terminal):
    save_rules(client, admin, RULES)  # 365 days
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 50, T0 - 400 * DAY), earn(terminal, m, 100, T0)])
    assert run(club_db, T0 + 366 * DAY).expired_points == 150
    push(client, terminal, [earn(terminal, m, 20, T0 + 366 * DAY + DAY // 2)])
    save_rules(client, admin, replace(RULES, expiry_days=730))
    # the run looks at the member again (points, and an earning before the new cutoff); the expiry of day
    # 366 went by its own rule set's 365 days: it took nothing beyond what was due then
    assert run(club_db, T0 + 367 * DAY).entries == []
    assert points_of(club_db, m) == 20
