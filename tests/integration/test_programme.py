# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's programme through the real store: each example of the seed material in its own numbers,
and the rules that must hold for any sequence of sales, returns and wallet spending."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.services import bonuses, membership, programme, rewards
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.ledger_check import verify_ledger
from app.services.returns import ReturnRequest, return_sale
from app.services.terminal import open_terminal
from app.store import ledger, members
from tests.support.club import BRANCH_2, CASHIER, MANAGER, make_club
from tests.support.programme import DAY_US, MovableClock, club_rules, publish

TOMAN = 10


def refused(code: str):
    return pytest.raises(ClubError, match=code)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


def _terminal(data_dir: Path, clock: MovableClock, branch_id: str | None = None):
    made = make_club(data_dir) if branch_id is None else make_club(data_dir, branch_id)
    terminal = open_terminal(data_dir, clock=clock, db=made.db)
    publish(terminal, club_rules())
    return terminal


@pytest.fixture
def terminal(tmp_path: Path, clock: MovableClock):
    return _terminal(tmp_path / "data", clock)


def enrol(terminal, name="Reza Karimi", phone="09351234567", **fields):
    return enroll_member(terminal, EnrollRequest(name=name, phone=phone, **fields)).member


def entries_of(terminal, member_id, kind):
    with terminal.db.read() as conn:
        return [e for e in ledger.member_entries(conn, member_id) if e.kind is kind]


def points(terminal, member_id):
    with terminal.db.read() as conn:
        return ledger.balance(conn, member_id).points


# ---- the seed's examples ----------------------------------------------------------------------------


def test_double_points_on_thursdays_at_branch_2(tmp_path, clock):
    """'Double points on Thursdays at branch 2': a Thursday sale there earns twice, Wednesday once."""
    west = _terminal(tmp_path / "west", clock, BRANCH_2)
    member = enrol(west)
    thursday = record_sale(west, SaleRequest(member.id, 10_000_000 * TOMAN))  # 10,000,000 Toman
    assert thursday.campaigns == ("thursday",)
    assert thursday.points_earned == 400  # B2's 2 per 10,000 Toman is 200 at most a sale, doubled
    clock.advance(days=6)  # the next Wednesday
    wednesday = record_sale(west, SaleRequest(member.id, 10_000_000 * TOMAN))
    assert (wednesday.campaigns, wednesday.points_earned) == ((), 200)
    central = _terminal(tmp_path / "central", MovableClock())  # a Thursday, but branch 1
    other = enrol(central)
    assert record_sale(central, SaleRequest(other.id, 1_000_000 * TOMAN)).points_earned == 100


def test_membership_card_bought_with_points_in_the_seeds_numbers(terminal):
    """300 points, each 100 points 10 % off a 10,000,000-Toman silver card: 7,000,000 Toman to pay."""
    member = enrol(terminal)
    record_sale(terminal, SaleRequest(member.id, 2_500_000 * TOMAN))  # 250 points, +50 signup = 300
    assert points(terminal, member.id) == 300
    quote = membership.quote(terminal, member.id, "silver_card", 300)
    assert (quote.list_rials, quote.pay_rials) == (10_000_000 * TOMAN, 7_000_000 * TOMAN)
    with refused("points_not_whole_steps"):
        membership.buy_membership(terminal, member.id, "silver_card", points=250, staff=CASHIER)
    bought = membership.buy_membership(terminal, member.id, "silver_card", points=300, staff=CASHIER)
    assert bought.price.pay_rials == 7_000_000 * TOMAN
    assert bought.points_balance == 0
    (purchase,) = entries_of(terminal, member.id, EntryKind.MEMBERSHIP_PURCHASE)
    (redeem,) = entries_of(terminal, member.id, EntryKind.REDEEM)
    assert (purchase.sale_amount, purchase.discount_rials, purchase.invoice_ref) == (
        70_000_000,
        30_000_000,
        "silver_card",
    )
    assert (redeem.points_delta, redeem.discount_rials) == (-300, 30_000_000)
    # the card holds the member in silver while it runs: a sale earns at silver's 125 %
    standing = programme.standing(terminal, member.id)
    assert (standing.tier.code, standing.held_tier.code) == ("silver", "bronze")
    assert record_sale(terminal, SaleRequest(member.id, 1_000_000 * TOMAN)).points_earned == 125


