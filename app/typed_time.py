# SPDX-License-Identifier: GPL-3.0-or-later
"""A date and time as a manager types it on a command line, for the terminal's and the server's commands.

The date is Jalali (1405/09/30) or Gregorian (2026-12-21) by its year, as app.format.parse_day reads it,
in Persian or Latin digits; then `T` or a space and HH:MM[:SS] (none: midnight); then optionally an
offset (+03:30, Z). Without an offset the time is this computer's local time, as the manager means it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

from app.domain.digits import to_latin_digits

_TYPED = re.compile(
    r"(?P<day>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})"
    r"(?:[T ](?P<clock>\d{1,2}:\d{2}(?::\d{2})?))?"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def typed_moment_us(text: str) -> int | None:
    """UTC microseconds of a typed date and time; None when the text is not one (or not a real day)."""
    from app.format import parse_day  # jdatetime only when a time is typed

    found = _TYPED.fullmatch(to_latin_digits(text or "").strip())
    if found is None:
        return None
    day = parse_day(found["day"])
    clock = _clock(found["clock"])
    if day is None or clock is None:
        return None
    return _to_us(day, clock, found["offset"])


def _clock(text: str | None) -> time | None:
    if text is None:
        return time(0, 0)
    try:
        return time.fromisoformat(text.zfill(5) if len(text) < 5 else text)
    except ValueError:
        return None


def _to_us(day: date, clock: time, offset: str | None) -> int | None:
    moment = datetime.combine(day, clock)
    try:
        if offset is None:
            aware = moment.astimezone()  # a naive time is this computer's local time
        elif offset == "Z":
            aware = moment.replace(tzinfo=UTC)
        else:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            if shift >= timedelta(hours=24):
                return None
            aware = moment.replace(tzinfo=timezone(sign * shift))
        us = (aware.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
    except (ValueError, OverflowError, OSError):  # at the calendar's edge (year 1, 9999)
        return None
    return us if us >= 0 else None  # before 1970: a typo, and the wire refuses it
