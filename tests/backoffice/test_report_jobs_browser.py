# SPDX-License-Identifier: GPL-3.0-or-later
"""A slow report in a real Chromium: its export asks to run it, the job's page follows the worker by htmx
polling (under the back office's CSP) until it is done, and the files it links to download and read back."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sync.server.clock import SystemClock
from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.models import BRANCH
from sync.server.reports import catalogue, jobs
from sync.server.reports.table import Column, Filters, Kind, Report, Result, Table
from tests.backoffice.club import DemoOffice, log_in
from tests.support.browser import PageErrors

DEFINITIONS = {"codes": ("The branches' codes.", "کدهای شعبه‌ها.")}


def _branches(call: Call, filters: Filters, progress: Callable[[int], None] | None = None) -> Result:
    codes = read(call, "report.test", None, lambda conn: list(conn.execute(select(BRANCH.c.code)).scalars()))
    if progress:
        progress(50)
    columns = (Column("code", "کد شعبه", "Branch code", Kind.TEXT, "codes"), Column("n", "شماره", "No."))
    table = Table(
        "codes", "کدهای شعبه‌ها", "Branch codes", columns, [(c, i) for i, c in enumerate(sorted(codes))]
    )
    return Result([table], None, DEFINITIONS)


SLOW = Report("test_slow", "گزارش آهسته", "A slow report", _branches, DEFINITIONS, Permission.READ, slow=True)


@pytest.fixture(scope="module", autouse=True)
def test_report() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalogue, "reports", lambda: [SLOW])
        yield


def test_a_slow_report_runs_in_the_background_and_its_files_download(
    page: Page, office: DemoOffice, page_errors: PageErrors, tmp_path: Path
):
    log_in(page, office)
    answer = page.goto("/admin/reports/test_slow/export.xlsx?from=1404/09/01&to=1404/09/15")
    assert answer is not None and answer.status == 409
    expect(page.get_by_test_id("not-ready")).to_be_visible()
    page.get_by_test_id("run").click()
    expect(page.get_by_test_id("job-status")).to_have_attribute("data-status", "queued")
    expect(page.get_by_text("در صف انتظار.")).to_be_visible()

    assert jobs.run_pending(office.db, SystemClock().now_us()) == 1  # the worker, here in the test's thread
    status = page.get_by_test_id("job-status")
    expect(status).to_have_attribute("data-status", "done")  # htmx polls every 2 s
    expect(page.get_by_text("گزارش آماده است.")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["گزارش آهسته"] and rows[1] == ["بازه", "2025-11-22", "2025-12-06"]
    with office.db.read() as conn:
        codes = sorted(conn.execute(select(BRANCH.c.code)).scalars())
    header = rows.index(["کد شعبه", "شماره"])
    assert rows[header + 1 : header + 1 + len(codes)] == [[c, str(i)] for i, c in enumerate(codes)]
    # the title in Persian (RFC 5987 filename*), which Chromium prefers to the ASCII name
    assert download.value.suggested_filename == "گزارش آهسته 2025-11-22 2025-12-06.csv"

    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames == ["کدهای شعبه‌ها", "تعریف‌ها"] and book.worksheets[0].sheet_view.rightToLeft
    unexpected = [m for m in page_errors.messages if "409" not in m]  # the export asked first: expected
    assert unexpected == []
