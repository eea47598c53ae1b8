# SPDX-License-Identifier: GPL-3.0-or-later
"""A campaign's effect, measured against its holdout (issue 14, item 2).

A campaign may leave a stated share of its eligible members out at random (`Campaign.holdout_percent`;
`app.domain.programme.in_holdout` decides, alike on every terminal and here): they earn as if it did not
run. Both groups shop in the same days, at the same branches, under the same prices and news, so what the
treated members did beyond the held-out ones is the campaign's effect, up to chance; the smaller the
groups, the larger the chance part, and the report says so in words.

Eligible members: those whose current tier and home branch the campaign names (none named: every one),
who joined before the campaign's last day ended. The report reads, for every eligible member, their sums
over the campaign's days from the per-member aggregates (`report_member_day`), purchases at any branch, so
it reads a row per eligible member: for a national club a background job builds it (`slow`), reporting
its progress.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, and_, func, select

from app.domain.errors import ClubError
from app.domain.programme import Campaign, RuleSet, in_holdout
from app.format import number
from sync.server import rules as rule_sets
from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.models import BRANCH, MEMBER, REPORT_MEMBER_DAY, TIER
from sync.server.reports import aggregates
from sync.server.reports.table import (
    MAX_LISTED,
    Cell,
    Chart,
    Column,
    Drill,
    Filters,
    Kind,
    Report,
    Result,
    Table,
)

Progress = Callable[[int], None]  # percent done, 0 to 100
CHUNK = 5_000  # eligible members read at a time (a server-side cursor on PostgreSQL)
SMALL_GROUP = 100  # below this many members in either group, a difference is called possibly chance
SIGNIFICANT = Fraction(5, 100)  # the two-sided p-value under which a difference is called unlikely chance
TREATED, HELD_OUT = "treated", "held_out"
_GROUP_NAMES = {TREATED: ("در کمپین", "Treated"), HELD_OUT: ("گروه شاهد", "Held out")}

DEFINITIONS: dict[str, tuple[str, str]] = {
    "campaign_eligible": (
        "Eligible members: members whose current tier and home branch the campaign names (none named: every "
        "tier, every branch), who joined before the campaign's last day ended.",
        "اعضای واجد شرایط: اعضایی که سطح فعلی و شعبهٔ اصلی‌شان در کمپین آمده است (اگر چیزی نیامده: همهٔ "
        "سطح‌ها و همهٔ شعبه‌ها) و پیش از پایان آخرین روز کمپین عضو شده‌اند.",
    ),
    "campaign_group": (
        "Held out: the eligible members the campaign leaves out at random (its holdout share), who earn as "
        "if it did not run; treated: the rest. The same member is in the same group on every terminal.",
        "گروه شاهد: اعضای واجد شرایطی که کمپین به‌تصادف کنار می‌گذارد (سهم گروه شاهد) و امتیازشان چنان "
        "حساب می‌شود که گویی کمپین نبوده است؛ در کمپین: بقیه. هر عضو در همهٔ پایانه‌ها در یک گروه است.",
    ),
    "campaign_members": (
        "Members: the eligible members in the group.",
        "اعضا: اعضای واجد شرایط در این گروه.",
    ),
    "campaign_buyers": (
        "Bought: members of the group with at least one purchase, at any branch, in the campaign's days.",
        "خرید کرده: اعضای گروه که در روزهای کمپین دست‌کم یک خرید، در هر شعبه‌ای، داشته‌اند.",
    ),
    "campaign_share_bought": (
        "Share who bought = members who bought ÷ members of the group.",
        "سهم خریداران = اعضای خریدکرده ÷ اعضای گروه.",
    ),
    "campaign_purchases_per_member": (
        "Purchases per member = the group's purchases in the campaign's days ÷ members of the group.",
        "خرید به ازای هر عضو = خریدهای گروه در روزهای کمپین ÷ اعضای گروه.",
    ),
    "campaign_net_sales_per_member": (
        "Net sales per member = the group's net sales in the campaign's days ÷ members of the group, rounded "
        "down to the rial.",
        "فروش خالص به ازای هر عضو = فروش خالص گروه در روزهای کمپین ÷ اعضای گروه، با گرد کردن رو به پایین "
        "به ریال.",
    ),
    "campaign_points_per_member": (
        "Points issued per member = points the group was issued in the campaign's days (positive point "
        "changes of any kind but reversal) ÷ members of the group.",
        "امتیاز صادرشده به ازای هر عضو = امتیازهایی که در روزهای کمپین به گروه داده شد (تغییرهای مثبت "
        "امتیاز از هر نوع جز برگشت) ÷ اعضای گروه.",
    ),
    "campaign_lift": (
        "Lift = the treated group's number − the held-out group's (net sales per member: of the exact "
        "quotients, rounded down).",
        "اثر = عدد گروه در کمپین − عدد گروه شاهد (فروش خالص به ازای هر عضو: از خارج‌قسمت‌های دقیق، با گرد "
        "کردن رو به پایین).",
    ),
    "campaign_relative_lift": (
        "Relative lift = lift ÷ the held-out group's number; none when that is 0.",
        "اثر نسبی = اثر ÷ عدد گروه شاهد؛ اگر آن صفر باشد، ندارد.",
    ),
    "campaign_z": (
        "z = the two-proportion z-test of the share who bought: (p₁ − p₂) ÷ √(p(1 − p)(1/n₁ + 1/n₂)), "
        "p₁, p₂ the groups' shares, n₁, n₂ their members, p the pooled share (buyers of both ÷ members of "
        "both); none when either group is empty or p is 0 or 1.",
        "z = آزمون z دو نسبت برای سهم خریداران: (p₁ − p₂) ÷ √(p(1 − p)(1/n₁ + 1/n₂))، که p₁ و p₂ سهم دو "
        "گروه، n₁ و n₂ شمار اعضای آن‌ها و p سهم هر دو با هم (خریداران هر دو ÷ اعضای هر دو) است؛ اگر یکی "
        "از گروه‌ها خالی باشد یا p صفر یا یک باشد، ندارد.",
    ),
    "campaign_p_value": (
        "p-value = the chance of a difference in the share who bought at least this large, either way, if "
        "the campaign changed nothing: erfc(|z| ÷ √2). Below 5 %, the difference is unlikely to be chance.",
        "مقدار p = احتمال تفاوتی دست‌کم به این اندازه در سهم خریداران، در هر دو جهت، اگر کمپین هیچ اثری "
        "نداشت: erfc(|z| ÷ √2). کمتر از ۵٪: تفاوت بعید است تصادفی باشد.",
    ),
}


# ---- the campaign --------------------------------------------------------------------------------------


def _campaign(conn: Connection, code: str | None, last: date) -> tuple[Campaign, RuleSet] | None:
    """The campaign asked for, as the newest version that has it defines it; without a code, the current
    version's campaign that started last on or before `last` (else the one that starts first after it)."""
    current = rule_sets.current(conn)
    if code is None:
        if not current.campaigns:
            return None
        started = [c for c in current.campaigns if c.starts <= last]
        if started:
            return max(started, key=lambda c: (c.starts, c.ends, c.code)), current
        return min(current.campaigns, key=lambda c: (c.starts, c.code)), current
    found = next((c for c in current.campaigns if c.code == code), None)
    if found is not None:
        return found, current
    # a campaign a later version dropped: the newest version that had it (reads versions newest first)
    for info in sorted(rule_sets.versions(conn), key=lambda v: -v.version):
        rules = rule_sets.get(conn, info.version)
        found = next((c for c in rules.campaigns if c.code == code), None)
        if found is not None:
            return found, rules
    raise ClubError("unknown_campaign", campaign=code)


