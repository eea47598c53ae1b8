# SPDX-License-Identifier: GPL-3.0-or-later
"""The branch's day report: each figure on worked numbers, and the branch row as the staff rows' sum."""

from __future__ import annotations

import uuid
from dataclasses import replace
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.day_report import DayFigures, day_report
from app.domain.ids import derived_id
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.returns import RETURN_REASON

BRANCH = "00000000-0000-7000-8000-000000000001"
OTHER_BRANCH = "00000000-0000-7000-8000-000000000002"
KIAN, MINA = "staff-kian", "staff-mina"
T = 1_765_000_000_000_000


def entry(kind: EntryKind, staff: str | None = KIAN, **values: object) -> LedgerEntry:
    data: dict[str, object] = {
        "id": str(uuid.uuid4()), "device_id": "d1", "device_seq": 1, "created_at_us": T,
        "branch_id": BRANCH, "member_id": "m1", "kind": kind, "staff_id": staff, "points_delta": 0,
        "cash_delta": 0, "sale_amount": 0, "discount_rials": 0, "invoice_ref": None, "reason": None,
        "reverses": None, "prev_hash": "", "hash": "",
    }  # fmt: skip
    return LedgerEntry(**(data | values))  # type: ignore[arg-type]


def sale(amount: int, points: int = 0, staff: str | None = KIAN) -> LedgerEntry:
    return entry(EntryKind.EARN, staff, sale_amount=amount, points_delta=points)


def give_back(of: LedgerEntry, amount: int, staff: str | None = KIAN, points: int = 0) -> LedgerEntry:
    return entry(
        EntryKind.REVERSAL,
        staff,
        reverses=of.id,
        sale_amount=-amount,
        points_delta=-points,
        reason=RETURN_REASON,
    )


def test_purchases_and_net_sales_leave_out_full_returns_and_take_partial_ones():
    a, b, c = sale(2_000_000, 20), sale(1_000_000, 10), sale(500_000, 5)
    partial = give_back(a, 500_000, points=5)
    full = give_back(b, 1_000_000, points=10)
    report = day_report(BRANCH, [a, b, c, partial, full])
    kian = report.by_staff[KIAN]
    assert (kian.purchases, kian.net_sales_rials) == (2, 1_500_000 + 500_000)
    assert (kian.returns, kian.returned_rials) == (2, 1_500_000)
    assert kian.points_earned == 35  # what the sales earned; what returns took back is theirs


def test_a_later_return_counts_on_the_sale_whenever_made():
    a, b = sale(2_000_000), sale(1_000_000)
    later_full, later_partial = give_back(b, 1_000_000), give_back(a, 400_000)
    report = day_report(BRANCH, [a, b], later_reversals=[later_full, later_partial])
    assert (report.branch.purchases, report.branch.net_sales_rials) == (1, 1_600_000)
    assert report.branch.returns == 0  # returned on another day: counted there


def test_a_full_return_in_two_parts_is_no_purchase():
    a = sale(1_000_000)
    report = day_report(BRANCH, [a, give_back(a, 300_000)], later_reversals=[give_back(a, 700_000)])
    assert (report.branch.purchases, report.branch.net_sales_rials, report.branch.returns) == (0, 0, 1)


def test_a_return_counts_for_whoever_took_it_back():
    a = sale(1_000_000, staff=KIAN)
    report = day_report(BRANCH, [a, give_back(a, 250_000, staff=MINA)])
    assert report.by_staff[KIAN].purchases == 1 and report.by_staff[KIAN].returns == 0
    assert (report.by_staff[MINA].returns, report.by_staff[MINA].returned_rials) == (1, 250_000)
    assert report.by_staff[KIAN].net_sales_rials == 750_000


def test_points_spent_count_redeems_rewards_and_cards():
    redeem = entry(EntryKind.REDEEM, points_delta=-20, discount_rials=20_000)
    reward = entry(EntryKind.REWARD)
    reward_points = entry(EntryKind.REDEEM, points_delta=-150, invoice_ref="reward:mug")
    card = entry(EntryKind.MEMBERSHIP_PURCHASE, sale_amount=3_000_000)
    report = day_report(BRANCH, [redeem, reward, reward_points, card])
    assert report.branch.points_spent == 170
    assert report.branch.purchases == 0  # a card bought is no sale through the club


def test_points_earned_are_sales_and_bonuses():
    report = day_report(BRANCH, [sale(1_000_000, 10), entry(EntryKind.BONUS, points_delta=50)])
    assert report.branch.points_earned == 60


