# SPDX-License-Identifier: GPL-3.0-or-later
"""The member view beside the photo: the member's place in the club's programme (tier privileges, paid
membership, progress and how long the tier is kept, points about to expire, the wallet's cashback that is
spendable only from tomorrow, campaigns running now) — read on the worker after the profile is painted,
in Persian and English, on the real store and the demo club's rule set."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import shiboken6

from app.domain.expiry import Expiring
from app.domain.programme import US_PER_DAY, RuleSet
from app.format import date_text, points_text, toman_text
from app.services.checkout import SaleRequest, record_sale
from app.services.demo_programme import demo_rules
from app.services.identify import find_member
from app.services.membership import buy_membership
from app.services.programme import standing
from app.services.terminal import Terminal
from app.store import programme
from app.ui.views.member import MemberView
from app.ui.widgets.badge import tier_colour
from app.ui.widgets.programme_panel import Line
from sync.rules import to_body
from tests.support.club import CASHIER

BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))
LATIN_DIGIT = re.compile("[0-9]")
PERSIAN_DIGIT = re.compile("[۰-۹]")
TOMAN = 10  # rials


def plain(text: str) -> str:
    return text.translate(BIDI_MARKS)


class FixedClock:
    def __init__(self, now_us: int) -> None:
        self.us = now_us

    def now_us(self) -> int:
        return self.us


def install_programme(terminal: Terminal) -> RuleSet:
    """The demo club's rule set 1 on the test club (branches B1 and B2), as if the server published it."""
    now = terminal.clock.now_us()
    today = datetime.fromtimestamp(now / 1_000_000, timezone(timedelta(minutes=210))).date()
    rules = demo_rules(("B1", "B2"), today)
    with terminal.db.write() as conn:
        programme.put(conn, rules, to_body(rules), now)
    return rules


def days_ago(terminal: Terminal, days: float) -> Terminal:
    """The same terminal with its clock `days` back (a sale recorded then)."""
    return replace(terminal, clock=FixedClock(terminal.clock.now_us() - int(days * US_PER_DAY)))


def sale(terminal: Terminal, member_id: str, toman: int, **fields: object):
    return record_sale(terminal, SaleRequest(member_id, toman * TOMAN, staff=CASHIER, **fields))


@pytest.fixture
def rules(club) -> RuleSet:
    return install_programme(club.terminal)


@pytest.fixture
def view(qtbot, ctx) -> Iterator[MemberView]:
    member = MemberView(ctx)
    qtbot.addWidget(member)
    member.resize(1180, 720)
    member.show()
    yield member
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def show(qtbot, view: MemberView, terminal: Terminal, member_id: str) -> None:
    """What the main window does (the profile), then the standing the view reads itself."""
    with qtbot.waitSignal(view.programme_shown, timeout=10_000):
        view.show_member(find_member(terminal, member_id), None, earn_only=False)


def line(view: MemberView, which: Line) -> str:
    return plain(view.programme_panel.line_text(which))


def day(rules: RuleSet, at_us: int, lang: str) -> str:
    return date_text(rules.local_date(at_us), lang)


