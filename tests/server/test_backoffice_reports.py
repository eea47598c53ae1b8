# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports section over HTTP, on both backends: the list per role, the overview's worked numbers and
their filters, a branch manager kept to their branch, refusals shown in the page, and the drill-down
listing exactly the members or entries behind a number (and refusing an address written by hand)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from fractions import Fraction
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.domain.ledger import EntryKind
from app.domain.programme import RuleSet, TierRule
from app.domain.returns import RETURN_REASON
from sync.server.club.access import CONSOLE, Actor, Permission
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import MEMBER
from sync.server.reports import aggregates, drill, insights, shown
from sync.server.reports.table import Cell, Chart, Column, Drill, Filters, Kind, Report, Result, Table
from tests.server.club import BRANCH_1, BRANCH_2, T0, enroll, member, member_item, push
from tests.server.office import add_every_role, add_user, sign_in

DAY_US = 86_400_000_000
CLUB = RuleSet(version=0, tiers=(TierRule("bronze", "b", "b", 0),))  # its calendar: Tehran, +03:30
TODAY = CLUB.local_date(T0)


class Club:
    """Four members and their sales, with their known answers (the period: this month so far):
    A (Tehran, bronze) buys twice at Tehran; B (Tehran, silver) once at Isfahan; C (Isfahan, bronze) buys
    at Isfahan and returns it all (engaged, no purchase); D (Tehran, bronze) joined yesterday, did nothing."""

    def __init__(self, client: TestClient, db: Database) -> None:
        thr, isf = enroll(db, "THR"), enroll(db, "ISF")
        self.a, self.b = member(joined_at_us=T0 - 30 * DAY_US), member(joined_at_us=T0 - 30 * DAY_US)
        self.c = member(BRANCH_2, joined_at_us=T0 - 30 * DAY_US)
        self.d = member(joined_at_us=T0 - DAY_US)
        push(client, thr, [], [member_item(m) for m in (self.a, self.b, self.d)])
        push(client, isf, [], [member_item(self.c)])
        self.a1 = thr.sale(self.a.id, 1_000_000, created_at_us=T0 - 3 * DAY_US)[0]
        self.a2 = thr.sale(self.a.id, 2_000_000, created_at_us=T0 - 2 * DAY_US)[0]
        push(client, thr, [self.a1, self.a2])
        self.b1 = isf.sale(self.b.id, 500_000, created_at_us=T0 - 2 * DAY_US)[0]
        self.c1 = isf.sale(self.c.id, 300_000, created_at_us=T0 - 3 * DAY_US)[0]
        self.c1_back = isf.entry(
            self.c.id, EntryKind.REVERSAL, -self.c1.points_delta, sale_amount=-300_000, reverses=self.c1.id,
            reason=RETURN_REASON, created_at_us=T0 - DAY_US,
        )  # fmt: skip
        push(client, isf, [self.b1, self.c1, self.c1_back])
        db.write(lambda conn: conn.execute(update(MEMBER).where(MEMBER.c.id == self.b.id)
                                           .values(tier_code="silver")))  # fmt: skip
        aggregates.catch_up(db, T0)


@pytest.fixture
def office(client: TestClient, club_db: Database) -> Club:
    add_every_role(club_db)
    return Club(client, club_db)


def values(html: str) -> dict[str, str]:
    """The summary's numbers as shown, by key."""
    found = re.findall(r'data-testid="value-([a-z_]+)">(?:<a href="[^"]*">)?([^<]*)<', html)
    return {key: unescape(text) for key, text in found}


def drill_links(html: str) -> dict[str, str]:
    found = re.findall(r'data-testid="value-([a-z_]+)"><a href="([^"]*)">', html)
    return {key: unescape(href) for key, href in found}


def english(client: TestClient, name: str) -> None:
    csrf = sign_in(client, name)
    answer = client.post("/admin/lang", data={"lang": "en", "next": "/admin/", "csrf_token": csrf})
    assert answer.status_code in (200, 303)


def listed_members(html: str) -> set[str]:
    return set(re.findall(r'href="/admin/members/([0-9a-f-]{36})"', html))


