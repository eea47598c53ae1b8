# SPDX-License-Identifier: GPL-3.0-or-later
"""Points expire oldest first (FIFO): what is left of a lot on its expiry date is due."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.expiry import Expiring, Lot, due, lots, next_expiring
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
    left = lots(history)
    assert all(lot.points > 0 for lot in left)
    assert [lot.earned_at_us for lot in left] == sorted(lot.earned_at_us for lot in left)
    if balance >= 0:
        assert sum(lot.points for lot in left) == balance
    else:
        assert left == []  # a deficit leaves nothing to expire
    owed = due(history, expiry_days, now)
    assert 0 <= owed <= max(0, balance)
    upcoming = next_expiring(history, expiry_days, now)
    if upcoming is not None:
        assert upcoming.at_us > now
        assert upcoming.points > 0 and owed + upcoming.points <= balance


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
    assert sum(lot.points for lot in lots(written)) == sum(lot.points for lot in lots(history)) - owed


@settings(max_examples=40)
@given(histories, st.integers(1, 120), st.integers(0, 400), st.integers(0, 400))
def test_more_falls_due_as_time_passes_while_nothing_new_is_written(history, expiry_days, a, b):
    early, late = sorted((a, b))
    assert due(history, expiry_days, early * DAY + HOUR) <= due(history, expiry_days, late * DAY + HOUR)