def test_membership_renewal_extends_and_expiry_ends_the_benefit(terminal, clock):
    member = enrol(terminal)
    first = membership.buy_membership(terminal, member.id, "silver_card")
    clock.advance(days=300)
    renewed = membership.buy_membership(terminal, member.id, "silver_card")
    assert renewed.term.ends_us == first.term.ends_us + 365 * DAY_US  # from the end, not from today
    clock.advance(days=400)  # day 700 of 730
    assert programme.standing(terminal, member.id).membership.ends_us == renewed.term.ends_us
    clock.advance(days=31)  # both terms over
    standing = programme.standing(terminal, member.id)
    assert standing.membership is None and standing.tier.code == "bronze"


def test_cashback_is_credited_and_spendable_from_the_next_day(terminal, clock):
    member = enrol(terminal)
    sale = record_sale(terminal, SaleRequest(member.id, 2_000_000 * TOMAN))
    assert sale.cashback_rials == 100_000 * TOMAN  # 5 % of what was paid
    standing = programme.standing(terminal, member.id)
    assert (standing.wallet_rials, standing.wallet_available_rials) == (1_000_000, 0)
    with refused("wallet_over_cap"):
        record_sale(terminal, SaleRequest(member.id, 400_000 * TOMAN, wallet_rials=10_000 * TOMAN))
    clock.advance(days=1)
    spent = record_sale(terminal, SaleRequest(member.id, 400_000 * TOMAN, wallet_rials=100_000 * TOMAN))
    assert (spent.wallet_spent_rials, spent.paid_rials) == (1_000_000, 3_000_000)
    assert spent.points_earned == 30  # earned on what was paid, not on what the wallet paid
    assert spent.cashback_rials == 150_000  # 5 % of 300,000 Toman
    # points and wallet are separate balances
    assert spent.balance.wallet_rials == 150_000 and spent.balance.points == 50 + 200 + 30
    with refused("wallet_over_cap"):  # at most half a sale from the wallet
        clock.advance(days=1)
        record_sale(terminal, SaleRequest(member.id, 20_000 * TOMAN, wallet_rials=15_000 * TOMAN))


def test_a_return_takes_back_cashback_and_gives_back_the_wallet(terminal, clock):
    member = enrol(terminal)
    record_sale(terminal, SaleRequest(member.id, 2_000_000 * TOMAN))
    clock.advance(days=1)
    sale = record_sale(
        terminal, SaleRequest(member.id, 1_000_000 * TOMAN, wallet_rials=100_000 * TOMAN, invoice_ref="INV-1")
    )
    back = return_sale(terminal, ReturnRequest("INV-1", 500_000 * TOMAN))
    assert back.wallet_given_back == 500_000  # half of the wallet's 100,000 Toman
    assert back.cashback_clawed_back == sale.cashback_rials // 2
    assert verify_ledger(terminal.db).ok
    terminal.db.close()


def test_tier_upgrade_at_the_sale_that_crosses_the_threshold(terminal):
    member = enrol(terminal)  # 50 points for joining count for the balance, not for the tier
    below = record_sale(terminal, SaleRequest(member.id, 9_000_000 * TOMAN))  # 900
    assert below.tier_upgrade is None
    crossing = record_sale(terminal, SaleRequest(member.id, 1_000_000 * TOMAN))  # 1,000 within the year
    assert crossing.tier_upgrade == "silver"
    with terminal.db.read() as conn:
        assert members.get(conn, member.id).tier_code == "silver"
    (change,) = entries_of(terminal, member.id, EntryKind.TIER_CHANGE)
    assert (change.invoice_ref, change.rules_version) == ("silver", 1)
    assert record_sale(terminal, SaleRequest(member.id, 1_000_000 * TOMAN)).points_earned == 125
    standing = programme.standing(terminal, member.id)
    assert standing.to_next == 5_000 - 1_125 and standing.next_tier.code == "gold"


def test_points_expiring_are_shown_oldest_first(terminal, clock):
    member = enrol(terminal)
    joined = clock.now_us()
    clock.advance(days=10)
    record_sale(terminal, SaleRequest(member.id, 1_000_000 * TOMAN))
    expiring = programme.standing(terminal, member.id).expiring
    assert (expiring.points, expiring.at_us) == (50, joined + 365 * DAY_US)  # the signup bonus first


