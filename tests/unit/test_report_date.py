# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah report day --date`: Gregorian or Jalali by the year, either separator, either digits."""

from datetime import date

import pytest

from app.cli.report_commands import parse_day
from app.domain.errors import ClubError


@pytest.mark.parametrize(
    "text",
    ["2025-12-06", "2025/12/6", "۲۰۲۵-۱۲-۰۶", "1404/09/15", "۱۴۰۴/۰۹/۱۵", "1404-9-15", " 1404/09/15 "],
)
def test_the_same_day_however_it_is_typed(text):
    assert parse_day(text) == date(2025, 12, 6)


def test_no_date_is_today():
    assert parse_day(None) is None


@pytest.mark.parametrize("text", ["2025-02-30", "1404/12/31", "1404/13/01", "yesterday", "06-12-2025", ""])
def test_what_is_not_a_date_is_refused(text):
    with pytest.raises(ClubError, match="invalid_report_date"):
        parse_day(text)
