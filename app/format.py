# SPDX-License-Identifier: GPL-3.0-or-later
"""How amounts, points and dates look on screen, on paper and in the back office: Toman with grouping,
Persian digits, Jalali dates.

Money is stored in rials and shown in Toman (÷10, exact: a rial remainder is shown, never rounded away).
Numbers and card numbers stay left-to-right inside right-to-left text, and names keep their own direction
inside a sentence of the other language (Unicode isolates: LRI … PDI, FSI … PDI). Without them a number
after a Latin name joins the name's left-to-right run and lands on the wrong side of it in Persian, and a
number after a Persian name lands on the wrong side of it in English (the bidi rules W2 and W7).

Lists are separated by commas and clauses by semicolons, in each language's own marks (، ؛ in Persian):
never by a middle dot `·` or a bullet, which in Persian text look exactly like the zero `۰`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

import jdatetime

from app.domain.digits import to_latin_digits, to_persian_digits
from app.domain.money import RIALS_PER_TOMAN

LRI = "\u2066"  # left-to-right isolate: keeps "1,250" whole inside Persian text
RLI = "\u2067"  # right-to-left isolate
FSI = "\u2068"  # first-strong isolate: a name or typed text keeps its own direction
PDI = "\u2069"  # pops the isolate
PERSIAN_GROUP = "٬"
PERSIAN_DECIMAL = "٫"
PERSIAN_PERCENT = "٪"


def number(value: int, lang: str) -> str:
    """A whole number grouped by thousands, in the language's digits."""
    text = f"{value:,}"
    return to_persian_digits(text).replace(",", PERSIAN_GROUP) if lang == "fa" else text


def toman(rials: int, lang: str) -> str:
    """Rials shown as Toman: 15,000,000 rials → "1,500,000"; 15 rials → "1.5"."""
    whole, rest = divmod(abs(rials), RIALS_PER_TOMAN)
    sign = "-" if rials < 0 else ""
    text = sign + number(whole, lang) + (("٫" if lang == "fa" else ".") + number(rest, lang) if rest else "")
    return text


def toman_text(rials: int, lang: str) -> str:
    """With the unit: "1,500,000 Toman" / "۱٬۵۰۰٬۰۰۰ تومان"."""
    return f"{LRI}{toman(rials, lang)}{PDI} " + ("تومان" if lang == "fa" else "Toman")


def points_text(points: int, lang: str) -> str:
    return f"{LRI}{number(points, lang)}{PDI} " + ("امتیاز" if lang == "fa" else "points")


def isolated(text: str) -> str:
    """Card numbers, phones, invoice numbers: left-to-right wherever they stand."""
    return f"{LRI}{text}{PDI}"


def name_isolated(text: str) -> str:
    """A name, a reason or anything a person typed: in its own direction (its first letter decides), kept
    whole, and never pulling the number after it into its run."""
    return f"{FSI}{text}{PDI}"


def percent_text(value: int | str, lang: str) -> str:
    """A percentage: "5%" / "۵٪" (the Persian percent sign, never a Latin % beside Persian digits)."""
    text = str(value)
    if lang == "fa":
        return to_persian_digits(text).replace(".", PERSIAN_DECIMAL) + PERSIAN_PERCENT
    return f"{text}%"


def multiplier_text(percent: int, lang: str) -> str:
    """An earning multiplier as people say it: 125 → "×1.25", 150 → "×1.5", 200 → "×2"; kept whole and
    left-to-right inside Persian text, where the sign would otherwise land after the number."""
    whole, rest = divmod(percent, 100)
    text = str(whole) + (f".{rest:02d}".rstrip("0") if rest else "")
    if lang == "fa":
        text = to_persian_digits(text).replace(".", PERSIAN_DECIMAL)
    return isolated(f"×{text}")


def list_separator(lang: str) -> str:
    """Between the items of a list: "، " / ", "."""
    return "، " if lang == "fa" else ", "


def clause_separator(lang: str) -> str:
    """Between groups that are lists themselves (privileges; free services): "؛ " / "; "."""
    return "؛ " if lang == "fa" else "; "


def listed(items: Iterable[str], lang: str) -> str:
    """Items as a list in the language: "Gift wrap, Free delivery" / "بسته‌بندی هدیه، ارسال رایگان"."""
    return list_separator(lang).join(items)


def card_number_text(number_: str) -> str:
    grouped = " ".join(number_[i : i + 4] for i in range(0, len(number_), 4))
    return isolated(grouped)


def local_datetime(us: int) -> datetime:
    """Stored times are UTC; people read their local time."""
    return datetime.fromtimestamp(us // 1_000_000, tz=UTC).astimezone()


def date_text(day: date, lang: str) -> str:
    """A calendar date: Jalali with Persian digits in Persian, ISO in English."""
    if lang == "fa":
        jalali = jdatetime.date.fromgregorian(date=day)
        return to_persian_digits(f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d}")
    return day.isoformat()


def datetime_text(us: int, lang: str) -> str:
    moment = local_datetime(us)
    clock = moment.strftime("%H:%M")
    return f"{date_text(moment.date(), lang)} {to_persian_digits(clock) if lang == 'fa' else clock}"


def birthday_soon(birth: date | None, today: date, days: int = 7) -> bool:
    """Whether the member's birthday is today or within the next `days` days (29 Feb counts on 28 Feb)."""
    if birth is None:
        return False
    for offset in range(days + 1):
        day = date.fromordinal(today.toordinal() + offset)
        if (birth.month, birth.day) == (day.month, day.day) or (
            (birth.month, birth.day) == (2, 29) and (day.month, day.day) == (2, 28)
        ):
            return True
    return False


JALALI_BEFORE = 1700  # a typed year below this is a Jalali year (1404), above a Gregorian one (2025)
_TYPED_DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")


def parse_day(text: str) -> date | None:
    """A date as a person types it: Jalali (1405/09/30) or Gregorian (2026-12-21), with `/`, `-` or `.`,
    in Persian or Latin digits; None when it is not one."""
    found = _TYPED_DATE.fullmatch(to_latin_digits(text or ""))
    if found is None:
        return None
    year, month, day = (int(g) for g in found.groups())
    try:
        if year < JALALI_BEFORE:
            return jdatetime.date(year, month, day).togregorian()  # type: ignore[no-any-return]
        return date(year, month, day)
    except ValueError:
        return None