def test_the_index_lists_the_reports_a_role_may_see(client, club_db, monkeypatch):
    names = add_every_role(club_db)
    audit_only = Report("secret", "محرمانه", "Secret", lambda _c, _f: Result([]), {}, Permission.AUDIT_READ)
    monkeypatch.setattr(insights, "REPORTS", [audit_only])
    for role, name in names.items():
        client.cookies.clear()
        sign_in(client, name)
        page = client.get("/admin/reports")
        assert page.status_code == 200
        assert 'href="/admin/reports/overview">نمای کلی</a>' in page.text
        assert 'href="/admin/reports">گزارش‌ها</a>' in page.text  # the menu's link
        may = role in ("owner", "auditor")
        assert ('href="/admin/reports/secret"' in page.text) is may, role
        assert client.get("/admin/reports/secret").status_code == (200 if may else 403), role
    assert client.get("/admin/reports/nothing").status_code == 404


def test_the_overview_shows_the_worked_numbers(client, office):
    sign_in(client, "owner")
    page = client.get("/admin/reports/overview")
    assert page.status_code == 200, page.text
    shown = values(page.text)
    assert shown["members_total"] == "۴"
    assert shown["members_active"] == "۲"
    assert shown["engagement_rate"] == "۷۵٫۰٪"  # A, B and C of four
    assert shown["repeat_customer_rate"] == "۵۰٫۰٪"  # A of A and B
    assert shown["purchase_frequency"] == "۱٫۵۰"
    assert shown["net_sales_rials"] == "۳۵۰٬۰۰۰"  # Toman: C's sale was returned in full
    assert shown["average_basket_rials"] == "۱۱۶٬۶۶۶٫۶"  # 3,500,000 rials ÷ 3, rounded down, in Toman
    # the definitions beside them, the day by day table, the as-of line and the exports' place
    assert "اعضایی که در بازه دست‌کم یک خرید داشته‌اند." in page.text
    assert 'data-testid="table-daily"' in page.text and "data-chart=" in page.text
    assert "همهٔ ردیف‌ها شمرده شده‌اند" in page.text
    assert "/admin/reports/overview/export.xlsx?from=" in page.text
    # the default period: this Jalali month so far (1404/03/01 is 2025-05-22)
    assert TODAY.isoformat() == "2025-06-15"
    assert 'value="1404/03/01"' in page.text and 'value="1404/03/25"' in page.text

    english(client, "owner")
    page = client.get("/admin/reports/overview", params={"from": "2025-05-22", "to": "1404/03/25"})
    shown = values(page.text)
    assert (shown["engagement_rate"], shown["net_sales_rials"]) == ("75.0%", "350,000")
    assert shown["points_issued"] == "46"  # 10 + 20 at Tehran, 10 + 6 at Isfahan
    assert "Members with at least one purchase in the period." in page.text
    general = page.text[page.text.index('data-testid="general-definitions"') :]
    assert "the first day 00:00 to the end of the last day" in general  # the period's definition, once
    daily = page.text[page.text.index('data-testid="table-daily"') :]
    two_days_ago = str(TODAY - timedelta(days=2))
    row = re.search(rf"{two_days_ago}\s*</th>(.*?)</tr>", daily, re.S).group(1)  # type: ignore[union-attr]
    assert re.findall(r">\s*([0-9,]+)\s*<", row) == ["2", "250,000", "30", "0"]  # A2 and B1


def test_filters_by_branch_and_tier_change_the_numbers(client, office):
    english(client, "owner")
    thr = values(client.get("/admin/reports/overview?branch=THR").text)
    assert (thr["members_total"], thr["members_active"], thr["net_sales_rials"]) == ("3", "1", "300,000")
    assert (thr["repeat_customer_rate"], thr["engagement_rate"]) == ("100.0%", "33.3%")
    isf = values(client.get("/admin/reports/overview?branch=ISF").text)
    assert (isf["members_total"], isf["members_active"], isf["net_sales_rials"]) == ("1", "1", "50,000")
    silver = values(client.get("/admin/reports/overview?tier=silver").text)
    assert (silver["members_total"], silver["members_active"], silver["net_sales_rials"]) == (
        "1",
        "1",
        "50,000",
    )
    # a period with nothing in it
    quiet = values(client.get("/admin/reports/overview?from=2025-01-01&to=2025-01-31").text)
    assert (quiet["members_active"], quiet["net_sales_rials"]) == ("0", "0")


