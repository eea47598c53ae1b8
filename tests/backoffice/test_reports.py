# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports section in a real Chromium, under the site's own content security policy: from the menu to
the overview, a period and a branch chosen in the filter bar, a number followed to the members behind it and
on to a member's file; the chart is drawn by the vendored Chart.js without a console error."""

from __future__ import annotations

import re
from datetime import timedelta

import jdatetime
from playwright.sync_api import Page, expect

from sync.server import rules as rule_sets
from sync.server.clock import SystemClock
from sync.server.reports import aggregates
from tests.backoffice.club import DemoOffice, log_in
from tests.support.browser import PageErrors


def _count(office: DemoOffice) -> None:
    """The aggregates counted up to now (the server counts them in its own time; here, before looking)."""
    aggregates.catch_up(office.db, SystemClock().now_us())


def test_from_the_menu_to_the_members_behind_a_number(
    page: Page, office: DemoOffice, page_errors: PageErrors
):
    _count(office)
    log_in(page, office)
    page.get_by_role("link", name="گزارش‌ها").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("گزارش‌ها")
    page.get_by_role("link", name="نمای کلی").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("نمای کلی")
    expect(page.get_by_test_id("as-of")).to_contain_text("همهٔ ردیف‌ها شمرده شده‌اند")
    # the chart is drawn (Chart.js sized its canvas) under the site's CSP
    expect(page.locator("canvas[data-chart]")).to_have_count(1)
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))"
    )

    # a year up to today, typed in Jalali, at the first branch
    with office.db.read() as conn:
        today = rule_sets.current(conn).local_date(SystemClock().now_us())
    start = jdatetime.date.fromgregorian(date=today - timedelta(days=365))
    page.get_by_label("از", exact=True).fill(f"{start.year}/{start.month:02d}/{start.day:02d}")
    branch = page.get_by_label("شعبه", exact=True)
    first_branch = branch.locator("option").nth(1)
    code = first_branch.get_attribute("value")
    branch.select_option(code)
    page.get_by_role("button", name="نمایش").click()
    expect(page).to_have_url(re.compile(rf"branch={code}"))
    expect(page.get_by_test_id("period")).to_contain_text(
        "از " + "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] if c.isdigit() else c for c in
                        f"{start.year}/{start.month:02d}/{start.day:02d}")
    )  # fmt: skip
    expect(branch).to_have_value(code or "")

    # the members who joined by the period's end, at that branch: a link to each one's file
    total = page.get_by_test_id("value-members_total").get_by_role("link")
    shown = total.inner_text()
    total.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("اعضایی که تا آخرین روز بازه عضو شده‌اند")
    rows = page.locator("[data-testid=drill-members] tbody tr")
    persian = "".join(str("۰۱۲۳۴۵۶۷۸۹".index(c)) if c in "۰۱۲۳۴۵۶۷۸۹" else "" for c in shown)
    expect(rows).to_have_count(min(int(persian), 50) + (1 if int(persian) > 50 else 0))
    first = rows.first.get_by_role("link")
    name = first.inner_text()
    first.click()
    expect(page.get_by_test_id("member-name")).to_have_text(name)
    assert [m for m in page_errors.messages if "net::ERR_ABORTED" not in m] == []


def test_a_refused_period_is_told_in_the_page(page: Page, office: DemoOffice, page_errors: PageErrors):
    log_in(page, office)
    page.goto("/admin/reports/overview")
    page.get_by_label("از", exact=True).fill("1404/13/01")
    page.get_by_role("button", name="نمایش").click()
    expect(page.get_by_test_id("error")).to_contain_text("«1404/13/01» تاریخ معتبری نیست")
    expect(page.get_by_label("از", exact=True)).to_have_value("1404/13/01")  # kept, to be corrected
    page_errors.http.clear()  # the 422 is the point
    page_errors.console.clear()
    assert [m for m in page_errors.messages if "net::ERR_ABORTED" not in m] == []
