# SPDX-License-Identifier: GPL-3.0-or-later
"""Points expire oldest first (FIFO): what is left of a lot on its expiry date is due."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.expiry import Expiring, Lot, due, lots, next_expiring, over_expired
from app.domain.ledger import EntryKind
from tests.unit.domain.programme_strategies import DAY, HOUR, entry, point_histories

T0 = 1_800_000_000 * 1_000_000
E = EntryKind


def at(day: float) -> int:
    return T0 + int(day * DAY)


def seed_history():
    """Earn 100 on day 0 and 50 on day 10; spend 120 on day 20."""
    return [
        entry(E.EARN, at=at(0), points=100),
        entry(E.EARN, at=at(10), points=50),
        entry(E.REDEEM, at=at(20), points=-120),
    ]


def test_spending_takes_the_oldest_lot_first():
    history = seed_history()
    # the spend takes all of day 0's 100 and 20 of day 10's 50
    assert lots(history) == [Lot(at(10), 30)]
    assert lots(history[:2]) == [Lot(at(0), 100), Lot(at(10), 50)]


def test_with_thirty_day_expiry_what_is_left_of_each_lot_falls_due_on_its_day():
    history = seed_history()
    assert due(history, 30, at(29)) == 0
    # day 30: the first lot would expire, but nothing is left of it
    assert due(history, 30, at(30)) == 0
    assert due(history, 30, at(40) - 1) == 0
    # day 40: the 30 left of the second lot
    assert due(history, 30, at(40)) == 30
    assert due(history, 30, at(400)) == 30


def test_the_member_sees_what_expires_next():
    history = seed_history()
    assert next_expiring(history, 30, at(20)) == Expiring(30, at(40))
    assert next_expiring(history, 30, at(40) - 1) == Expiring(30, at(40))
    assert next_expiring(history, 30, at(40)) is None
    # before the spend both lots stand; the first expires first
    assert next_expiring(history[:2], 30, at(15)) == Expiring(100, at(30))


def test_lots_earned_at_one_instant_expire_together():
    history = [
        entry(E.EARN, at=at(0), points=10),
        entry(E.BONUS, at=at(0), points=5, ref="signup"),
        entry(E.EARN, at=at(0) + 1, points=7),
    ]
    assert next_expiring(history, 30, at(1)) == Expiring(15, at(30))
    assert next_expiring(history, 30, at(30)) == Expiring(7, at(30) + 1)
    assert due(history, 30, at(30)) == 15


def test_points_that_never_expire_are_never_due():
    history = seed_history()
    assert due(history, None, at(10_000)) == 0
    assert next_expiring(history, None, at(0)) is None


def test_an_expire_entry_uses_up_the_lot_it_expired():
    history = [*seed_history(), entry(E.EXPIRE, at=at(40), points=-30)]
    assert lots(history) == []
    assert due(history, 30, at(400)) == 0
    history.append(entry(E.EARN, at=at(50), points=10))
    assert due(history, 30, at(80)) == 10


def test_a_deficit_is_paid_by_the_next_lots_before_they_can_expire():
    # an override let the member spend 40 more than they held
    history = [
        entry(E.EARN, at=at(0), points=60),
        entry(E.REDEEM, at=at(1), points=-100),
        entry(E.EARN, at=at(2), points=25),
        entry(E.EARN, at=at(3), points=50),
    ]
    assert lots(history) == [Lot(at(3), 35)]
    assert lots(history[:3]) == []
    assert due(history, 30, at(100)) == 35


def test_entries_that_move_no_points_are_not_lots():
    history = [
        entry(E.CHECK_IN, at=at(0)),
        entry(E.CASHBACK_CREDIT, at=at(0), cash=5_000),
        entry(E.EARN, at=at(1), points=0, sale=10_000),
    ]
    assert lots(history) == []


def test_points_given_back_start_a_new_lot():
    # a return gives back spent points: they are a new lot, dated by the return
    history = [*seed_history(), entry(E.REVERSAL, at=at(25), points=120)]
    assert lots(history) == [Lot(at(10), 30), Lot(at(25), 120)]
    assert next_expiring(history, 30, at(41)) == Expiring(120, at(55))


def test_order_is_by_time_then_id_whatever_order_the_entries_come_in():
    history = [
        entry(E.EARN, at=at(0), points=10, id="b"),
        entry(E.EARN, at=at(0), points=20, id="a"),
        entry(E.REDEEM, at=at(0), points=-15, id="c"),
    ]
    # a (20) then b (10), and c takes 15 of a's: not b then a, which would leave [15]
    expected = [Lot(at(0), 5), Lot(at(0), 10)]
    rng = random.Random(7)
    for _ in range(10):
        rng.shuffle(history)
        assert lots(history) == expected


# ---- properties --------------------------------------------------------------------------------------

histories = point_histories(max_size=30, days=200)
expiries = st.none() | st.integers(1, 120)
nows = st.integers(0, 400).map(lambda d: d * DAY) | st.integers(0, 400 * DAY)


@settings(max_examples=60)
@given(histories, expiries, nows)
def test_what_is_due_and_left_never_exceeds_a_non_negative_balance(history, expiry_days, now):
    balance = sum(e.points_delta for e in history)
    left = lots(history, expiry_days)
    over = over_expired(history, expiry_days)
    assert over >= 0
    assert all(lot.points > 0 for lot in left)
    assert [lot.earned_at_us for lot in left] == sorted(lot.earned_at_us for lot in left)
    # balance == lots − debt − over-expired, and a debt leaves no lot standing
    if left:
        assert sum(lot.points for lot in left) == balance + over
    else:
        assert balance + over <= 0
    owed = due(history, expiry_days, now)
    assert 0 <= owed <= max(0, balance + over)
    upcoming = next_expiring(history, expiry_days, now)
    if upcoming is not None:
        assert upcoming.at_us > now
        assert upcoming.points > 0 and owed + upcoming.points <= balance + over


@settings(max_examples=40)
@given(histories, nows)
def test_nothing_is_ever_due_without_an_expiry(history, now):
    assert due(history, None, now) == 0
    assert next_expiring(history, None, now) is None


@settings(max_examples=40)
@given(histories, st.randoms(use_true_random=False))
def test_lots_do_not_depend_on_the_order_entries_are_given_in(history, rng):
    shuffled = list(history)
    rng.shuffle(shuffled)
    assert lots(shuffled) == lots(history)
    assert due(shuffled, 30, 500 * DAY) == due(history, 30, 500 * DAY)


@settings(max_examples=40)
@given(histories, st.integers(1, 120), nows)
def test_writing_the_due_expiry_leaves_nothing_due(history, expiry_days, now):
    history = [e for e in history if e.created_at_us <= now]  # the server expires what is due by now
    owed = due(history, expiry_days, now)
    written = [*history, entry(E.EXPIRE, at=now, points=-owed, id="zz-expire")]
    assert due(written, expiry_days, now) == 0
    # and what was not due yet is still standing
    before, after = lots(history, expiry_days), lots(written, expiry_days)
    assert sum(lot.points for lot in after) == sum(lot.points for lot in before) - owed


@settings(max_examples=40)
@given(histories, st.integers(1, 120), st.integers(0, 400), st.integers(0, 400))
def test_more_falls_due_as_time_passes_while_nothing_new_is_written(history, expiry_days, a, b):
    early, late = sorted((a, b))
    assert due(history, expiry_days, early * DAY + HOUR) <= due(history, expiry_days, late * DAY + HOUR)


# ---- an expiry decided before a late spend arrived -------------------------------------------------------


def test_an_expiry_takes_only_lots_earned_before_its_cutoff_and_owes_back_the_rest():
    # 100 earned on day 0, 50 on day 20; 30 spent offline on day 29, pushed after the run of day 31, which
    # expired all 100 of day 0 (it did not know of the spend)
    history = [
        entry(E.EARN, at=at(0), points=100),
        entry(E.EARN, at=at(20), points=50),
        entry(E.REDEEM, at=at(29), points=-30),
        entry(E.EXPIRE, at=at(31), points=-100),
    ]
    # the expiry takes the 70 left of day 0's lot; day 20's lot is not its to take
    assert lots(history, 30) == [Lot(at(20), 50)]
    assert over_expired(history, 30) == 30
    assert due(history, 30, at(32)) == 0
    given_back = [*history, entry(E.EXPIRE, at=at(32), points=30, ref=None)]
    assert over_expired(given_back, 30) == 0
    assert lots(given_back, 30) == [Lot(at(20), 50)]  # a give-back is not a new lot
    assert sum(e.points_delta for e in given_back) == 50


def test_an_expiry_decided_under_another_rule_set_uses_its_own_days():
    # the run of day 31 went by 30 days (rule set 1); the club then made it 60 (rule set 2)
    history = [
        entry(E.EARN, at=at(0), points=100),
        entry(E.EXPIRE, at=at(31), points=-100, rules_version=1),
    ]
    days_of = {1: 30, 2: 60}.__getitem__
    assert over_expired(history, 60, days_of=days_of) == 0
    assert lots(history, 60, days_of=days_of) == []
    assert due(history, 60, at(100), days_of=days_of) == 0
    assert next_expiring(history, 60, at(32), days_of=days_of) is None
    # without its rule set, the current days: the expiry looks too early, its lot still standing
    assert over_expired(history, 60) == 100
    assert next_expiring(history, 60, at(32)) == Expiring(100, at(60))


@st.composite
def offline_club_days(draw: st.DrawFn) -> tuple[int, list[tuple[str, int, int]]]:
    """(expiry days, a day-by-day script): "earn" n, "spend" n (at most the balance the terminal sees),
    "late" n (a spend made offline just before the day's run, pushed after it) and the daily "run"."""
    expiry_days = draw(st.integers(1, 10))
    script: list[tuple[str, int, int]] = []
    for day in range(draw(st.integers(1, 40))):
        for _ in range(draw(st.integers(0, 2))):
            script.append((draw(st.sampled_from(["earn", "spend", "late"])), day, draw(st.integers(1, 60))))
        script.append(("run", day, 0))
    return expiry_days, script


@settings(max_examples=100, deadline=None)
@given(offline_club_days())
def test_after_a_run_that_knows_every_spend_no_member_is_below_zero_and_lots_are_the_balance(days_script):
    """The server's runs decide from what they know; spends made offline before a run arrive after it. No
    overrides: the terminal never lets a balance go below zero. After a final run, nothing is owed back,
    the balance is not negative and the lots are the balance."""
    expiry_days, script = days_script
    known: list = []  # what the server holds
    late: list = []  # made offline before the next run, pushed after it
    serial = iter(range(1_000_000))

    def add(to: list, kind: EntryKind, at_us: int, points: int) -> None:
        to.append(entry(kind, at=at_us, points=points, id=f"x{next(serial):07d}"))

    def run(now: int) -> None:
        owed = due(known, expiry_days, now)
        back = over_expired(known, expiry_days)
        if owed:
            add(known, E.EXPIRE, now, -owed)
        if back:
            add(known, E.EXPIRE, now, back)

    for kind, day, n in script:
        now = at(day) + HOUR * (1 + len(known) % 20)
        seen = sum(e.points_delta for e in [*known, *late])  # the terminal's balance: it knows its spends
        if kind == "earn":
            add(known, E.EARN, now, n)
        elif kind in ("spend", "late") and seen > 0:
            add(late if kind == "late" else known, E.REDEEM, at(day) + 23 * HOUR - len(late), -min(n, seen))
        elif kind == "run":
            run(at(day) + 23 * HOUR + 1)
            known += late  # the terminal comes back online
            late.clear()
    run(at(10_000))
    balance = sum(e.points_delta for e in known)
    assert over_expired(known, expiry_days) == 0
    assert balance >= 0
    assert sum(lot.points for lot in lots(known, expiry_days)) == balance
    assert due(known, expiry_days, at(10_000)) == 0