def test_a_branch_manager_sees_their_branch_only(client, office, club_db):
    english(client, "branchmanager")  # runs Tehran
    page = client.get("/admin/reports/overview")
    assert page.status_code == 200
    assert values(page.text)["members_total"] == "3"  # Tehran's, not the club's four
    assert "Every branch" not in page.text
    refused = client.get("/admin/reports/overview?branch=ISF")
    assert refused.status_code == 403
    assert 'data-testid="error"' in refused.text and "may not" in refused.text
    assert "value-members_total" not in refused.text
    drilled = client.get("/admin/reports/overview/drill?branch=ISF&drill=members&d_named=joined")
    assert drilled.status_code == 403 and office.c.id not in drilled.text
    # and the use cases refuse it whoever calls them
    actor = Actor("x", "bm", "branch-manager", branch_ids=frozenset({BRANCH_1}))
    filters = Filters(TODAY - timedelta(days=5), TODAY, "ISF")
    with pytest.raises(ApiError):
        drill.members_page(Call(club_db, T0, actor), Drill("members", named="joined"), filters)


@pytest.mark.parametrize(
    ("query", "persian"),
    [
        ("from=1404/13/40&to=1404/03/25", "«1404/13/40» تاریخ معتبری نیست"),
        ("from=yesterday&to=1404/03/25", "«yesterday» تاریخ معتبری نیست"),
        ("from=1404/03/20&to=1404/03/10", "پیش از آغاز آن"),
        ("from=1404/03/20", "هم روز نخست و هم روز آخر"),
        ("branch=NOPE", "شعبه‌ای با شناسه NOPE وجود ندارد"),
        ("tier=gold", "سطحی با نام gold وجود ندارد"),
    ],
)
def test_a_bad_filter_is_a_clear_message_in_the_page(client, club_db, query, persian):
    add_every_role(club_db)
    sign_in(client, "owner")
    page = client.get(f"/admin/reports/overview?{query}")
    assert page.status_code == 422
    assert 'data-testid="error"' in page.text and persian in unescape(page.text)
    assert 'data-testid="report-filters"' in page.text  # the filter bar stays, to be corrected


def test_a_bad_date_in_english(client, club_db):
    add_every_role(club_db)
    english(client, "owner")
    page = client.get("/admin/reports/overview?from=2025-02-30&to=2025-03-01")
    assert page.status_code == 422
    assert "“2025-02-30” is not a date: use YYYY-MM-DD, or the Jalali YYYY/MM/DD." in unescape(page.text)


def test_the_drill_down_lists_exactly_the_members_behind_a_number(client, office):
    english(client, "owner")
    links = drill_links(client.get("/admin/reports/overview").text)
    a, b, c, d = office.a.id, office.b.id, office.c.id, office.d.id
    expected = {
        "members_total": {a, b, c, d},
        "members_active": {a, b},
        "repeat_customer_rate": {a},
        "engagement_rate": {a, b, c},
    }
    for key, members in expected.items():
        page = client.get(links[key])
        assert page.status_code == 200, (key, page.text)
        assert listed_members(page.text) == members, key
    thr = drill_links(client.get("/admin/reports/overview?branch=THR").text)
    assert listed_members(client.get(thr["members_total"]).text) == {a, b, d}
    assert listed_members(client.get(thr["members_active"]).text) == {a}
    assert listed_members(client.get(thr["engagement_rate"]).text) == {a}
    isf = drill_links(client.get("/admin/reports/overview?branch=ISF").text)
    assert listed_members(client.get(isf["members_active"]).text) == {b}  # B bought at Isfahan
    assert listed_members(client.get(isf["engagement_rate"]).text) == {c}  # among Isfahan's own members


