# SPDX-License-Identifier: GPL-3.0-or-later
"""Every number any report shows drills down to exactly what it counts, on both backends.

One small club (a campaign with a holdout, points that expire, a churned member, a return, an event)
is built, every report in the catalogue is built for it, and every Cell with a Drill is opened through
the back office's drill-down page: it answers 200, and where the number counts members or entries it
lists exactly that many. The walk runs twice: as the reports are (short sets listed outright), and with
their lists turned off so that every set goes by its name (`members_of` of each report module), which is
what a large club gets. Then worked tests for each named set."""

from __future__ import annotations

import re
from datetime import date, timedelta
from fractions import Fraction
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.ledger import EntryKind
from app.domain.pricing import SaleContext, price_sale
from app.domain.programme import Campaign, RuleSet, TierRule, in_holdout
from app.domain.returns import RETURN_REASON
from sync.protocol import WireEvent
from sync.server import events as store
from sync.server.backoffice.pages.members import render_day
from sync.server.backoffice.pages.reports import drill_href
from sync.server.club import programme
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.reports import campaigns, catalogue, drill, filtering, insights_club, insights_members, jobs
from sync.server.reports.aggregates import catch_up, month_first, month_of
from sync.server.reports.table import Cell, Drill, Filters, Kind, Result
from sync.server.sequence import Publisher
from tests.server.club import BRANCH_2, T0, Terminal, enroll, member, member_item, push
from tests.server.office import add_every_role, sign_in

DAY_US = 86_400_000_000
TIERS = (TierRule("bronze", "برنزی", "Bronze", 0), TierRule("silver", "نقره‌ای", "Silver", 1, 500, 125))
LOCAL = RuleSet(version=0, tiers=TIERS)  # the club's calendar (Tehran)
TODAY = LOCAL.local_date(T0)  # 2025-06-15
STARTS, ENDS = TODAY - timedelta(days=5), TODAY - timedelta(days=3)
DOUBLE = Campaign(
    "double", "امتیاز دوبرابر", "Double points", STARTS, ENDS, branches=("THR",), multiplier_percent=200,
    bonus_points=5, holdout_percent=50,
)  # fmt: skip
FILTERS = Filters(TODAY - timedelta(days=30), TODAY)  # touches Ordibehesht and Khordad
BUILT_IN = ("joined", "active", "repeat", "engaged")
EVERY_NAME = {
    *BUILT_IN, "purchases", "cohort", "cohort_active", "recency", "churned", "expiring", "admitted",
    "campaign_treated", "campaign_holdout", "campaign_treated_bought", "campaign_holdout_bought",
}  # fmt: skip


def at(day: date, hour: int = 12) -> int:
    return LOCAL.day_start_us(day) + hour * 3_600_000_000


class Club:
    """Three treated and three held-out members of the campaign (joined 30 days ago, at THR); one at
    ISF; `old` (joined 100 days ago) bought 40 days ago and not since (churned); a full return; an event
    two members came to. Points expire 90 days after they were earned."""

    def __init__(self, client: TestClient, db: Database, terminal: Terminal) -> None:
        self.rules = programme.publish(
            Call(db, T0 - 200 * DAY_US, CONSOLE),
            RuleSet(version=0, tiers=TIERS, campaigns=(DOUBLE,), expiry_days=90),
        )
        self.treated, self.held = [], []
        while len(self.treated) < 3 or len(self.held) < 3:
            m = member(joined_at_us=T0 - 30 * DAY_US)
            side = self.held if in_holdout("double", m.id, 50) else self.treated
            if len(side) < 3:
                side.append(m)
        self.elsewhere = member(BRANCH_2, joined_at_us=T0 - 30 * DAY_US)
        self.old = member(joined_at_us=T0 - 100 * DAY_US)
        push(client, terminal, [], [member_item(m) for m in (*self.treated, *self.held, self.old)])
        push(client, enroll(db, "ISF"), [], [member_item(self.elsewhere)])
        t1, t2, _t3 = self.treated
        h1, h2, _h3 = self.held
        entries = [
            *self._sale(terminal, self.old, 800_000, at(TODAY - timedelta(days=40))),
            *self._sale(terminal, t1, 1_000_000, at(STARTS)),
            *self._sale(terminal, t1, 500_000, at(ENDS, 20)),
            *self._sale(terminal, t2, 2_000_000, at(STARTS + timedelta(days=1))),
            *self._sale(terminal, h1, 1_000_000, at(STARTS)),
            *self._sale(terminal, self.elsewhere, 1_000_000, at(STARTS)),
        ]
        returned = self._sale(terminal, h2, 400_000, at(TODAY - timedelta(days=1)))
        entries += [
            *returned,
            terminal.entry(h2.id, EntryKind.REVERSAL, -returned[0].points_delta, sale_amount=-400_000,
                           reverses=returned[0].id, reason=RETURN_REASON, created_at_us=at(TODAY, 13)),
        ]  # fmt: skip
        for _ in range(8):  # the server sees each sale's companions settled and prices it exactly
            entries += self._sale(terminal, t1, 100_000, at(ENDS + timedelta(days=2)))
        starts = at(TODAY - timedelta(days=2), 18)
        self.gala = WireEvent(id="00000000-0000-7000-8000-0000000e0001", name="Gala", starts_at_us=starts,
                              ends_at_us=starts + 4 * 3_600_000_000, plus_ones=2)  # fmt: skip

        def setup(conn: Any) -> None:
            pub = Publisher(T0)
            store.put_event(conn, pub, self.gala)
            pub.flush(conn)

        db.write(setup)
        entries += [
            terminal.entry(m.id, EntryKind.CHECK_IN, 0, invoice_ref=self.gala.id, created_at_us=starts + i)
            for i, m in enumerate((t1, h1))
        ]
        answer = push(client, terminal, entries)
        assert {r["outcome"] for r in answer["entries"]} == {"accepted"}, answer
        assert catch_up(db, T0) > 0

    def _sale(self, terminal: Terminal, m: Any, amount: int, when: int) -> list[Any]:
        points = price_sale(self.rules, SaleContext("THR", "bronze", amount, 0, when, member_id=m.id)).points
        version = self.rules.version
        return terminal.sale(m.id, amount, points=points, rules_version=version, created_at_us=when)


