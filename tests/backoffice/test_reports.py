# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports section in a real Chromium, under the site's own content security policy: from the menu to
the overview, a period and a branch chosen in the filter bar, a number followed to the members behind it and
on to a member's file; the chart is drawn by the vendored Chart.js without a console error."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import jdatetime
import openpyxl
from playwright.sync_api import Page, expect

from sync.server import rules as rule_sets
from sync.server.clock import SystemClock
from sync.server.reports import aggregates, export, jobs, overview
from sync.server.reports.table import Kind
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


_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٫", "0123456789.")


def _number(text: str) -> Fraction:
    """A number as the page shows it ("۱۲٬۳۴۵٫۵", "33.3%") read back."""
    plain = (
        text.translate(_DIGITS).replace("٬", "").replace(",", "").replace("٪", "").replace("%", "").strip()
    )
    return Fraction(plain)


def _year_to_today(office: DemoOffice) -> tuple[date, date]:
    with office.db.read() as conn:
        today = rule_sets.current(conn).local_date(SystemClock().now_us())
    return today - timedelta(days=365), today


def test_a_slow_report_runs_from_its_page_and_its_numbers_drill_down(
    page: Page, office: DemoOffice, page_errors: PageErrors
):
    _count(office)
    log_in(page, office)
    first, last = _year_to_today(office)
    page.goto(f"/admin/reports/lapsed?from={first.isoformat()}&to={last.isoformat()}")
    page.get_by_test_id("report-run").get_by_role("button").click()
    status = page.get_by_test_id("job-status")
    expect(status).to_have_attribute("data-status", "queued")
    assert jobs.run_pending(office.db, SystemClock().now_us()) >= 1  # the worker, in the test's thread
    expect(status).to_have_attribute("data-status", "done")  # htmx polls every 2 s
    page.locator("a[href*='job=']").click()
    expect(page.get_by_test_id("built-at")).to_be_visible()
    expect(page.get_by_test_id("as-of")).to_be_visible()
    expect(page.get_by_test_id("export-csv")).to_have_attribute(
        "href", re.compile(r"/reports/jobs/.+/export\.csv$")
    )
    # a band's number leads to exactly its members
    bands = page.get_by_test_id("table-recency").locator("tbody a")
    expect(bands.first).to_be_visible()
    number = bands.first
    shown = int(_number(number.inner_text()))
    number.click()
    rows = page.locator("[data-testid=drill-members] tbody tr")
    expect(rows).to_have_count(min(shown, 50) + (1 if shown > 50 else 0))
    # and back on the report's page without the job: the latest done one is shown, with its age
    page.goto(f"/admin/reports/lapsed?from={first.isoformat()}&to={last.isoformat()}")
    expect(page.get_by_test_id("built-at")).to_be_visible()
    assert [m for m in page_errors.messages if "net::ERR_ABORTED" not in m] == []


def _download(page: Page, ext: str) -> Path:
    with page.expect_download() as download:
        page.get_by_test_id(f"export-{ext}").click()
    return Path(download.value.path())


def test_the_overview_exported_from_its_page_says_what_the_page_says(
    page: Page, office: DemoOffice, page_errors: PageErrors, tmp_path: Path
):
    _count(office)
    log_in(page, office)
    first, last = _year_to_today(office)
    address = f"/admin/reports/overview?from={first.isoformat()}&to={last.isoformat()}"
    for lang in ("fa", "en"):
        if lang == "en":
            page.get_by_role("button", name="English").click()
        page.goto(address)
        shown = {key: page.get_by_test_id(f"value-{key}").inner_text() for key in overview.TITLES}
        counts = {k: int(_number(shown[k])) for k, (_fa, _en, kind) in overview.TITLES.items()
                  if kind is Kind.COUNT}  # fmt: skip
        toman = {
            k: _number(shown[k]) for k, (_fa, _en, kind) in overview.TITLES.items() if kind is Kind.RIALS
        }
        assert counts["members_total"] > 0 and counts["points_issued"] > 0  # a period with numbers

        book = openpyxl.load_workbook(io.BytesIO(_download(page, "xlsx").read_bytes()))
        sheet = book["خلاصه" if lang == "fa" else "Summary"]
        assert bool(sheet.sheet_view.rightToLeft) is (lang == "fa")  # right to left in Persian
        cells = [c.value for c in sheet[export.HEADER_ROW + 1]]
        written = dict(zip(overview.TITLES, cells, strict=False))
        assert {k: written[k] for k in counts} == counts
        assert {k: Fraction(written[k], 10) for k in toman} == toman  # rials in the file, Toman shown

        if lang == "fa":
            rows = list(csv.reader(io.StringIO(_download(page, "csv").read_text(encoding="utf-8-sig"))))
            title = rows.index(["خلاصه"])
            values = dict(zip(overview.TITLES, rows[title + 2], strict=False))
            assert {k: int(values[k]) for k in counts} == counts
            assert {k: Fraction(int(values[k]), 10) for k in toman} == toman
            pdf = tmp_path / "overview.pdf"
            pdf.write_bytes(_download(page, "pdf").read_bytes())
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout  # fmt: skip
            text = re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
            for key in (*counts, *toman):
                assert shown[key] in text, (key, shown[key])
    assert [m for m in page_errors.messages if "net::ERR_ABORTED" not in m] == []