def test_signup_birthday_and_referral_bonuses_once_each(terminal, clock):
    referrer = enrol(terminal)
    assert [e.invoice_ref for e in entries_of(terminal, referrer.id, EntryKind.BONUS)] == ["signup"]
    again = enroll_member(
        terminal, EnrollRequest(name="Reza Karimi", phone="09351234567", member_id=referrer.id)
    )
    assert again.replayed and len(entries_of(terminal, referrer.id, EntryKind.BONUS)) == 1
    friend = enrol(
        terminal, "Sara Ahmadi", "09121111111", referrer_id=referrer.id, birth_date=date(1990, 12, 6)
    )
    first = record_sale(terminal, SaleRequest(friend.id, 100_000 * TOMAN))
    assert dict(first.bonuses) == {"birthday:2026": 200, "referred": 50}
    second = record_sale(terminal, SaleRequest(friend.id, 100_000 * TOMAN))
    assert second.bonuses == ()  # one birthday a year, one referral
    keys = [e.invoice_ref for e in entries_of(terminal, referrer.id, EntryKind.BONUS)]
    assert sorted(keys) == sorted(["signup", f"referral:{friend.id}"])
    assert points(terminal, referrer.id) == 50 + 100


def test_the_referrers_side_stops_at_the_yearly_cap(terminal):
    referrer = enrol(terminal)
    for i in range(3):
        friend = enrol(terminal, f"Friend {i}", f"0912222222{i}", referrer_id=referrer.id)
        record_sale(terminal, SaleRequest(friend.id, 100_000 * TOMAN))
    assert len(entries_of(terminal, referrer.id, EntryKind.BONUS)) == 1 + 2  # signup + the cap of 2


def test_survey_rating_once_per_sale_within_the_daily_cap(terminal):
    member = enrol(terminal)
    sale = record_sale(terminal, SaleRequest(member.id, 100_000 * TOMAN))
    with refused("invalid_rating"):
        bonuses.rate_sale(terminal, sale.sale_id, 6)
    rated = bonuses.rate_sale(terminal, sale.sale_id, 4, CASHIER)
    assert rated.points == 10
    with refused("survey_already_answered"):
        bonuses.rate_sale(terminal, sale.sale_id, 5)
    later = record_sale(terminal, SaleRequest(member.id, 100_000 * TOMAN))
    assert bonuses.rate_sale(terminal, later.sale_id, 5).points == 0  # one paid survey a day
    reasons = sorted(e.reason for e in entries_of(terminal, member.id, EntryKind.BONUS) if e.reason)
    assert reasons == ["rating 4", "rating 5"]


def test_ambassador_grants_are_capped_audited_and_for_managers(terminal):
    member = enrol(terminal)
    with refused("not_permitted"):
        bonuses.grant_ambassador(terminal, member.id, 100, "brand ambassador", CASHIER)
    with refused("bonus_over_cap"):
        bonuses.grant_ambassador(terminal, member.id, 501, "brand ambassador", MANAGER)
    with refused("reason_required"):
        bonuses.grant_ambassador(terminal, member.id, 100, "  ", MANAGER)
    bonuses.grant_ambassador(terminal, member.id, 500, "Instagram campaign", MANAGER)
    with refused("bonus_over_cap"):  # 800 in 30 days
        bonuses.grant_ambassador(terminal, member.id, 400, "again", MANAGER)
    grant = [e for e in entries_of(terminal, member.id, EntryKind.BONUS) if e.staff_id]
    assert [(e.staff_id, e.reason, e.points_delta) for e in grant] == [
        (MANAGER.id, "Instagram campaign", 500)
    ]


def test_rewards_catalogue_stock_per_branch(terminal):
    member = enrol(terminal)
    record_sale(terminal, SaleRequest(member.id, 10_000_000 * TOMAN))  # 1,000 + 50 points
    items = {i.reward.code: i for i in rewards.catalogue(terminal, member.id)}
    assert set(items) == {"mug"}  # valet is offered at branch 2 only
    assert items["mug"].stock_left == 2
    taken = rewards.redeem_reward(terminal, member.id, "mug", staff=CASHIER)
    assert (taken.stock_left, taken.points_balance) == (1, 1_050 - 300)
    rewards.redeem_reward(terminal, member.id, "mug")
    with refused("reward_out_of_stock"):
        rewards.redeem_reward(terminal, member.id, "mug")
    with refused("reward_not_here"):
        rewards.redeem_reward(terminal, member.id, "valet")
    assert [e.points_delta for e in entries_of(terminal, member.id, EntryKind.REDEEM)] == [-300, -300]


def test_a_retried_programme_sale_writes_once(terminal, clock):
    member = enrol(terminal, birth_date=date(1990, 12, 3))
    request = SaleRequest(member.id, 20_000_000 * TOMAN, entry_id="01900000-0000-7000-8000-000000000042")
    first = record_sale(terminal, request)
    again = record_sale(terminal, request)
    assert again.replayed and again.entry_ids == first.entry_ids
    assert (again.tier_upgrade, again.cashback_rials, again.bonuses) == (
        "silver",
        10_000_000,
        (("birthday:2026", 200),),
    )
    with refused("entry_conflict"):
        record_sale(
            terminal, SaleRequest(member.id, 20_000_000 * TOMAN, wallet_rials=10, entry_id=request.entry_id)
        )


