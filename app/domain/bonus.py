# SPDX-License-Identifier: GPL-3.0-or-later
"""Bonuses for what a member does besides buying: joining, a birthday, bringing a friend, a survey, or
being named a brand ambassador. Each is a `bonus` entry whose invoice_ref is its *key*; one key is
granted once per member, whichever terminal grants it first, online or not (the server sets a second
one aside: sync.server.push). Caps are checked against what the ledger already holds.

Keys: `signup` · `birthday:<year>` · `referral:<referred member id>` (the referrer's side) ·
`referred` (the new member's side) · `survey:<sale id>` · `ambassador:<entry id>` (a manager's grant,
each its own key, capped per grant and per 30 days).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.programme import US_PER_DAY, RuleSet

SIGNUP = "signup"
REFERRED = "referred"
MIN_RATING, MAX_RATING = 1, 5


def birthday_key(year: int) -> str:
    return f"birthday:{year}"


def referral_key(referred_member_id: str) -> str:
    return f"referral:{referred_member_id}"


def survey_key(sale_id: str) -> str:
    return f"survey:{sale_id}"


def ambassador_key(entry_id: str) -> str:
    return f"ambassador:{entry_id}"


def kind_of(key: str) -> str:
    return key.split(":", 1)[0]


def once_only(key: str) -> bool:
    """Keys that name one grant per member (every key but a manager's ambassador grant)."""
    return kind_of(key) != "ambassador"


@dataclass(frozen=True, slots=True)
class BonusGrant:
    key: str
    points: int


def granted_keys(entries: Iterable[LedgerEntry]) -> set[str]:
    """Keys of the bonuses a member holds (a reversed bonus was still granted: it is not granted again)."""
    return {e.invoice_ref for e in entries if e.kind is EntryKind.BONUS and e.invoice_ref}


def birthday_occurrence(birth: date, today: date, window_days: int) -> date | None:
    """The birthday within `window_days` of today (either side), if there is one."""
    for year in (today.year - 1, today.year, today.year + 1):
        day = _birthday_in(birth, year)
        if abs((day - today).days) <= window_days:
            return day
    return None


def _birthday_in(birth: date, year: int) -> date:
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a common year: the day before 1 March
        return date(year, 3, 1) - timedelta(days=1)


def birthday(rules: RuleSet, birth: date | None, now_us: int, held: set[str]) -> BonusGrant | None:
    points = rules.bonuses.birthday_points
    if birth is None or points <= 0:
        return None
    day = birthday_occurrence(birth, rules.local_date(now_us), rules.bonuses.birthday_window_days)
    if day is None or birthday_key(day.year) in held:
        return None
    return BonusGrant(birthday_key(day.year), points)


def signup(rules: RuleSet, held: set[str]) -> BonusGrant | None:
    points = rules.bonuses.signup_points
    return BonusGrant(SIGNUP, points) if points > 0 and SIGNUP not in held else None


def referral(
    rules: RuleSet,
    referred_id: str,
    referrer_entries: Iterable[LedgerEntry],
    referred_held: set[str],
    now_us: int,
) -> tuple[BonusGrant | None, BonusGrant | None]:
    """(the referrer's bonus, the referred member's bonus) at the referred member's first sale.

    The referrer's side stops at the yearly cap; the new member's side is theirs regardless."""
    b = rules.bonuses
    year_ago = now_us - 365 * US_PER_DAY
    referrer_entries = list(referrer_entries)
    held = granted_keys(referrer_entries)
    this_year = sum(
        1
        for e in referrer_entries
        if e.kind is EntryKind.BONUS
        and kind_of(e.invoice_ref or "") == "referral"
        and e.created_at_us > year_ago
    )
    key = referral_key(referred_id)
    referrer = (
        BonusGrant(key, b.referral_referrer_points)
        if b.referral_referrer_points > 0 and key not in held and this_year < b.referral_max_per_year
        else None
    )
    referred = (
        BonusGrant(REFERRED, b.referral_referred_points)
        if b.referral_referred_points > 0 and REFERRED not in referred_held
        else None
    )
    return referrer, referred


def survey(
    rules: RuleSet, sale_id: str, rating: int, entries: Iterable[LedgerEntry], now_us: int
) -> BonusGrant | None:
    """The bonus for rating a sale (1–5); None when the club gives none or today's cap is reached."""
    if not MIN_RATING <= rating <= MAX_RATING:
        raise ClubError("invalid_rating", rating=rating)
    b = rules.bonuses
    entries = list(entries)
    key = survey_key(sale_id)
    if key in granted_keys(entries):
        raise ClubError("survey_already_answered", sale=sale_id)
    if b.survey_points <= 0:
        return None
    today = rules.day_start_us(rules.local_date(now_us))
    answered_today = sum(
        1
        for e in entries
        if e.kind is EntryKind.BONUS and kind_of(e.invoice_ref or "") == "survey" and e.created_at_us >= today
    )
    return BonusGrant(key, b.survey_points) if answered_today < b.survey_max_per_day else None


def ambassador(
    rules: RuleSet, entry_id: str, points: int, entries: Iterable[LedgerEntry], now_us: int
) -> BonusGrant:
    """A manager's grant: refused over the per-grant cap or the member's 30-day cap."""
    b = rules.bonuses
    if points < 1 or points > b.ambassador_max_points:
        raise ClubError("bonus_over_cap", requested=points, allowed=b.ambassador_max_points)
    month_ago = now_us - 30 * US_PER_DAY
    recent = sum(
        e.points_delta
        for e in entries
        if e.kind is EntryKind.BONUS
        and kind_of(e.invoice_ref or "") == "ambassador"
        and e.created_at_us > month_ago
    )
    left = max(0, b.ambassador_max_per_month - recent)
    if points > left:
        raise ClubError("bonus_over_cap", requested=points, allowed=left)
    return BonusGrant(ambassador_key(entry_id), points)
