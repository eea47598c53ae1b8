# SPDX-License-Identifier: GPL-3.0-or-later
"""The member export (sync.server.club.privacy) as a readable PDF: Persian first, right to left.

fpdf2 lays the pages out and shapes the text with HarfBuzz (uharfbuzz): Persian letters are joined and runs
are ordered by the Unicode bidi algorithm, in Vazirmatn (embedded, a subset), so the names are real text a
reader can select, search and copy, not pictures of glyphs. Labels are in Persian and English; numbers,
ids and times are written left to right, times in UTC with the Jalali date beside the Gregorian.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import jdatetime
from fpdf import FPDF
from fpdf.enums import TableCellFillMode

from app.domain.digits import to_persian_digits

FONT = "Vazirmatn"
_FONT_FILES = {"": "Vazirmatn-Regular.ttf", "B": "Vazirmatn-Bold.ttf"}
_GREY = (235, 235, 235)


def _fonts_dir() -> Any:
    return importlib.resources.files("app.resources") / "fonts"


def when(us: int | None) -> str:
    """A time as `2025-06-15 14:30 UTC · ۱۴۰۴/۰۳/۲۵`; empty for none."""
    if us is None:
        return ""
    moment = datetime.fromtimestamp(us / 1_000_000, UTC)
    jalali = jdatetime.date.fromgregorian(date=moment.date())
    persian = to_persian_digits(f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d}")
    return f"{moment:%Y-%m-%d %H:%M} UTC · {persian}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "بله · yes" if value else "خیر · no"  # Vazirmatn has no check marks
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


class _Document(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer = footer
        fonts = _fonts_dir()
        for style, name in _FONT_FILES.items():
            with importlib.resources.as_file(fonts / name) as path:
                self.add_font(FONT, style, str(path))
        self.set_text_shaping(use_shaping_engine=True)  # HarfBuzz; direction per paragraph (bidi)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(12, 12, 12)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 7)
        self.cell(0, 5, f"{self._footer} · {self.page_no()}", align="C")

    def heading(self, persian: str, english: str) -> None:
        self.ln(3)
        self.set_font(FONT, "B", 12)
        self.cell(0, 8, f"{persian} · {english}", align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(120, 120, 120)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1)

    def pairs(self, rows: Sequence[tuple[str, str, Any]]) -> None:
        """Label (Persian · English) and value, the label on the right as a Persian reader starts."""
        self.set_font(FONT, "", 9)
        with self.table(
            col_widths=(110, 76),
            text_align=("RIGHT", "RIGHT"),
            first_row_as_headings=False,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for persian, english, value in rows:
                row = table.row()
                row.cell(_text(value))
                row.cell(f"{persian} · {english}")

    def grid(self, headings: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int]) -> None:
        if not rows:
            self.set_font(FONT, "", 9)
            self.cell(0, 6, "— هیچ · none —", align="C", new_x="LMARGIN", new_y="NEXT")
            return
        self.set_font(FONT, "", 7)
        with self.table(
            col_widths=tuple(widths),
            headings_style=_headings_style(),
            cell_fill_color=_GREY,
            cell_fill_mode=TableCellFillMode.ROWS,
            line_height=4,
        ) as table:
            heading = table.row()
            for text in headings:
                heading.cell(text)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_text(value))


def _headings_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, emphasis="BOLD", fill_color=(210, 210, 210))


def render(data: dict[str, Any], *, club_names: tuple[str, str]) -> bytes:
    """The export as PDF bytes."""
    member = data["member"]
    footer = f"{club_names[1]} · member {member['id']} · exported {when(data['exported_at_us'])}"
    pdf = _Document(footer)
    pdf.set_title(f"{club_names[1]}: member {member['id']}")
    pdf.set_creator("bashgah-server")
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 10, club_names[0], align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 13)
    pdf.cell(
        0, 8, "همه اطلاعاتی که باشگاه درباره این عضو نگه می‌دارد", align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, "Everything the club holds about this member", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"{when(data['exported_at_us'])}", align="L", new_x="LMARGIN", new_y="NEXT")

    pdf.heading("مشخصات", "Profile")
    erased = data.get("erased_at_us")
    profile: list[tuple[str, str, Any]] = [
        ("نام", "Name", member["name"]),
        ("تلفن", "Phone", member["phone"]),
        ("تاریخ تولد", "Birth date", member.get("birth_date")),
        ("چهار رقم آخر کد ملی", "National id, last 4", member.get("national_id_last4")),
        ("شناسه", "Member id", member["id"]),
        ("سطح", "Tier", member["tier_code"]),
        ("شعبه عضویت", "Branch of enrolment", member["branch_id"]),
        ("تاریخ عضویت", "Joined", when(member["joined_at_us"])),
        ("معرف", "Referred by", member.get("referrer_id")),
        ("ثبت‌شده توسط پایانه", "Enrolled by terminal", member.get("enrolled_by")),
        ("آخرین تغییر", "Last changed", when(member.get("updated_at_us"))),
    ]
    if erased is not None:
        profile.append(("اطلاعات شخصی پاک شد", "Personal data erased", when(erased)))
    pdf.pairs(profile)

    pdf.heading("رضایت به پیام‌های تبلیغاتی", "Marketing consent")
    consent = data["consent"]
    pdf.pairs(
        [
            ("رضایت", "Consent", bool(consent["marketing"])),
            ("از تاریخ", "Since", when(consent.get("since_us"))),
        ]
    )

    pdf.heading("موجودی", "Balance")
    balance = data.get("balance") or {}
    pdf.pairs(
        [
            ("امتیاز", "Points", balance.get("points", 0)),
            ("کیف پول (ریال)", "Wallet (rials)", balance.get("wallet_rials", 0)),
            ("جمع خرید (ریال)", "Spent (rials)", balance.get("spend_rials", 0)),
            ("تعداد خرید", "Purchases", balance.get("purchase_count", 0)),
            ("آخرین فعالیت", "Last activity", when(balance.get("last_activity_us") or None)),
            ("محدود", "Restricted", bool(balance.get("restricted", False))),
        ]
    )

    pdf.heading("تاریخچه سطح", "Tier history")
    pdf.grid(
        ["Time", "Tier", "Reason", "Entry"],
        [(when(t["at_us"]), t["tier"], t["reason"], t["entry_id"]) for t in data["tier_history"]],
        (46, 30, 30, 80),
    )

    pdf.heading("کارت‌ها", "Cards")
    pdf.grid(
        ["Number", "Kind", "Status", "Issued", "Expires", "Revocations"],
        [
            (
                c["number"], c["kind"], c["status"], when(c["issued_at_us"]), when(c.get("expires_at_us")),
                "; ".join(f"{r['status']}: {r['reason']} ({when(r['at_us'])})" for r in c["revocations"]),
            )
            for c in data["cards"]
        ],
        (30, 12, 16, 38, 38, 52),
    )  # fmt: skip
    pdf.grid(  # where and when a chip card was tapped (kept to tell a clone)
        ["Tapped", "Card", "Branch", "Terminal", "Chip", "Counter"],
        [
            (when(t["used_at_us"]), t["card_number"], t["branch_id"], t["device_id"], t["chip"],
             t.get("read_counter"))
            for t in data.get("card_taps", [])
        ],
        (38, 30, 36, 36, 22, 24),
    )  # fmt: skip

    pdf.heading("تراکنش‌ها", "Ledger entries")
    pdf.grid(
        ["Time", "Kind", "Points", "Wallet", "Sale", "Invoice", "Reason", "Device · seq"],
        [
            (
                when(e["created_at_us"]), e["kind"], e["points_delta"], e["cash_delta"], e["sale_amount"],
                e.get("invoice_ref"), e.get("reason"), f"{e['device_id'][-12:]} · {e['device_seq']}",
            )
            for e in data["ledger"]
        ],
        (36, 20, 14, 16, 22, 26, 28, 24),
    )  # fmt: skip
    if data.get("set_aside_entries"):
        pdf.heading("تراکنش‌های کنارگذاشته", "Entries set aside for review")
        pdf.grid(
            ["Received", "Reason", "Entry"],
            [(when(s["received_at_us"]), s["reason"], s["entry"]) for s in data["set_aside_entries"]],
            (40, 30, 116),
        )

    pdf.heading("دعوت‌ها و ورودها", "Invitations and check-ins")
    pdf.grid(
        ["Event", "Plus-ones", "Cancelled", "Changed"],
        [
            (
                i.get("event_name") or i["event_id"],
                i.get("plus_ones"),
                i["cancelled"],
                when(i["updated_at_us"]),
            )
            for i in data["invitations"]
        ],
        (90, 20, 20, 56),
    )
    pdf.grid(
        ["Checked in", "Event", "Guest"],
        [(when(c["at_us"]), c.get("event_name") or c["event_id"], c["guest"]) for c in data["check_ins"]],
        (56, 110, 20),
    )

    pdf.heading("عکس", "Photo")
    photo = data.get("photo")
    pdf.pairs(
        [("عکس", "Photo", "ندارد · none")]
        if photo is None
        else [
            ("SHA-256", "SHA-256", photo["sha256"]),
            ("اندازه (بایت)", "Size (bytes)", photo["size"]),
            ("از تاریخ", "Since", when(photo["set_at_us"])),
        ]
    )

    pdf.heading("مجوزهای خرج آفلاین", "Offline spending grants")
    pdf.grid(
        ["Issued", "Expires", "Points", "Device"],
        [
            (when(g["issued_at_us"]), when(g["expires_at_us"]), g["points"], g["device_id"])
            for g in data["grants"]
        ],
        (46, 46, 20, 74),
    )

    pdf.heading("هشدارها", "Alerts")
    pdf.grid(
        ["Time", "Kind", "Detail", "Resolved"],
        [(when(a["at_us"]), a["kind"], a["detail"], when(a.get("resolved_at_us"))) for a in data["alerts"]],
        (36, 28, 86, 36),
    )

    pdf.heading("گزارش رویدادها", "Audit log")
    pdf.grid(
        ["Time", "Who", "Action", "Detail"],
        [(when(a["at_us"]), a["actor"], a["action"], a["detail"]) for a in data["audit"]],
        (36, 50, 34, 66),
    )
    return bytes(pdf.output())