def test_tier_privileges_progress_and_how_long_the_tier_is_kept(qtbot, view, club, rules, lang):
    upgrade = sale(club.terminal, club.john.id, 6_000_000)  # 600 points: past silver's 500
    assert upgrade.tier_upgrade == "silver"
    show(qtbot, view, club.terminal, club.john.id)
    panel = view.programme_panel
    assert panel.isVisible()
    assert view.tier_badge.tier_code() == "silver"
    assert panel.accent() == tier_colour("silver")
    heading = line(view, Line.PRIVILEGES)
    services = line(view, Line.SERVICES)
    if lang == "fa":
        assert heading == "نقره‌ای: ×۱٫۲۵ امتیاز، ۵٪ تخفیف در صندوق"
        assert services == "رایگان: بسته‌بندی هدیه"
    else:
        assert heading == "Silver: ×1.25 points, 5% off at the till"
        assert services == "Free: Gift wrap"
    gold = "طلایی" if lang == "fa" else "Gold"
    needed = plain(points_text(2_000 - 600, lang))
    assert line(view, Line.PROGRESS) == (f"{needed} تا {gold}" if lang == "fa" else f"{needed} to Gold")
    assert panel.progress_bar.isVisible()
    assert (panel.progress_bar.value(), panel.progress_bar.maximum()) == (600 - 500, 2_000 - 500)
    kept = day(rules, standing(club.terminal, club.john.id).keep_by_us, lang)
    assert kept in line(view, Line.KEEP)
    assert ("نقره‌ای" if lang == "fa" else "Silver kept until") in line(view, Line.KEEP)
    wrong, right = (LATIN_DIGIT, PERSIAN_DIGIT) if lang == "fa" else (PERSIAN_DIGIT, LATIN_DIGIT)
    for which in (Line.PRIVILEGES, Line.PROGRESS, Line.KEEP, Line.EXPIRING):
        assert right.search(line(view, which)) and not wrong.search(line(view, which)), which


def test_the_entry_tier_shows_what_it_takes_and_no_keep_date(qtbot, view, club, rules, lang):
    sale(club.terminal, club.john.id, 1_800_000)  # 180 points
    show(qtbot, view, club.terminal, club.john.id)
    assert view.tier_badge.tier_code() == "bronze"
    assert line(view, Line.PRIVILEGES) == ("برنزی" if lang == "fa" else "Bronze")  # no privileges to list
    assert not line(view, Line.SERVICES) and not line(view, Line.KEEP)
    assert plain(points_text(320, lang)) in line(view, Line.PROGRESS)
    if lang == "en":
        assert line(view, Line.PROGRESS) == "320 points to Silver"


def test_the_next_points_to_expire_with_their_date_and_due_ones(qtbot, view, club, rules, lang):
    earlier = days_ago(club.terminal, 100)
    sale(earlier, club.john.id, 627 * 10_000)  # 627 points, 100 days ago: they expire in 265 days
    sale(club.terminal, club.john.id, 100_000)  # 10 more today
    show(qtbot, view, club.terminal, club.john.id)
    expires_at = earlier.clock.now_us() + 365 * US_PER_DAY
    text = line(view, Line.EXPIRING)
    assert plain(points_text(627, lang)) in text and day(rules, expires_at, lang) in text
    if lang == "en":
        assert text == f"627 points expire on {day(rules, expires_at, lang)}"
    # points whose date has passed before the server wrote their expiry: due at the next sync
    due = replace(view.standing(), expiring=Expiring(627, club.terminal.clock.now_us() - US_PER_DAY))
    view.on_standing_loaded(view._standing_seq, club.john.id, due)
    text = line(view, Line.EXPIRING)
    assert plain(points_text(627, lang)) in text
    assert text == ("۶۲۷ امتیاز در همگام‌سازی بعدی منقضی می‌شود" if lang == "fa" else
                    "627 points are due to expire at the next sync")  # fmt: skip
    assert "font-weight: bold" in view.programme_panel.line_label(Line.EXPIRING).styleSheet()


def test_cashback_credited_today_is_spendable_from_tomorrow(qtbot, view, club, rules, lang):
    sale(days_ago(club.terminal, 1), club.john.id, 1_000_000)  # 20,000 Toman cashback, spendable now
    sale(club.terminal, club.john.id, 500_000)  # 10,000 Toman more, only from tomorrow
    show(qtbot, view, club.terminal, club.john.id)
    assert plain(view.wallet_tile.value.text()) == plain(toman_text(300_000, lang))
    note = plain(view.wallet_tile.note.text())
    assert view.wallet_tile.note.isVisible()
    if lang == "fa":
        assert note == f"{plain(toman_text(100_000, lang))} از فردا قابل خرج"
    else:
        assert note == "10,000 Toman spendable from tomorrow"