@dataclass(frozen=True, slots=True)
class Eligible:
    """Who the campaign's report counts, and over which days."""

    campaign: Campaign
    first_day: int  # date ordinals, both inclusive (the aggregates' `day`)
    last_day: int
    end_us: int  # the campaign's last day's end
    where: tuple[Any, ...]  # conditions on MEMBER


def _eligible(conn: Connection, campaign: Campaign, rules: RuleSet, filters: Filters) -> Eligible:
    end_us = rules.day_start_us(campaign.ends + timedelta(days=1))
    where: list[Any] = [MEMBER.c.joined_at_us < end_us]
    if campaign.tiers:
        where.append(MEMBER.c.tier_code.in_(campaign.tiers))
    if campaign.branches:
        ids = select(BRANCH.c.id).where(BRANCH.c.code.in_(campaign.branches))
        where.append(MEMBER.c.branch_id.in_(ids.scalar_subquery()))
    if filters.branch is not None:
        where.append(MEMBER.c.branch_id == _branch_id(conn, filters.branch))
    if filters.tier is not None:
        if conn.execute(select(TIER.c.code).where(TIER.c.code == filters.tier)).first() is None:
            raise ClubError("unknown_tier", tier=filters.tier)
        where.append(MEMBER.c.tier_code == filters.tier)
    return Eligible(campaign, campaign.starts.toordinal(), campaign.ends.toordinal(), end_us, tuple(where))