def test_the_drill_down_lists_exactly_the_entries_behind_a_number(client, office, club_db):
    english(client, "owner")
    link = drill_links(client.get("/admin/reports/overview").text)["net_sales_rials"]
    assert parse_qs(urlsplit(link).query)["d_kinds"] == ["earn"]
    assert parse_qs(urlsplit(link).query)["d_named"] == ["purchases"]
    page = client.get(link)
    assert page.status_code == 200
    assert "Purchases: sales not returned in full" in page.text
    # the three purchases, three amounts each: C's sale, returned in full, is no purchase
    assert page.text.count('<td class="num">') == 3 * 3
    for sale in (office.a1, office.a2, office.b1):
        assert f"/admin/members/{sale.member_id}" in page.text
    assert f"/admin/members/{office.c1.member_id}" not in page.text

    # a page at a time, newest first, and each page's cursor leads to the next
    call = Call(club_db, T0, CONSOLE)
    filters = Filters(TODAY - timedelta(days=10), TODAY)
    wanted = Drill("entries", kinds=("earn",))
    seen, after = [], None
    while True:
        found = drill.entries_page(call, wanted, filters, after, limit=1)
        seen += [line.id for line in found.lines]
        if found.after is None:
            break
        after = found.after
    # newest first; the same moment (a day apart here) in server order, the later pushed first
    assert seen == [office.b1.id, office.a2.id, office.c1.id, office.a1.id]
    only_a = drill.entries_page(call, Drill("entries", member_id=office.a.id), filters)
    assert [line.id for line in only_a.lines] == [office.a2.id, office.a1.id]
    listed = drill.entries_page(call, Drill("entries", entry_ids=(office.b1.id,)), filters)
    assert [line.id for line in listed.lines] == [office.b1.id]
    a_day = Drill("entries", first=TODAY - timedelta(days=3), last=TODAY - timedelta(days=3))
    assert {line.id for line in drill.entries_page(call, a_day, filters).lines} == {
        office.a1.id,
        office.c1.id,
    }
    members = drill.members_page(call, Drill("members", named="joined"), filters, limit=3)
    rest = drill.members_page(call, Drill("members", named="joined"), filters, members.after, limit=3)
    every = [line.id for line in members.lines + rest.lines]
    assert every == sorted({office.a.id, office.b.id, office.c.id, office.d.id}) and rest.after is None


def test_a_drill_round_trips_through_its_address():
    wanted = Drill("entries", TODAY - timedelta(days=2), TODAY, "THR", "silver", ("earn", "redeem"),
                   member_id=str(BRANCH_1), staff_id=str(BRANCH_2), device_id=str(BRANCH_1),
                   entry_ids=(str(BRANCH_1), str(BRANCH_2)))  # fmt: skip
    assert drill.from_query({k: v[0] for k, v in parse_qs(drill.to_query(wanted)).items()}) == wanted
    named = Drill("members", named="repeat", branch="ISF")
    assert drill.from_query({k: v[0] for k, v in parse_qs(drill.to_query(named)).items()}) == named


@pytest.mark.parametrize(
    "query",
    [
        "drill=everything",
        "",
        "drill=members",  # neither a named set nor a list
        "drill=members&d_named=richest",
        "drill=members&d_named=active;drop",
        "drill=members&d_named=campaign_treated:",
        "drill=members&d_named=purchases",
        "drill=entries&d_named=active",
        "drill=members&d_named=active&d_kinds=earn",
        "drill=entries&d_kinds=earn,robbery",
        "drill=entries&d_kinds=earn,earn",
        "drill=entries&d_first=2025-02-30&d_last=2025-03-01",
        "drill=entries&d_first=2025-03-02&d_last=2025-03-01",
        "drill=entries&d_first=2025-03-01",
        "drill=entries&d_first=20250301&d_last=2025-03-01",
        "drill=entries&d_member=1 OR 1=1",
        "drill=entries&d_entries=" + ",".join([BRANCH_1] * 2),
        "drill=entries&d_entries=" + ",".join(f"00000000-0000-7000-8000-{n:012d}" for n in range(501)),
        "drill=entries&d_branch=" + "X" * 33,
        "drill=entries&d_sql=1",
        "drill=entries&drill=members",
        "drill=entries&after=abc",
        "drill=entries&after=-1",
        "drill=members&d_named=joined&after=1",
        "drill=entries&d_branch=NOPE",
        "drill=entries&from=yesterday&to=today",
    ],
)
def test_a_hostile_drill_address_is_a_400(client, club_db, query):
    add_every_role(club_db)
    english(client, "owner")
    page = client.get(f"/admin/reports/overview/drill?{query}")
    assert page.status_code == 400, (query, page.status_code)
    assert 'data-testid="error"' in page.text