def test_nothing_pending_means_no_note(qtbot, view, club, rules):
    sale(days_ago(club.terminal, 2), club.john.id, 1_000_000)
    show(qtbot, view, club.terminal, club.john.id)
    assert plain(view.wallet_tile.value.text()) == plain(toman_text(200_000, view.ctx.session.lang))
    assert not view.wallet_tile.note.isVisible()


def test_a_paid_membership_with_its_valid_until_date_lifts_the_tier(qtbot, view, club, rules, lang):
    bought = buy_membership(club.terminal, club.john.id, "gold_card", staff=CASHIER)
    show(qtbot, view, club.terminal, club.john.id)
    until = day(rules, bought.term.ends_us, lang)
    text = line(view, Line.MEMBERSHIP)
    assert text == (f"کارت طلایی تا {until} معتبر است" if lang == "fa" else f"Gold card valid until {until}")
    assert view.tier_badge.tier_code() == "gold"  # the membership's tier prices the sales
    heading = line(view, Line.PRIVILEGES)
    assert ("×۱٫۵" if lang == "fa" else "×1.5 points") in heading
    assert ("۱۰٪" if lang == "fa" else "10% off at the till") in heading
    assert ("ارسال رایگان" if lang == "fa" else "Free delivery") in line(view, Line.SERVICES)


def test_campaigns_running_now(qtbot, view, club, rules, lang):
    show(qtbot, view, club.terminal, club.john.id)
    text = line(view, Line.CAMPAIGNS)
    assert text == ("اکنون: ۵۰ امتیاز هدیه لوازم آرایشی" if lang == "fa" else
                    "Now: 50 bonus points on cosmetics")  # fmt: skip


def test_the_profile_is_painted_before_the_standing_is_read(qtbot, view, club, rules):
    profile = find_member(club.terminal, club.maryam.id)
    view.show_member(profile, None, earn_only=False)
    assert view.name_label.text() == profile.member.name  # at once, without waiting for the worker
    assert view.standing() is None  # the answer comes through the event loop, not yet run
    qtbot.waitUntil(lambda: view.standing() is not None)
    assert view.programme_panel.isVisible()


def test_a_standing_that_arrives_after_the_view_is_gone_is_dropped(qtbot, ctx, club, rules):
    """The window closed (or a member view was thrown away) while the worker read the standing: the
    answer must not paint into deleted labels (found by the bench's window loop: a RuntimeError)."""
    gone = MemberView(ctx)
    gone.show_member(find_member(club.terminal, club.maryam.id), None, earn_only=False)
    shiboken6.delete(gone)
    qtbot.waitUntil(lambda: not ctx.tasks.busy(), timeout=10_000)
    qtbot.wait(100)  # the answer is delivered through the event loop: nothing may raise there


def test_a_later_member_wins_and_a_club_without_a_programme_shows_none(qtbot, view, club, ctx):
    view.show_member(find_member(club.terminal, club.maryam.id), None, earn_only=False)
    show(qtbot, view, club.terminal, club.john.id)  # the first answer arrives for someone no longer shown
    assert view.standing() is not None and view.profile().member.id == club.john.id
    assert not view.programme_panel.isVisible()  # version 0: the tier and branch tables, no programme
    assert not view.wallet_tile.note.isVisible()


@pytest.mark.usefixtures("rules")
def test_switching_language_redraws_the_programme(qtbot, view, club, ctx, lang):
    sale(club.terminal, club.john.id, 6_000_000)
    show(qtbot, view, club.terminal, club.john.id)
    other = "en" if lang == "fa" else "fa"
    ctx.session.set_language(other)
    gold = "طلایی" if other == "fa" else "Gold"
    assert plain(points_text(1_400, other)) in line(view, Line.PROGRESS)
    assert gold in line(view, Line.PROGRESS)
