# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline spending arithmetic: a grant can never be overspent, and a clock set back trusts nothing."""

from hypothesis import given
from hypothesis import strategies as st

from app.domain.grants import (
    CLOCK_BEHIND_LIMIT_US,
    ClockReading,
    GrantTerms,
    OfflineRefusal,
    allowance,
    decide_offline_spend,
    spent_since,
    wants_refresh,
)

HOUR = 3600 * 1_000_000
T0 = 1_800_000_000 * 1_000_000
GRANT = GrantTerms(points=300, after_seq=10, issued_at_us=T0, expires_at_us=T0 + 72 * HOUR)


def at(us: int, server: int | None = None) -> ClockReading:
    return ClockReading(us, server)


def test_redeems_before_the_grant_do_not_draw_on_it():
    redeems = [(9, -100), (10, -50), (11, -40), (14, -20), (15, 0)]
    assert spent_since(redeems, after_seq=10) == 60


def test_allowance_is_the_grant_less_what_was_spent_since():
    assert allowance(GRANT, 0, at(T0)) == 300
    assert allowance(GRANT, 120, at(T0 + HOUR)) == 180
    assert allowance(GRANT, 500, at(T0 + HOUR)) == 0
    assert allowance(None, 0, at(T0)) == 0


def test_a_grant_expires_by_the_later_of_the_two_clocks():
    just_before = GRANT.expires_at_us - 1
    assert allowance(GRANT, 0, at(just_before)) == 300
    assert allowance(GRANT, 0, at(GRANT.expires_at_us)) == 0
    # the terminal clock was set back an hour, but the server was seen after expiry
    assert allowance(GRANT, 0, at(just_before - HOUR, server=GRANT.expires_at_us)) == 0


def test_a_clock_behind_the_server_blocks_offline_spending_even_with_a_grant():
    behind = at(T0 + HOUR - CLOCK_BEHIND_LIMIT_US - 1, server=T0 + HOUR)
    decision = decide_offline_spend(10, GRANT, 0, behind)
    assert not decision.allowed and decision.refusal is OfflineRefusal.CLOCK_BEHIND
    assert decision.overridable
    slightly = at(T0 + HOUR - CLOCK_BEHIND_LIMIT_US, server=T0 + HOUR)
    assert decide_offline_spend(10, GRANT, 0, slightly).allowed
    flagged = decide_offline_spend(10, GRANT, 0, at(T0 + HOUR, server=T0), clock_flagged=True)
    assert flagged.refusal is OfflineRefusal.CLOCK_BEHIND


def test_restricted_members_cannot_spend_offline_nor_by_override():
    decision = decide_offline_spend(1, GRANT, 0, at(T0), restricted=True)
    assert not decision.allowed and decision.refusal is OfflineRefusal.RESTRICTED
    assert not decision.overridable


def test_over_the_allowance_says_how_much_is_left():
    decision = decide_offline_spend(200, GRANT, 150, at(T0))
    assert not decision.allowed and decision.refusal is OfflineRefusal.OVER_ALLOWANCE
    assert decision.allowance == 150
    assert decide_offline_spend(150, GRANT, 150, at(T0)).allowed


def test_a_grant_is_refreshed_after_half_its_life():
    assert wants_refresh(None, at(T0))
    assert not wants_refresh(GRANT, at(T0 + 35 * HOUR))
    assert wants_refresh(GRANT, at(T0 + 36 * HOUR))
    assert wants_refresh(GRANT, at(T0, server=T0 + 40 * HOUR))


grants = st.builds(
    GrantTerms,
    points=st.integers(0, 10_000),
    after_seq=st.integers(0, 1_000),
    issued_at_us=st.just(T0),
    expires_at_us=st.integers(T0, T0 + 100 * HOUR),
)


@given(grants, st.lists(st.integers(1, 2_000), max_size=30), st.integers(0, 100 * HOUR))
def test_spending_within_the_grant_never_draws_more_than_it_holds(grant, asks, elapsed):
    """Whatever the cashier asks, in any order, what is let through never adds up to more than the grant."""
    clock = at(T0 + elapsed)
    redeems: list[tuple[int, int]] = []
    seq = grant.after_seq
    for points in asks:
        decision = decide_offline_spend(points, grant, spent_since(redeems, grant.after_seq), clock)
        if decision.allowed:
            seq += 2  # a sale is an earn entry, then its redeem entry
            redeems.append((seq, -points))
    drawn = spent_since(redeems, grant.after_seq)
    assert drawn <= grant.points
    assert drawn == 0 or clock.effective_now_us < grant.expires_at_us


@given(grants, st.integers(0, 20_000), st.integers(0, 100 * HOUR), st.integers(0, 100 * HOUR))
def test_the_allowance_never_grows_as_time_passes_or_spending_adds_up(grant, spent, t1, t2):
    early, late = sorted((t1, t2))
    assert allowance(grant, spent, at(T0 + late)) <= allowance(grant, spent, at(T0 + early))
    assert allowance(grant, spent + 1, at(T0 + early)) <= allowance(grant, spent, at(T0 + early))
    assert 0 <= allowance(grant, spent, at(T0 + early)) <= grant.points


@given(grants, st.integers(0, 100 * HOUR), st.integers(-10 * HOUR, 10 * HOUR))
def test_winding_the_terminal_clock_back_never_extends_a_grant(grant, server_elapsed, skew):
    server = T0 + server_elapsed
    honest = allowance(grant, 0, at(server, server))
    wound_back = allowance(grant, 0, at(server + min(skew, 0), server))
    assert wound_back <= honest