def test_a_hostile_drill_address_is_told_in_persian(client, club_db):
    add_every_role(club_db)
    sign_in(client, "owner")
    page = client.get("/admin/reports/overview/drill?drill=entries&d_member=nobody")
    assert page.status_code == 400
    assert "نشانی این جزئیات خوانا نیست (بخش d_member)" in page.text


def test_a_branch_manager_of_two_branches_may_choose_either(client, club_db, office):
    add_user(club_db, "both", "branch-manager", [BRANCH_1, BRANCH_2])
    english(client, "both")
    assert values(client.get("/admin/reports/overview?branch=ISF").text)["members_total"] == "1"
    assert client.get("/admin/reports/overview?branch=").status_code == 200  # their first branch


def test_every_kind_is_shown_in_the_page_language():
    assert shown.text(1234567, Kind.COUNT, "fa") == "۱٬۲۳۴٬۵۶۷"
    assert shown.text(1234567, Kind.COUNT, "en") == "1,234,567"
    assert shown.text(15_000_005, Kind.RIALS, "en") == "1,500,000.5"  # Toman, the rial remainder kept
    assert shown.text(Fraction(1, 3), Kind.RATE, "en") == "33.3%"
    assert shown.text(Fraction(1, 20), Kind.RATE, "fa") == "۵٫۰٪"
    assert shown.text(Fraction(7, 4), Kind.RATIO, "en") == "1.75"
    assert shown.text(-2.25, Kind.Z, "en") == "-2.2"  # rounded half to even
    assert shown.text(date(2026, 3, 21), Kind.DAY, "fa") == "۱۴۰۵/۰۱/۰۱"
    # a month is the club's Jalali month (its first day stands for it): 2026-03-21 is 1 Farvardin 1405
    assert shown.text(date(2026, 3, 21), Kind.MONTH, "en") == "Farvardin 1405"
    assert shown.text(date(2026, 11, 22), Kind.MONTH, "fa") == "آذر ۱۴۰۵"
    assert shown.text(None, Kind.COUNT, "en") == "—"
    assert (
        shown.number(15_000_000, Kind.RIALS) == 1_500_000.0
        and shown.number(Fraction(1, 4), Kind.RATE) == 25.0
    )


def _any_report(filters: Filters) -> Result:
    columns = (
        Column("cohort", "گروه", "Cohort", Kind.MONTH),
        Column("m1", "ماه ۱", "Month 1", Kind.RATE, "kept"),
        Column("m2", "ماه ۲", "Month 2", Kind.RATE, "kept"),
    )
    cohorts = [(date(2025, 1, 1), Fraction(1), Fraction(1, 2)), (date(2025, 2, 1), Fraction(1, 10), None)]
    shade = Chart("heatmap", "cohort", ("m1", "m2"))
    heat = Table(
        "retention", "ماندگاری", "Retention", columns, cohorts, shade, note_en="Cohorts by join month."
    )
    bars = Table(
        "by_branch", "شعبه‌ها", "Branches",
        (Column("branch", "شعبه", "Branch", Kind.TEXT), Column("sales", "فروش", "Sales", Kind.RIALS),
         Column("count", "تعداد", "Count", Kind.COUNT)),
        [("THR", Cell(10_000_000, Drill("entries", kinds=("earn",), branch="THR")), 3), ("<b>ISF</b>", 0, 0)],
        chart=Chart("stacked", "branch", ("sales", "count")),
    )  # fmt: skip
    return Result([heat, bars], None, {"kept": ("Kept a member.", "عضو را نگه داشت.")})