def _branch_id(conn: Connection, code: str) -> str:
    found = conn.execute(select(BRANCH.c.id).where(BRANCH.c.code == code)).scalar()
    if found is None:
        raise ClubError("unknown_branch", branch=code)
    return str(found)


# ---- the groups ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Group:
    members: int = 0
    buyers: int = 0
    purchases: int = 0
    net_sales_rials: int = 0
    points_issued: int = 0
    member_ids: list[str] = field(default_factory=list)  # the first MAX_LISTED + 1 (more: a named set)
    buyer_ids: list[str] = field(default_factory=list)

    def add(self, member_id: str, purchases: int, net_sales: int, issued: int) -> None:
        self.members += 1
        self.purchases += purchases
        self.net_sales_rials += net_sales
        self.points_issued += issued
        if len(self.member_ids) <= MAX_LISTED:
            self.member_ids.append(member_id)
        if purchases > 0:
            self.buyers += 1
            if len(self.buyer_ids) <= MAX_LISTED:
                self.buyer_ids.append(member_id)

    def share_bought(self) -> Fraction | None:
        return Fraction(self.buyers, self.members) if self.members else None

    def per_member(self, total: int) -> Fraction | None:
        return Fraction(total, self.members) if self.members else None


def _rows(conn: Connection, eligible: Eligible) -> Any:
    """Every eligible member with their sums over the campaign's days (zeros when they did nothing)."""
    day = REPORT_MEMBER_DAY.c
    activity = (
        select(
            day.member_id,
            func.sum(day.purchases).label("purchases"),
            func.sum(day.net_sales_rials).label("net_sales"),
            func.sum(day.points_issued).label("issued"),
        )
        .where(day.day >= eligible.first_day, day.day <= eligible.last_day)
        .group_by(day.member_id)
        .subquery()
    )
    query = (
        select(
            MEMBER.c.id,
            func.coalesce(activity.c.purchases, 0),
            func.coalesce(activity.c.net_sales, 0),
            func.coalesce(activity.c.issued, 0),
        )
        .select_from(MEMBER.outerjoin(activity, activity.c.member_id == MEMBER.c.id))
        .where(and_(*eligible.where))
        .execution_options(yield_per=CHUNK)  # in no order: a national club's sort would cost for nothing
    )
    return conn.execute(query)


def _count(conn: Connection, eligible: Eligible) -> int:
    return int(conn.execute(select(func.count()).select_from(MEMBER).where(*eligible.where)).scalar_one())