@pytest.fixture
def club(client: TestClient, club_db: Database, terminal: Terminal) -> Club:
    add_every_role(club_db)
    built = Club(client, club_db, terminal)
    sign_in(client, "owner")
    return built


def listed_members(html: str) -> list[str]:
    body = html.split('data-testid="drill-table"', 1)[-1] if 'data-testid="drill-table"' in html else html
    return re.findall(r'<td><a href="/admin/members/([0-9a-f-]{36})">', body)


def listed_entries(html: str) -> int:
    return html.count('<td class="text-nowrap">')


def _cells(result: Result) -> list[tuple[str, str, Kind, Cell, tuple[Any, ...]]]:
    """Every cell that drills: its table, column key and kind, the cell and its row."""
    found = []
    for table in result.tables:
        for row in table.rows:
            for column, value in zip(table.columns, row, strict=True):
                if isinstance(value, Cell) and value.drill is not None:
                    found.append((table.code, column.key, column.kind, value, row))
    return found


# numbers that drill but are not a count of what the drill lists: points (the members holding them, the
# entries that moved them): the drill lists something exactly when the number is not zero
NOT_A_COUNT = {
    ("points_expiry", "expiring_by_month", "points"),
    ("points", "points_over_time", "redeemed"),
    ("points", "points_over_time", "expired"),
    ("overview", "summary", "points_redeemed"),
    ("overview", "summary", "points_expired"),
}


def _walk(client: TestClient, db: Database, *, named_only: bool) -> set[str]:
    """Opens every drill of every report; returns the names of the sets it met."""
    call = Call(db, T0, CONSOLE)
    names: set[str] = set()
    for report in catalogue.reports():
        result = report.build(call, FILTERS)
        for table, key, kind, cell, row in _cells(result):
            wanted = cell.drill
            assert wanted is not None
            if named_only and wanted.named is None:
                continue
            if wanted.named:
                names.add(wanted.named.partition(":")[0])
            page = client.get(drill_href(report.code, FILTERS, wanted))
            where = (report.code, table, key, wanted)
            assert page.status_code == 200, (*where, page.text[-500:])
            assert 'id="drill-more"' not in page.text, where  # a small club: one page
            shown = listed_members(page.text) if wanted.target == "members" else None
            count = len(shown) if shown is not None else listed_entries(page.text)
            if shown is not None:
                assert len(set(shown)) == len(shown), where
            if (report.code, table, key) in NOT_A_COUNT:
                assert (count > 0) == (cell.value > 0), where
            elif kind is Kind.COUNT and isinstance(cell.value, int):
                assert count == cell.value, where
            elif key.startswith("m") and key[1:].isdigit() and table == "retention":
                size = row[1].value  # the cohort's size: the rate of it that bought
                assert Fraction(count, size or 1) == cell.value, where
    return names


def test_every_number_drills_to_exactly_what_it_counts(client, club_db, club):
    names = _walk(client, club_db, named_only=False)
    assert {"joined", "active", "recency", "cohort_active", "expiring"} <= names