def test_every_entry_names_the_rule_set_and_the_chain_still_holds(terminal):
    member = enrol(terminal)
    record_sale(terminal, SaleRequest(member.id, 20_000_000 * TOMAN, category="cosmetics"))
    with terminal.db.read() as conn:
        versions = {e.kind: e.rules_version for e in ledger.member_entries(conn, member.id)}
    assert set(versions.values()) == {1}
    assert verify_ledger(terminal.db).ok
    terminal.db.close()
    with refused("unknown_category"):
        record_sale(terminal, SaleRequest(member.id, 1_000 * TOMAN, category="cars"))


# ---- properties ---------------------------------------------------------------------------------------

_steps = st.lists(
    st.one_of(
        st.tuples(st.just("sale"), st.integers(1, 5_000_000), st.integers(0, 400), st.integers(0, 300_000)),
        st.tuples(st.just("return"), st.integers(0, 20), st.integers(1, 100), st.just(0)),
        st.tuples(st.just("day"), st.integers(1, 40), st.just(0), st.just(0)),
    ),
    max_size=14,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A club with the programme and one member, made once and copied for each example (fast)."""
    data_dir = tmp_path_factory.mktemp("template") / "data"
    terminal = _terminal(data_dir, MovableClock())
    enrol(terminal)
    terminal.db.close()
    return data_dir


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps)
def test_no_sequence_of_sales_returns_and_days_overdraws_points_or_wallet(tmp_path_factory, template, steps):
    """Whatever the cashier does, a refusal leaves nothing written and balances never go below zero
    (returns may claw back what was already spent: only then, and the ledger still verifies)."""
    clock = MovableClock()
    data_dir = tmp_path_factory.mktemp("prop") / "data"
    shutil.copytree(template, data_dir)
    terminal = open_terminal(data_dir, clock=clock)
    with terminal.db.read() as conn:
        member = members.by_phone(conn, "+989351234567")
    invoices: list[str] = []
    clawed_after_spend = False
    for kind, a, b, c in steps:
        if kind == "day":
            clock.advance(days=a)
        elif kind == "sale":
            try:
                sale = record_sale(
                    terminal, SaleRequest(member.id, a * TOMAN, redeem_points=b, wallet_rials=c)
                )
                invoices.append(sale.invoice_ref)
            except ClubError as error:
                assert error.code in {"insufficient_points", "redeem_over_cap", "wallet_over_cap"}
        elif invoices:
            invoice = invoices[a % len(invoices)]
            try:
                back = return_sale(terminal, ReturnRequest(invoice))
                clawed_after_spend |= back.points_clawed_back > 0 or back.cashback_clawed_back > 0
            except ClubError as error:
                assert error.code == "already_returned"
        with terminal.db.read() as conn:
            balance = ledger.balance(conn, member.id)
        if not clawed_after_spend:
            assert balance.points >= 0 and balance.wallet_rials >= 0
    assert verify_ledger(terminal.db).ok
    terminal.db.close()


def test_points_past_their_expiry_show_as_due_until_the_server_expires_them(terminal, clock):
    member = enrol(terminal)
    record_sale(terminal, SaleRequest(member.id, 1_000_000 * TOMAN))
    clock.advance(days=366)
    expiring = programme.standing(terminal, member.id).expiring
    assert (expiring.points, expiring.at_us) == (150, clock.now_us())


def test_a_manager_undoes_a_reward_and_a_card_with_their_points(terminal):
    from app.services.reversal import reverse_entry

    member = enrol(terminal)
    record_sale(terminal, SaleRequest(member.id, 10_000_000 * TOMAN))  # 1,050 points
    taken = rewards.redeem_reward(terminal, member.id, "mug")
    undone = reverse_entry(terminal, taken.entry_id, "the mug was broken", MANAGER)
    assert undone.balance.points == 1_050
    assert {i.reward.code: i.stock_left for i in rewards.catalogue(terminal)}["mug"] == 2
    with refused("already_reversed"):
        reverse_entry(terminal, taken.entry_id, "again", MANAGER)
    card = membership.buy_membership(terminal, member.id, "silver_card", points=300)
    reverse_entry(terminal, card.entry_id, "bought by mistake", MANAGER)
    standing = programme.standing(terminal, member.id)
    assert (standing.membership, points(terminal, member.id)) == (None, 1_050)
    assert verify_ledger(terminal.db).ok