def split(conn: Connection, eligible: Eligible, progress: Progress | None = None) -> dict[str, Group]:
    """The eligible members in their two groups, with their sums; `progress` hears the percent done."""
    groups = {TREATED: Group(), HELD_OUT: Group()}
    campaign = eligible.campaign
    total = _count(conn, eligible) if progress is not None else 0
    told = -1
    for seen, (member_id, purchases, net_sales, issued) in enumerate(_rows(conn, eligible), start=1):
        held = in_holdout(campaign.code, member_id, campaign.holdout_percent)
        groups[HELD_OUT if held else TREATED].add(member_id, int(purchases), int(net_sales), int(issued))
        if progress is not None and seen % CHUNK == 0:
            percent = min(99, seen * 100 // max(total, 1))
            if percent != told:
                progress(percent)
                told = percent
    if progress is not None:
        progress(100)
    return groups


# ---- the numbers --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Test:
    """The two-proportion z-test of the share who bought (DEFINITIONS["campaign_z"])."""

    z: float | None
    p_value: float | None


def z_test(buyers_1: int, members_1: int, buyers_2: int, members_2: int) -> Test:
    if not members_1 or not members_2:
        return Test(None, None)
    pooled = Fraction(buyers_1 + buyers_2, members_1 + members_2)
    if pooled in (0, 1):
        return Test(None, None)
    variance = pooled * (1 - pooled) * (Fraction(1, members_1) + Fraction(1, members_2))
    z = float(Fraction(buyers_1, members_1) - Fraction(buyers_2, members_2)) / math.sqrt(variance)
    return Test(z, math.erfc(abs(z) / math.sqrt(2)))


def _lift(treated: Fraction | None, held: Fraction | None) -> tuple[Fraction | None, Fraction | None]:
    if treated is None or held is None:
        return None, None
    lift = treated - held
    return lift, (lift / held if held else None)


def _floor(value: Fraction | None) -> int | None:
    return None if value is None else math.floor(value)


def _drill(eligible: Eligible, ids: list[str], named: str) -> Drill:
    code = eligible.campaign.code
    first, last = eligible.campaign.starts, eligible.campaign.ends
    if len(ids) <= MAX_LISTED:
        return Drill(target="members", first=first, last=last, member_ids=tuple(ids))
    return Drill(target="members", first=first, last=last, named=f"{named}:{code}")


COLUMNS = (
    Column("group", "گروه", "Group", Kind.TEXT, "campaign_group"),
    Column("members", "اعضا", "Members", Kind.COUNT, "campaign_members"),
    Column("buyers", "خرید کرده", "Bought", Kind.COUNT, "campaign_buyers"),
    Column("share_bought", "سهم خریداران", "Share who bought", Kind.RATE, "campaign_share_bought"),
    Column(
        "purchases_per_member",
        "خرید به ازای هر عضو",
        "Purchases per member",
        Kind.RATIO,
        "campaign_purchases_per_member",
    ),
    Column(
        "net_sales_per_member",
        "فروش خالص به ازای هر عضو",
        "Net sales per member",
        Kind.RIALS,
        "campaign_net_sales_per_member",
    ),
    Column(
        "points_per_member",
        "امتیاز صادرشده به ازای هر عضو",
        "Points issued per member",
        Kind.RATIO,
        "campaign_points_per_member",
    ),
)
LIFT_COLUMNS = (
    Column("measure", "سنجه", "Measure", Kind.TEXT),
    Column("relative_lift", "اثر نسبی", "Relative lift", Kind.RATE, "campaign_relative_lift"),
)
TEST_COLUMNS = (
    Column("z", "z", "z", Kind.Z, "campaign_z"),
    Column("p_value", "مقدار p", "p-value", Kind.RATE, "campaign_p_value"),
)


def tables(eligible: Eligible, groups: dict[str, Group]) -> list[Table]:
    """The groups side by side with the difference, the relative lift per measure, and the test."""
    campaign = eligible.campaign
    treated, held = groups[TREATED], groups[HELD_OUT]
    rows: list[tuple[Any, ...]] = []
    for key, named in ((TREATED, "campaign_treated"), (HELD_OUT, "campaign_holdout")):
        g = groups[key]
        fa, en = _GROUP_NAMES[key]
        rows.append(
            (
                f"{fa} / {en}",
                Cell(g.members, _drill(eligible, g.member_ids, named)),
                Cell(g.buyers, _drill(eligible, g.buyer_ids, named + "_bought")),
                g.share_bought(),
                g.per_member(g.purchases),
                _floor(g.per_member(g.net_sales_rials)),
                g.per_member(g.points_issued),
            )
        )
    measures = (
        ("share_bought", "سهم خریداران", "Share who bought", treated.share_bought(), held.share_bought()),
        (
            "purchases_per_member",
            "خرید به ازای هر عضو",
            "Purchases per member",
            treated.per_member(treated.purchases),
            held.per_member(held.purchases),
        ),
        (
            "net_sales_per_member",
            "فروش خالص به ازای هر عضو",
            "Net sales per member",
            treated.per_member(treated.net_sales_rials),
            held.per_member(held.net_sales_rials),
        ),
        (
            "points_per_member",
            "امتیاز صادرشده به ازای هر عضو",
            "Points issued per member",
            treated.per_member(treated.points_issued),
            held.per_member(held.points_issued),
        ),
    )
    lifts = {key: _lift(t, h) for key, _fa, _en, t, h in measures}
    rows.append(
        (
            "اثر (در کمپین − شاهد) / Lift (treated − held out)",
            None,
            None,
            lifts["share_bought"][0],
            lifts["purchases_per_member"][0],
            _floor(lifts["net_sales_per_member"][0]),
            lifts["points_per_member"][0],
        )
    )
    test = z_test(treated.buyers, treated.members, held.buyers, held.members)
    note_fa, note_en = note(campaign, treated, held, test)
    return [
        Table(
            "campaign_groups",
            f"اثر کمپین {campaign.name_fa}",
            f"Effect of the campaign {campaign.name_en}",
            COLUMNS,
            rows,
            chart=Chart("bar", "group", ("share_bought",)),
            note_fa=note_fa,
            note_en=note_en,
        ),
        Table(
            "campaign_relative_lift",
            "اثر نسبی",
            "Relative lift",
            LIFT_COLUMNS,
            [(f"{fa} / {en}", lifts[key][1]) for key, fa, en, _t, _h in measures],
        ),
        Table(
            "campaign_test",
            "آزمون سهم خریداران",
            "Test of the share who bought",
            TEST_COLUMNS,
            [(test.z, test.p_value)],
        ),
    ]


def note(campaign: Campaign, treated: Group, held: Group, test: Test) -> tuple[str, str]:
    """The groups' sizes in words, and how far the difference in the share who bought may be chance."""
    days_fa = f"{campaign.starts.isoformat()} تا {campaign.ends.isoformat()}"
    days_en = f"{campaign.starts.isoformat()} to {campaign.ends.isoformat()}"
    sizes_fa = (
        f"کمپین {campaign.code} ({days_fa})، گروه شاهد {number(campaign.holdout_percent, 'fa')}٪: "
        f"{number(treated.members, 'fa')} عضو در کمپین و {number(held.members, 'fa')} عضو در گروه شاهد."
    )
    sizes_en = (
        f"Campaign {campaign.code} ({days_en}), holdout {campaign.holdout_percent} %: "
        f"{number(treated.members, 'en')} members treated and {number(held.members, 'en')} held out."
    )
    if not campaign.holdout_percent:
        return (
            sizes_fa + " این کمپین گروه شاهد ندارد: اثری سنجیده نمی‌شود.",
            sizes_en + " The campaign holds nobody out: there is nothing to compare.",
        )
    if min(treated.members, held.members) < SMALL_GROUP:
        return (
            sizes_fa + f" گروه‌ها کوچک‌اند (کمتر از {number(SMALL_GROUP, 'fa')} عضو): تفاوت‌ها ممکن است "
            "تصادفی باشند.",
            sizes_en + f" The groups are small (under {SMALL_GROUP} members): the differences may be chance.",
        )
    if test.p_value is None:
        return sizes_fa, sizes_en
    p_fa, p_en = f"{test.p_value:.3f}", f"{test.p_value:.3f}"
    if test.p_value < SIGNIFICANT:
        return (
            sizes_fa + f" تفاوت سهم خریداران بعید است تصادفی باشد (p = {p_fa}).",
            sizes_en + f" The difference in the share who bought is unlikely to be chance (p = {p_en}).",
        )
    return (
        sizes_fa + f" تفاوت سهم خریداران ممکن است تصادفی باشد (p = {p_fa}).",
        sizes_en + f" The difference in the share who bought may well be chance (p = {p_en}).",
    )


# ---- the report ---------------------------------------------------------------------------------------


def build(call: Call, filters: Filters, *, progress: Progress | None = None) -> Result:
    """The effect of the campaign `filters.campaign` (default: the latest started by the period's end) on
    its eligible members (narrowed to a home branch and a current tier when the filters say so)."""
    _audited(call, "report.campaigns", filters.campaign, filters)
    # read outside the audit's write: a national club's report reads a row per eligible member
    with call.db.replica_read() as conn:
        as_of = aggregates.as_of(conn)
        chosen = _campaign(conn, filters.campaign, filters.last)
        if chosen is None:
            empty = Table(
                "campaign_groups", "اثر کمپین", "Campaign effect", COLUMNS, [],
                note_fa="برنامهٔ باشگاه کمپینی ندارد.", note_en="The club's programme has no campaign.",
            )  # fmt: skip
            return Result([empty], as_of, DEFINITIONS)
        eligible = _eligible(conn, *chosen, filters)
        return Result(tables(eligible, split(conn, eligible, progress)), as_of, DEFINITIONS)


def _audited(call: Call, action: str, target: str | None, filters: Filters) -> None:
    """The permission (a branch manager: their own branches' members only) and the audit row, first."""
    with call.db.replica_read() as conn:
        branch_id = _branch_id(conn, filters.branch) if filters.branch is not None else None
    read(call, action, target, lambda _conn: None, branch_id=branch_id)


_NAMED = {
    "campaign_treated": (TREATED, False),
    "campaign_holdout": (HELD_OUT, False),
    "campaign_treated_bought": (TREATED, True),
    "campaign_holdout_bought": (HELD_OUT, True),
}


def members_of(call: Call, named: str, filters: Filters) -> list[str] | None:
    """The members behind a named set this report's drills give ("campaign_treated:<code>",
    "campaign_holdout:<code>", and "..._bought:<code>" for those of the group who bought), in id order;
    None: not a set of this report. Read as the report is (the same permission and branch scope)."""
    prefix, _, code = named.partition(":")
    if prefix not in _NAMED or not code:
        return None
    group, bought = _NAMED[prefix]
    _audited(call, "report.campaigns.members", named, filters)
    with call.db.replica_read() as conn:
        chosen = _campaign(conn, code, filters.last)
        assert chosen is not None  # a code is named: found or refused
        eligible = _eligible(conn, *chosen, filters)
        campaign = eligible.campaign
        return sorted(
            member_id
            for member_id, purchases, _net, _issued in _rows(conn, eligible)
            if in_holdout(campaign.code, member_id, campaign.holdout_percent) == (group == HELD_OUT)
            and (not bought or purchases > 0)
        )


REPORTS: list[Report] = [
    Report(
        "campaigns",
        "اثر کمپین‌ها",
        "Campaign effect",
        build,
        DEFINITIONS,
        Permission.READ,
        slow=True,
        filters=("branch", "tier", "campaign"),
    )
]