def test_every_named_set_answers_as_the_number_counts(client, club_db, club, monkeypatch):
    # as in a large club: no report lists its members outright, each names its set
    monkeypatch.setattr(campaigns, "MAX_LISTED", 0)
    monkeypatch.setattr(insights_members, "MAX_LISTED", 0)
    monkeypatch.setattr(insights_club, "_listed", lambda _ids: ())
    names = _walk(client, club_db, named_only=True)
    assert names == EVERY_NAME


def _members(db: Database, named: str, filters: Filters = FILTERS, **fields: Any) -> list[str]:
    found, after = [], None
    while True:
        page = drill.members_page(Call(db, T0, CONSOLE), Drill("members", named=named, **fields), filters,
                                  after, limit=2)  # fmt: skip
        found += [line.id for line in page.lines]
        if page.after is None:
            return found
        after = page.after


def test_each_named_set_worked(client, club_db, club):
    t1, t2, t3 = (m.id for m in club.treated)
    h1, h2, h3 = (m.id for m in club.held)
    code = "double"
    campaign = Filters(TODAY, TODAY, campaign=code)
    days = {"first": STARTS, "last": ENDS}
    # the old member is eligible too (THR, joined before), in the group its id draws; it bought before
    old_held = in_holdout(code, club.old.id, 50)
    treated = [t1, t2, t3, *([] if old_held else [club.old.id])]
    held = [h1, h2, h3, *([club.old.id] if old_held else [])]
    assert _members(club_db, f"campaign_treated:{code}", campaign, **days) == sorted(treated)
    assert _members(club_db, f"campaign_holdout:{code}", campaign, **days) == sorted(held)
    assert _members(club_db, f"campaign_treated_bought:{code}", campaign, **days) == sorted([t1, t2])
    assert _members(club_db, f"campaign_holdout_bought:{code}", campaign, **days) == [h1]
    # the old member bought 40 days ago: churned (active in the 31 days before the period, not in it)
    assert _members(club_db, "churned") == [club.old.id]
    assert _members(club_db, "recency:31-60") == [club.old.id]
    # h2's only sale was returned in full: never bought; h3 neither; the Isfahan member did, at THR
    assert _members(club_db, "recency:never") == sorted([h2, h3, t3])
    assert _members(club_db, "recency:0-30") == sorted([t1, t2, h1, club.elsewhere.id])
    assert _members(club_db, "recency:0-30", Filters(FILTERS.first, FILTERS.last, branch="ISF")) == [
        club.elsewhere.id
    ]
    # the cohort that joined 30 days ago (Ordibehesht 1404): who bought in Khordad
    joined = LOCAL.local_date(T0 - 30 * DAY_US)
    khordad = month_of(TODAY)
    cohort = f"cohort_active:{month_first(month_of(joined)).isoformat()}"
    in_khordad = {"first": month_first(khordad), "last": month_first(khordad + 1) - timedelta(days=1)}
    assert _members(club_db, cohort, **in_khordad) == sorted([t1, t2, h1, club.elsewhere.id])
    # points earned in the campaign expire 90 days later: in Shahrivar 1404
    expires = month_first(month_of(STARTS + timedelta(days=90)))
    holders = _members(club_db, f"expiring:{expires.isoformat()}")
    assert holders and set(holders) <= {t1, t2, h1, club.elsewhere.id}
    assert t1 in holders
    # who joined in Ordibehesht: everyone but the old member
    ordibehesht = {"first": month_first(month_of(joined)), "last": month_first(khordad) - timedelta(days=1)}
    assert _members(club_db, "cohort", **ordibehesht) == sorted([t1, t2, t3, h1, h2, h3, club.elsewhere.id])
    assert _members(club_db, "cohort", **in_khordad) == []
    # the purchases behind the overview's numbers: h2's sale, returned in full, is none
    call = Call(club_db, T0, CONSOLE)
    found = drill.entries_page(call, Drill("entries", named="purchases", kinds=("earn",)), FILTERS).lines
    assert h2 not in {line.member_id for line in found} and club.old.id not in {
        line.member_id for line in found
    }
    assert {line.member_id for line in found} == {t1, t2, h1, club.elsewhere.id}
    assert _members(club_db, f"admitted:{club.gala.id}") == sorted([t1, h1])
    assert _members(club_db, f"admitted:{club.gala.id}", Filters(TODAY, TODAY)) == []  # not the period's


@pytest.mark.parametrize(
    "named",
    ["richest", "recency:forever", "campaign_treated:nope", "admitted:nothing", "cohort_active:someday"],
)
def test_a_name_no_report_knows_is_a_400(client, club_db, named):
    add_every_role(club_db)
    sign_in(client, "owner")
    page = client.get(f"/admin/reports/overview/drill?drill=members&d_named={named}")
    assert page.status_code == 400, (named, page.status_code)
    assert 'data-testid="error"' in page.text


# ---- a background job's result on the report's page ------------------------------------------------------