def test_cashback_credited_and_spent():
    credit = entry(EntryKind.CASHBACK_CREDIT, cash_delta=30_000)
    spend = entry(EntryKind.CASHBACK_SPEND, cash_delta=-12_000, discount_rials=12_000)
    report = day_report(BRANCH, [credit, spend])
    assert (report.branch.cashback_credited_rials, report.branch.cashback_spent_rials) == (30_000, 12_000)


def test_reversals_count_once_per_act_and_returns_are_not_reversals():
    reward = entry(EntryKind.REWARD)
    undo = entry(EntryKind.REVERSAL, MINA, reverses=reward.id, reason="wrong member")
    undo_points = entry(
        EntryKind.REVERSAL, MINA, id=str(derived_id(undo.id, 1)), points_delta=150, reason="wrong member"
    )
    a = sale(1_000_000)
    report = day_report(BRANCH, [reward, undo, undo_points, a, give_back(a, 100_000)])
    assert report.by_staff[MINA].reversals == 1
    assert report.branch.reversals == 1 and report.branch.returns == 1


def test_overrides_belong_to_the_manager():
    override = entry(EntryKind.OVERRIDE, MINA, reason="regular customer")
    report = day_report(BRANCH, [sale(1_000_000), entry(EntryKind.REDEEM, points_delta=-5), override])
    assert report.by_staff[MINA].overrides == 1 and report.by_staff[KIAN].overrides == 0


def test_adjustments_count_and_net_points():
    report = day_report(
        BRANCH,
        [entry(EntryKind.ADJUST, MINA, points_delta=100), entry(EntryKind.ADJUST, MINA, points_delta=-30)],
    )
    assert (report.by_staff[MINA].adjustments, report.by_staff[MINA].adjusted_points) == (2, 70)


def test_check_ins_and_guests_leave_out_admissions_taken_back():
    kept, taken_back = entry(EntryKind.CHECK_IN), entry(EntryKind.CHECK_IN)
    guest = entry(EntryKind.GUEST_CHECK_IN)
    undo = entry(EntryKind.REVERSAL, MINA, reverses=taken_back.id, reason="wrong face")
    report = day_report(BRANCH, [kept, taken_back, guest], later_reversals=[undo])
    assert (report.branch.check_ins, report.branch.guests) == (1, 1)


def test_other_branches_entries_are_left_out():
    theirs = replace(sale(9_000_000, 90), branch_id=OTHER_BRANCH)
    report = day_report(BRANCH, [sale(1_000_000, 10), theirs])
    assert (report.branch.purchases, report.branch.net_sales_rials) == (1, 1_000_000)
    assert report.by_staff[KIAN].points_earned == 10


def test_entries_no_one_signed_have_a_row_of_their_own():
    report = day_report(BRANCH, [sale(1_000_000, staff=None)])
    assert report.by_staff[None].purchases == 1


# ---- the branch row is the sum of the staff rows -----------------------------------------------------

STAFF = st.sampled_from([KIAN, MINA, None])
KINDS = st.sampled_from(list(EntryKind))


@st.composite
def days(draw: st.DrawFn) -> tuple[list[LedgerEntry], list[LedgerEntry]]:
    made: list[LedgerEntry] = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(KINDS)
        targets = [e for e in made if e.kind is not EntryKind.REVERSAL]
        values: dict[str, object] = {
            "staff": draw(STAFF),
            "branch_id": draw(st.sampled_from([BRANCH, BRANCH, OTHER_BRANCH])),
            "points_delta": draw(st.integers(-500, 500)),
            "cash_delta": draw(st.integers(-100_000, 100_000)),
            "sale_amount": draw(st.integers(-2_000_000, 5_000_000)),
        }
        if kind is EntryKind.REVERSAL and targets:
            values["reverses"] = draw(st.sampled_from(targets)).id
            values["reason"] = draw(st.sampled_from([RETURN_REASON, "a person's reason"]))
        staff = values.pop("staff")
        made.append(entry(kind, staff, **values))  # type: ignore[arg-type]
    later = [e for e in made if e.kind is EntryKind.REVERSAL and draw(st.booleans())]
    return [e for e in made if e not in later], later


@settings(max_examples=200)
@given(days())
def test_the_branch_is_the_sum_of_its_staff(day):
    entries, later = day
    report = day_report(BRANCH, entries, later_reversals=later)
    assert reduce(DayFigures.__add__, report.by_staff.values(), DayFigures()) == report.branch