def test_any_report_is_shown_generically(client, club_db, monkeypatch):
    report = Report("anything", "هرچه", "Anything", lambda _call, f: _any_report(f), {}, Permission.READ,
                    filters=("period", "campaign"))  # fmt: skip
    monkeypatch.setattr(insights, "REPORTS", [report])
    add_every_role(club_db)
    english(client, "owner")
    page = client.get("/admin/reports/anything")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'name="campaign"' in html and 'name="branch"' not in html and 'name="tier"' not in html
    # the heat map: a shaded table, no canvas of its own; the bars: a canvas with their data
    assert 'class="num heat-9"' in html and 'class="num heat-5"' in html and 'class="num heat-1"' in html
    assert html.count("<canvas") == 1 and "&#34;stacked&#34;" in html and "&#34;money&#34;" in html
    assert "Kept a member." in html and "Cohorts by join month." in html
    assert "&lt;b&gt;ISF&lt;/b&gt;" in html  # text is text
    link = re.search(r'<a href="(/admin/reports/anything/drill\?[^"]+)">1,000,000</a>', html).group(1)  # type: ignore[union-attr]
    assert parse_qs(urlsplit(unescape(link)).query)["d_branch"] == ["THR"]
    refused = client.get("/admin/reports/anything?campaign=nope")
    assert refused.status_code == 422 and "No campaign nope in the current rules." in refused.text


def test_a_slow_report_is_run_in_the_background_not_in_the_request(client, club_db, monkeypatch):
    def never(_call: Call, _filters: Filters) -> Result:
        raise AssertionError("a slow report is not built in the request")

    monkeypatch.setattr(
        insights, "REPORTS", [Report("slow", "کند", "Slow", never, {}, Permission.READ, slow=True)]
    )
    add_every_role(club_db)
    csrf = sign_in(client, "owner")
    page = client.get("/admin/reports/slow?from=1404/03/01&to=1404/03/10")
    assert page.status_code == 200
    form = re.search(
        r'<form method="post" action="([^"]+)"[^>]*data-testid="report-run">(.*?)</form>', page.text, re.S
    )
    assert (
        form is not None
        and unescape(form.group(1)) == "/admin/reports/slow/run?from=2025-05-22&to=2025-05-31"
    )
    assert f'name="csrf_token" value="{csrf}"' in form.group(2) and "اجرای این گزارش" in form.group(2)
    assert 'data-testid="report-exports"' not in page.text


def test_the_drill_down_pages_fifty_at_a_time(client, club_db):
    add_every_role(club_db)
    thr = enroll(club_db, "THR")
    many = [member(joined_at_us=T0 - DAY_US) for _ in range(55)]
    push(client, thr, [], [member_item(m) for m in many])
    english(client, "owner")
    first = client.get("/admin/reports/overview/drill?drill=members&d_named=joined")
    assert first.status_code == 200
    shown = listed_members(first.text)
    assert len(shown) == 50 and shown == set(sorted(m.id for m in many)[:50])
    more = unescape(
        re.search(r'<a class="btn btn-sm btn-outline-secondary" href="([^"]+)"', first.text).group(1)
    )  # type: ignore[union-attr]
    assert parse_qs(urlsplit(more).query)["after"] == [sorted(m.id for m in many)[49]]
    rest = client.get(more, headers={"HX-Request": "true"})  # htmx appends the next rows
    assert rest.status_code == 200 and "<html" not in rest.text
    assert listed_members(rest.text) == {m.id for m in sorted(many, key=lambda m: m.id)[50:]}
    assert "btn-outline-secondary" not in rest.text  # the last page


def test_the_page_says_plainly_when_its_numbers_are_behind(client, office, club_db):
    english(client, "owner")
    late = enroll(club_db, "THR")
    push(
        client, late, late.sale(office.d.id, 700_000, created_at_us=T0 - 4 * DAY_US)
    )  # pushed after counting
    page = client.get("/admin/reports/overview")
    as_of = re.search(r'data-testid="as-of">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]
    assert "entries not counted yet: 1. These numbers are behind." in as_of
    assert values(page.text)["members_active"] == "2"  # D's late sale is not in them yet
    aggregates.catch_up(club_db, T0)
    page = client.get("/admin/reports/overview")
    assert "every entry is counted" in page.text and values(page.text)["members_active"] == "3"