def _links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


def test_a_jobs_result_is_shown_on_the_report_page_and_drills(client, club_db, club):
    csrf = sign_in(client, "owner")
    query = filtering.query(FILTERS)
    first = client.get(f"/admin/reports/lapsed?{query}")
    assert first.status_code == 200 and 'data-testid="report-run"' in first.text
    assert 'data-testid="built-at"' not in first.text  # nothing built yet: the Run button only
    ran = client.post(f"/admin/reports/lapsed/run?{query}", data={"csrf_token": csrf}, follow_redirects=False)
    assert ran.status_code == 303
    job_id = ran.headers["location"].rsplit("/", 1)[-1]
    # not done yet: the report's page for the job leads to the job's page
    waiting = client.get(f"/admin/reports/lapsed?{query}&job={job_id}", follow_redirects=False)
    assert waiting.status_code == 303 and waiting.headers["location"].endswith(f"/jobs/{job_id}")
    assert jobs.run_pending(club_db, T0) == 1
    status = client.get(f"/admin/reports/jobs/{job_id}").text
    view = next(h for h in _links(status) if f"job={job_id}" in h)
    page = client.get(view)
    assert page.status_code == 200, page.text
    assert 'data-testid="built-at"' in page.text and 'data-testid="as-of"' in page.text
    expected = catalogue.by_code("lapsed").build(Call(club_db, T0, CONSOLE), FILTERS)  # type: ignore[union-attr]
    for ext in ("csv", "xlsx", "pdf"):
        assert f'href="/admin/reports/jobs/{job_id}/export.{ext}"' in page.text
    assert client.get(f"/admin/reports/jobs/{job_id}/export.csv").status_code == 200
    # its numbers drill: churned is the old member
    churned = next(h for h in _links(page.text) if "d_named=churned" in h)
    assert listed_members(client.get(churned).text) == [club.old.id]
    never = next(h for h in _links(page.text) if "d_named=recency%3Anever" in h)
    counts = {r[0].value: r[3].value for r in expected.tables[0].rows}
    assert len(listed_members(client.get(never).text)) == counts["never"] == 3
    # the job's page under other filters in the address: its own numbers, and its own filters in the bar
    elsewhere = client.get(f"/admin/reports/lapsed?{filtering.query(Filters(TODAY, TODAY))}&job={job_id}")
    assert 'data-testid="built-at"' in elsewhere.text
    for day in (FILTERS.first, FILTERS.last):
        assert f'value="{render_day(day, "fa")}"' in elsewhere.text
    # the same filters without the job: the latest done one, with its age
    again = client.get(f"/admin/reports/lapsed?{query}")
    assert 'data-testid="built-at"' in again.text and f"/admin/reports/jobs/{job_id}/export.csv" in again.text
    assert 'data-testid="report-run"' in again.text  # and it may be built again
    # other filters: nothing built for them
    other = client.get(f"/admin/reports/lapsed?{filtering.query(Filters(TODAY, TODAY))}")
    assert 'data-testid="built-at"' not in other.text
    # another's job is no one else's (but an owner's): a 404, as jobs.job says; a job of another report too
    client.cookies.clear()
    sign_in(client, "manager")
    assert client.get(f"/admin/reports/lapsed?{query}&job={job_id}").status_code == 404
    client.cookies.clear()
    sign_in(client, "owner")
    assert client.get(f"/admin/reports/campaigns?{query}&job={job_id}").status_code == 404
    assert client.get(f"/admin/reports/lapsed?{query}&job=nonsense").status_code == 404


def test_the_months_are_shown_by_name_and_a_branch_manager_is_kept_to_their_branch(client, club_db, club):
    english(client)
    page = client.get(f"/admin/reports/retention?{filtering.query(FILTERS)}")
    assert page.status_code == 200
    assert "Ordibehesht 1404" in page.text and "Khordad 1404" in page.text
    client.cookies.clear()
    sign_in(client, "branchmanager")  # runs THR
    isf = Filters(FILTERS.first, FILTERS.last, branch="ISF")
    refused = client.get(drill_href("lapsed", isf, Drill("members", named="recency:0-30")))
    assert refused.status_code == 403 and club.elsewhere.id not in refused.text
    thr = Filters(FILTERS.first, FILTERS.last, branch="THR")
    allowed = client.get(drill_href("lapsed", thr, Drill("members", named="recency:0-30")))
    assert allowed.status_code == 200
    assert set(listed_members(allowed.text)) == {m.id for m in club.treated[:2]} | {club.held[0].id}


def english(client: TestClient) -> None:
    csrf = sign_in(client, "owner")
    answer = client.post("/admin/lang", data={"lang": "en", "next": "/admin/", "csrf_token": csrf})
    assert answer.status_code in (200, 303)
