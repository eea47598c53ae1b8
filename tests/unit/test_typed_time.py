# SPDX-License-Identifier: GPL-3.0-or-later
"""app.typed_time: a date and time as typed, Jalali or Gregorian, in either digits, is one moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import jdatetime
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.digits import to_persian_digits
from app.typed_time import typed_moment_us


def _us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@settings(max_examples=100)
@given(
    st.dates(min_value=date(1971, 1, 1), max_value=date(2200, 12, 31)),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(["+03:30", "Z", "-05:00", "+0430"]),
)
def test_jalali_and_gregorian_name_the_same_moment(day: date, hour: int, minute: int, offset: str) -> None:
    jalali = jdatetime.date.fromgregorian(date=day)
    clock = f"T{hour:02d}:{minute:02d}{offset}"
    gregorian = typed_moment_us(f"{day.isoformat()}{clock}")
    assert gregorian is not None
    assert typed_moment_us(f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d}{clock}") == gregorian
    persian = to_persian_digits(f"{jalali.year}-{jalali.month}-{jalali.day}") + clock
    assert typed_moment_us(persian) == gregorian
    sign = -1 if offset.startswith("-") else 1
    shift = 0 if offset == "Z" else int(offset[1:3]) * 60 + int(offset[-2:])
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    assert gregorian == _us(wall - sign * timedelta(minutes=shift))


def test_what_is_not_a_time() -> None:
    for text in ("", "tomorrow", "1405/13/01", "1405/12/31", "2026-02-30T10:00", "2026-12-21T24:00",
                 "2026-12-21T18:00+25:00", "1969-12-31T23:59Z", "2026-12-21 18:00 extra"):  # fmt: skip
        assert typed_moment_us(text) is None, text
    assert typed_moment_us("1405/09/30") == typed_moment_us("2026-12-21T00:00")  # a date alone: midnight
