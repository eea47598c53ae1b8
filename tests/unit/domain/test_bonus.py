# SPDX-License-Identifier: GPL-3.0-or-later
"""Bonuses besides buying: each grant is a key, once per member; caps are counted from the ledger."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.bonus import (
    MAX_RATING,
    MIN_RATING,
    REFERRED,
    SIGNUP,
    BonusGrant,
    ambassador,
    ambassador_key,
    birthday,
    birthday_key,
    birthday_occurrence,
    granted_keys,
    kind_of,
    once_only,
    referral,
    referral_key,
    signup,
    survey,
    survey_key,
)
from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.domain.programme import Bonuses
from tests.unit.domain.programme_strategies import DAY, HOUR, club_rules, entry, local_us

E = EntryKind
BONUSES = Bonuses(
    signup_points=100,
    birthday_points=200,
    birthday_window_days=7,
    referral_referrer_points=300,
    referral_referred_points=150,
    referral_max_per_year=3,
    survey_points=20,
    survey_max_per_day=1,
    ambassador_max_points=1_000,
    ambassador_max_per_month=5_000,
)
RULES = club_rules(bonuses=BONUSES)
NOW = local_us(date(2027, 6, 15), 12)


def bonus(key: str, points: int = 10, at: int = NOW, **kw: object):
    return entry(E.BONUS, at=at, points=points, ref=key, **kw)  # type: ignore[arg-type]


# ---- keys --------------------------------------------------------------------------------------------


def test_keys_name_what_they_were_for():
    assert birthday_key(2027) == "birthday:2027"
    assert referral_key("m9") == "referral:m9"
    assert survey_key("s1") == "survey:s1"
    assert ambassador_key("e1") == "ambassador:e1"
    assert [kind_of(k) for k in (SIGNUP, REFERRED, "birthday:2027", "survey:a:b")] == [
        "signup",
        "referred",
        "birthday",
        "survey",
    ]
    assert once_only(SIGNUP) and once_only("birthday:2027") and once_only("referral:m9")
    assert not once_only(ambassador_key("e1"))


def test_a_reversed_bonus_is_still_held():
    granted = bonus(SIGNUP)
    undone = entry(E.REVERSAL, at=NOW, points=-10, reverses=granted.id, ref=None)
    held = granted_keys([granted, undone, entry(E.EARN, ref="T-1"), entry(E.BONUS, ref=None)])
    assert held == {SIGNUP}


# ---- signup ------------------------------------------------------------------------------------------


def test_signup_is_granted_once():
    assert signup(RULES, set()) == BonusGrant(SIGNUP, 100)
    assert signup(RULES, {SIGNUP}) is None
    assert signup(club_rules(), set()) is None  # the club gives none


# ---- birthday ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 6, 20), date(2027, 6, 20)),
        (date(2027, 6, 13), date(2027, 6, 20)),  # 7 days before
        (date(2027, 6, 27), date(2027, 6, 20)),  # 7 days after
        (date(2027, 6, 12), None),
        (date(2027, 6, 28), None),
        (date(2027, 1, 1), None),
    ],
)
def test_a_birthday_counts_within_its_window(today, expected):
    assert birthday_occurrence(date(1990, 6, 20), today, 7) == expected


def test_a_window_crossing_new_year_finds_the_birthday_of_the_year_it_falls_in():
    assert birthday_occurrence(date(1990, 12, 30), date(2027, 1, 2), 7) == date(2026, 12, 30)
    assert birthday_occurrence(date(1990, 1, 2), date(2026, 12, 30), 7) == date(2027, 1, 2)


def test_the_29th_of_february_is_the_28th_in_a_common_year():
    leapling = date(2000, 2, 29)
    assert birthday_occurrence(leapling, date(2027, 2, 28), 0) == date(2027, 2, 28)
    assert birthday_occurrence(leapling, date(2027, 3, 1), 0) is None
    assert birthday_occurrence(leapling, date(2028, 2, 29), 0) == date(2028, 2, 29)
    assert birthday_occurrence(leapling, date(2028, 2, 28), 0) is None
    assert birthday_occurrence(leapling, date(2027, 3, 5), 7) == date(2027, 2, 28)


def test_a_birthday_bonus_is_granted_once_a_year_within_the_window():
    birth = date(1990, 6, 20)
    first = birthday(RULES, birth, local_us(date(2027, 6, 14), 9), set())
    assert first == BonusGrant("birthday:2027", 200)
    held = {first.key}
    for day in range(-7, 8):
        assert birthday(RULES, birth, local_us(date(2027, 6, 20) + timedelta(days=day), 9), held) is None
    # next year's birthday is a new key
    assert birthday(RULES, birth, local_us(date(2028, 6, 20), 9), held) == BonusGrant("birthday:2028", 200)
    assert birthday(RULES, birth, local_us(date(2027, 8, 1), 9), set()) is None


def test_a_29th_of_february_birthday_is_granted_every_year():
    rules = club_rules(bonuses=Bonuses(birthday_points=50, birthday_window_days=0))
    birth = date(2000, 2, 29)
    held: set[str] = set()
    for year in range(2025, 2033):
        grants = [
            birthday(rules, birth, local_us(date(year, 2, 1) + timedelta(days=d), 12), held)
            for d in range(40)
        ]
        keys = [g.key for g in grants if g is not None]
        # granted each day of the window while not yet held: with a one-day window, one day a year
        assert keys == [f"birthday:{year}"], year
        held.add(keys[0])


def test_the_birthday_is_the_clubs_local_day():
    rules = club_rules(bonuses=Bonuses(birthday_points=50, birthday_window_days=0))
    birth = date(1990, 6, 20)
    # 21:00 UTC on the 19th is 00:30 on the 20th in Tehran
    assert birthday(rules, birth, local_us(date(2027, 6, 19), 21, offset_minutes=0), set()) is not None
    assert birthday(rules, birth, local_us(date(2027, 6, 19), 20, offset_minutes=0), set()) is None


def test_no_birthday_bonus_without_a_birth_date_or_points():
    assert birthday(RULES, None, NOW, set()) is None
    assert birthday(club_rules(), date(1990, 6, 15), NOW, set()) is None


# ---- referral ----------------------------------------------------------------------------------------


def test_both_sides_are_granted_at_the_referred_members_first_sale():
    referrer, referred = referral(RULES, "m2", [], set(), NOW)
    assert referrer == BonusGrant("referral:m2", 300)
    assert referred == BonusGrant(REFERRED, 150)


def test_each_side_is_granted_once():
    held_by_referrer = [bonus(referral_key("m2"), 300, at=NOW - DAY)]
    assert referral(RULES, "m2", held_by_referrer, {REFERRED}, NOW) == (None, None)
    # the new member's side does not depend on the referrer's
    assert referral(RULES, "m2", held_by_referrer, set(), NOW) == (None, BonusGrant(REFERRED, 150))
    assert referral(RULES, "m3", held_by_referrer, {REFERRED}, NOW) == (BonusGrant("referral:m3", 300), None)


def test_the_referrers_side_stops_at_the_yearly_cap():
    friends = [bonus(referral_key(f"f{i}"), 300, at=NOW - (100 + i) * DAY) for i in range(3)]
    referrer, referred = referral(RULES, "m2", friends, set(), NOW)
    assert referrer is None
    assert referred == BonusGrant(REFERRED, 150)  # theirs regardless
    # a year later the oldest no longer counts
    later = NOW + (365 - 102) * DAY + 1
    assert referral(RULES, "m2", friends, set(), later)[0] == BonusGrant("referral:m2", 300)
    # other bonuses do not count towards the cap
    others = [*friends[:2], bonus(SIGNUP), bonus("survey:s1"), bonus(ambassador_key("x"))]
    assert referral(RULES, "m2", others, set(), NOW)[0] is not None


def test_a_club_without_referral_points_grants_neither_side():
    assert referral(club_rules(), "m2", [], set(), NOW) == (None, None)
    capped = club_rules(bonuses=Bonuses(referral_referrer_points=10, referral_max_per_year=0))
    assert referral(capped, "m2", [], set(), NOW) == (None, None)


# ---- survey ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [MIN_RATING - 1, MAX_RATING + 1, -3, 10])
def test_a_rating_is_one_to_five(rating):
    with pytest.raises(ClubError) as caught:
        survey(RULES, "s1", rating, [], NOW)
    assert caught.value.code == "invalid_rating" and caught.value.params == {"rating": rating}


@pytest.mark.parametrize("rating", [1, 3, 5])
def test_rating_a_sale_earns_the_survey_bonus(rating):
    assert survey(RULES, "s1", rating, [], NOW) == BonusGrant("survey:s1", 20)


def test_a_sale_is_rated_once():
    with pytest.raises(ClubError) as caught:
        survey(RULES, "s1", 4, [bonus(survey_key("s1"), at=NOW - 10 * DAY)], NOW)
    assert caught.value.code == "survey_already_answered" and caught.value.params == {"sale": "s1"}


def test_the_daily_cap_counts_the_clubs_local_day():
    rules = club_rules(bonuses=Bonuses(survey_points=20, survey_max_per_day=1))
    today = date(2027, 6, 15)
    # 21:00 UTC on the 14th is 00:30 on the 15th in Tehran: today
    answered_today = [bonus(survey_key("s1"), at=local_us(today - timedelta(days=1), 21, offset_minutes=0))]
    assert survey(rules, "s2", 5, answered_today, NOW) is None
    # 20:00 UTC on the 14th is 23:30 on the 14th: yesterday
    answered_yesterday = [
        bonus(survey_key("s1"), at=local_us(today - timedelta(days=1), 20, offset_minutes=0))
    ]
    assert survey(rules, "s2", 5, answered_yesterday, NOW) == BonusGrant("survey:s2", 20)
    # and tomorrow the cap starts over
    assert survey(rules, "s2", 5, answered_today, rules.day_start_us(today + timedelta(days=1))) is not None


def test_a_higher_daily_cap_allows_that_many():
    rules = club_rules(bonuses=Bonuses(survey_points=20, survey_max_per_day=2))
    one = [bonus(survey_key("s1"), at=NOW - HOUR)]
    two = [*one, bonus(survey_key("s2"), at=NOW - HOUR)]
    assert survey(rules, "s3", 5, one, NOW) is not None
    assert survey(rules, "s3", 5, two, NOW) is None
    # other bonuses today do not count
    assert survey(rules, "s3", 5, [*one, bonus(SIGNUP), bonus(birthday_key(2027))], NOW) is not None


def test_a_club_without_survey_points_grants_nothing_but_still_checks_the_rating():
    assert survey(club_rules(), "s1", 5, [], NOW) is None
    with pytest.raises(ClubError):
        survey(club_rules(), "s1", 0, [], NOW)


# ---- ambassador --------------------------------------------------------------------------------------


def test_a_grant_within_the_caps_is_its_own_key():
    assert ambassador(RULES, "e1", 1_000, [], NOW) == BonusGrant("ambassador:e1", 1_000)
    assert ambassador(RULES, "e2", 1, [], NOW) == BonusGrant("ambassador:e2", 1)


@pytest.mark.parametrize("points", [0, -5, 1_001])
def test_a_grant_outside_the_per_grant_cap_is_refused(points):
    with pytest.raises(ClubError) as caught:
        ambassador(RULES, "e1", points, [], NOW)
    assert caught.value.code == "bonus_over_cap"
    assert caught.value.params == {"requested": points, "allowed": 1_000}


def test_the_thirty_day_cap_counts_only_the_last_thirty_days():
    recent = [bonus(ambassador_key(f"g{i}"), 900, at=NOW - (i + 1) * DAY) for i in range(5)]  # 4,500
    assert ambassador(RULES, "e1", 500, recent, NOW) == BonusGrant("ambassador:e1", 500)
    with pytest.raises(ClubError) as caught:
        ambassador(RULES, "e1", 501, recent, NOW)
    assert caught.value.code == "bonus_over_cap" and caught.value.params == {"requested": 501, "allowed": 500}
    # a grant exactly 30 days old has left the window
    aged = [*recent[:4], bonus(ambassador_key("g4"), 900, at=NOW - 30 * DAY)]
    assert ambassador(RULES, "e1", 1_000, aged, NOW).points == 1_000
    # other bonuses do not count
    others = [bonus(SIGNUP, 5_000), bonus(referral_key("m2"), 5_000)]
    assert ambassador(RULES, "e1", 1_000, others, NOW).points == 1_000


def test_a_full_month_refuses_even_one_point():
    full = [bonus(ambassador_key(f"g{i}"), 1_000, at=NOW - i * HOUR) for i in range(5)]
    with pytest.raises(ClubError) as caught:
        ambassador(RULES, "e1", 1, full, NOW)
    assert caught.value.params["allowed"] == 0


# ---- properties: once per member ---------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.dates(date(1950, 1, 1), date(2010, 12, 31)),
    st.integers(0, 182),
    st.lists(st.integers(0, 3 * 366), min_size=1, max_size=40),
)
def test_a_birthday_key_is_granted_at_most_once_and_at_most_once_a_year(birth, window, days):
    rules = club_rules(bonuses=Bonuses(birthday_points=10, birthday_window_days=window))
    held: set[str] = set()
    granted: list[tuple[int, str]] = []
    for day in sorted(days):
        grant = birthday(rules, birth, local_us(date(2026, 1, 1) + timedelta(days=day), 12), held)
        if grant is not None:
            assert grant.key not in held
            held.add(grant.key)
            granted.append((day, grant.key))
    years = [int(key.split(":")[1]) for _, key in granted]
    assert years == sorted(set(years))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["m2", "m3", "m4", "m5", "m6"]), max_size=12), st.integers(0, 5))
def test_a_referral_key_is_granted_once_and_within_the_cap(referred_ids, cap):
    rules = club_rules(
        bonuses=Bonuses(referral_referrer_points=10, referral_referred_points=5, referral_max_per_year=cap)
    )
    ledger = []
    for i, referred in enumerate(referred_ids):
        referrer_grant, _ = referral(rules, referred, ledger, set(), NOW + i * HOUR)
        if referrer_grant is not None:
            assert referrer_grant.key not in granted_keys(ledger)
            ledger.append(bonus(referrer_grant.key, referrer_grant.points, at=NOW + i * HOUR))
    keys = [e.invoice_ref for e in ledger]
    assert len(keys) == len(set(keys)) <= cap


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["s1", "s2", "s3"]), st.integers(1, 5), st.integers(0, 72)), max_size=10
    )
)
def test_a_survey_key_is_granted_once_and_within_the_daily_cap(answers):
    rules = club_rules(bonuses=Bonuses(survey_points=20, survey_max_per_day=1))
    ledger = []
    for sale_id, rating, hours in sorted(answers, key=lambda a: a[2]):
        now = NOW + hours * HOUR
        try:
            grant = survey(rules, sale_id, rating, ledger, now)
        except ClubError as refused:
            assert refused.code == "survey_already_answered"
            assert survey_key(sale_id) in granted_keys(ledger)
            continue
        if grant is not None:
            ledger.append(bonus(grant.key, grant.points, at=now))
    keys = [e.invoice_ref for e in ledger]
    assert len(keys) == len(set(keys))
    days = [rules.local_date(e.created_at_us) for e in ledger]
    assert len(days) == len(set(days))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 1_500), st.integers(0, 90 * 24)), max_size=20))
def test_ambassador_grants_never_exceed_either_cap(asks):
    ledger = []
    for i, (points, hours) in enumerate(sorted(asks, key=lambda a: a[1])):
        now = NOW + hours * HOUR
        try:
            grant = ambassador(RULES, f"e{i}", points, ledger, now)
        except ClubError as refused:
            assert refused.code == "bonus_over_cap"
            continue
        assert grant.points <= BONUSES.ambassador_max_points
        ledger.append(bonus(grant.key, grant.points, at=now))
        window = [e for e in ledger if now - 30 * DAY < e.created_at_us <= now]
        assert sum(e.points_delta for e in window) <= BONUSES.ambassador_max_per_month
