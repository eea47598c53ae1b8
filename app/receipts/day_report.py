# SPDX-License-Identifier: GPL-3.0-or-later
"""What the branch's day report says, in Persian or English: a section for the branch and one per staff
member, each a list of label/value lines. Qt-free, like the sale receipt: the screen, the command line,
the ESC/POS printer and the PDF show the same content.
"""

from __future__ import annotations

from dataclasses import dataclass

import jdatetime

from app.domain.day_report import DayFigures
from app.domain.digits import to_persian_digits
from app.receipts.content import ReceiptLine, moment, number, points, toman
from app.services.day_report import BranchDay

# field of DayFigures: (English, Persian, how it is shown: count, rials or points)
FIGURES: dict[str, tuple[str, str, str]] = {
    "purchases": ("Purchases", "تعداد خرید", "count"),
    "net_sales_rials": ("Net sales", "فروش خالص", "rials"),
    "points_earned": ("Points earned", "امتیاز داده‌شده", "points"),
    "points_spent": ("Points spent", "امتیاز خرج‌شده", "points"),
    "cashback_credited_rials": ("Cashback credited", "بازگشت وجه واریزی", "rials"),
    "cashback_spent_rials": ("Cashback spent", "بازگشت وجه خرج‌شده", "rials"),
    "returns": ("Returns", "تعداد مرجوعی", "count"),
    "returned_rials": ("Returned amount", "مبلغ مرجوعی", "rials"),
    "reversals": ("Reversals", "ابطال‌ها", "count"),
    "overrides": ("Overrides", "مجوزهای مدیر", "count"),
    "adjustments": ("Adjustments", "اصلاح امتیاز", "count"),
    "adjusted_points": ("Points adjusted", "امتیاز اصلاح‌شده", "signed_points"),
    "check_ins": ("Check-ins", "ورود به رویداد", "count"),
    "guests": ("Guests", "مهمانان", "count"),
}

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Day report", "گزارش روزانه"),
    "branch_total": ("Branch total", "جمع شعبه"),
    "unsigned": ("No staff member", "بدون کارمند"),
    "made_at": ("Printed {moment}", "تهیه‌شده در {moment}"),
}


def _text(key: str, lang: str, **params: object) -> str:
    english, persian = TEXTS[key]
    return (persian if lang == "fa" else english).format(**params)


@dataclass(frozen=True, slots=True)
class ReportSection:
    title: str
    lines: tuple[ReceiptLine, ...]


@dataclass(frozen=True, slots=True)
class DayReportContent:
    lang: str
    club_name: str
    branch_name: str
    title: str  # "Day report 2025-12-06" / "گزارش روزانه ۱۴۰۴/۰۹/۱۵"
    sections: tuple[ReportSection, ...]  # the branch first, then each staff member by name
    footer: str

    @property
    def right_to_left(self) -> bool:
        return self.lang == "fa"

    def text_lines(self, columns: int = 40) -> list[str]:
        from app.receipts.content import pair_line

        out = [self.club_name, self.branch_name, self.title, "-" * columns]
        for section in self.sections:
            out.append(section.title)
            out += [pair_line(line.label, line.value, columns) for line in section.lines]
            out.append("-" * columns)
        out.append(self.footer)
        return [line for line in out if line]


def day_text(day: BranchDay, lang: str) -> str:
    """The report's date: Jalali with Persian digits in Persian, ISO in English."""
    if lang == "fa":
        jalali = jdatetime.date.fromgregorian(date=day.day)
        return to_persian_digits(f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d}")
    return day.day.isoformat()


def figure_value(name: str, value: int, lang: str) -> str:
    shown = FIGURES[name][2]
    if shown == "rials":
        return toman(value, lang)
    if shown == "points":
        return points(value, lang)
    if shown == "signed_points":
        return ("+" if value > 0 else "-" if value < 0 else "") + points(abs(value), lang)
    return number(value, lang)


def figure_lines(figures: DayFigures, lang: str) -> tuple[ReceiptLine, ...]:
    values = figures.as_dict()
    return tuple(
        ReceiptLine(persian if lang == "fa" else english, figure_value(name, values[name], lang), bold=bold)
        for name, (english, persian, _shown) in FIGURES.items()
        for bold in [name == "net_sales_rials"]
    )


def build_day_report(day: BranchDay, lang: str) -> DayReportContent:
    staff = sorted(
        day.report.by_staff.items(), key=lambda item: (item[0] is None, day.staff_name(item[0]) or "")
    )
    sections = [ReportSection(_text("branch_total", lang), figure_lines(day.report.branch, lang))]
    sections += [
        ReportSection(day.staff_name(staff_id) or _text("unsigned", lang), figure_lines(figures, lang))
        for staff_id, figures in staff
    ]
    return DayReportContent(
        lang=lang,
        club_name=day.club_name_fa if lang == "fa" else day.club_name_en,
        branch_name=day.branch.name_fa if lang == "fa" else day.branch.name_en,
        title=f"{_text('title', lang)} {day_text(day, lang)}",
        sections=tuple(sections),
        footer=_text("made_at", lang, moment=moment(day.made_at_us, lang)),
    )
