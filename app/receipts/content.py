# SPDX-License-Identifier: GPL-3.0-or-later
"""What a sale receipt says, in Persian or English: plain text lines built from a SaleResult.

Qt-free on purpose: the ESC/POS printer, the PDF and any later channel (SMS, e-mail) print the same
`Receipt`. The few number helpers mirror app.format (which belongs to the window): Toman grouped by
thousands, Persian digits in Persian, Jalali dates in Persian. Money stays integer rials until shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import jdatetime

from app.domain.digits import to_persian_digits
from app.domain.member import Member
from app.domain.money import RIALS_PER_TOMAN
from app.services.checkout import SaleResult

PERSIAN_GROUP = "٬"
PERSIAN_DECIMAL = "٫"

# key: (English, Persian); placeholders are str.format fields, the same in both.
TEXTS: dict[str, tuple[str, str]] = {
    "headline_earned": ("{points} points added", "{points} امتیاز اضافه شد"),
    "headline_none": ("Sale recorded", "خرید ثبت شد"),
    "date": ("Date", "تاریخ"),
    "invoice": ("Invoice", "شماره فاکتور"),
    "member": ("Member", "عضو"),
    "cashier": ("Cashier", "صندوقدار"),
    "amount": ("Amount", "مبلغ خرید"),
    "points_spent": ("Points spent", "امتیاز استفاده‌شده"),
    "discount": ("Discount", "تخفیف"),
    "paid": ("Total paid", "مبلغ پرداختی"),
    "earned": ("Points earned", "امتیاز این خرید"),
    "balance": ("New balance", "مانده امتیاز"),
    "wallet_paid": ("Paid from wallet", "از کیف پول"),
    "cashback": ("Cashback to wallet", "بازگشت وجه به کیف پول"),
    "bonus": ("Bonus points", "امتیاز هدیه"),
    "wallet": ("Wallet balance", "موجودی کیف پول"),
    "copy": ("Copy of an earlier receipt", "رونوشت رسید پیشین"),
    "thanks": ("Thank you for your purchase", "از خرید شما سپاسگزاریم"),
    "toman": ("{amount} Toman", "{amount} تومان"),
    "points": ("{points} points", "{points} امتیاز"),
}


def text(key: str, lang: str, **params: object) -> str:
    english, persian = TEXTS[key]
    return (persian if lang == "fa" else english).format(**params)


def number(value: int, lang: str) -> str:
    """A whole number grouped by thousands, in the language's digits."""
    grouped = f"{value:,}"
    return to_persian_digits(grouped).replace(",", PERSIAN_GROUP) if lang == "fa" else grouped


def toman(rials: int, lang: str) -> str:
    """Rials as Toman with the unit; a rial remainder is shown as a decimal, never rounded away."""
    whole, rest = divmod(abs(rials), RIALS_PER_TOMAN)
    shown = ("-" if rials < 0 else "") + number(whole, lang)
    if rest:
        shown += (PERSIAN_DECIMAL if lang == "fa" else ".") + number(rest, lang)
    return text("toman", lang, amount=shown)


def points(value: int, lang: str) -> str:
    return text("points", lang, points=number(value, lang))


def moment(us: int, lang: str) -> str:
    """A stored UTC time as the local date and time: Jalali with Persian digits in Persian."""
    local = datetime.fromtimestamp(us // 1_000_000, tz=UTC).astimezone()
    if lang == "fa":
        day = jdatetime.date.fromgregorian(date=local.date())
        return to_persian_digits(f"{day.year}/{day.month:02d}/{day.day:02d} {local:%H:%M}")
    return f"{local:%Y-%m-%d %H:%M}"


@dataclass(frozen=True, slots=True)
class SaleContext:
    """Where and when the sale happened: the club's and branch's names in both languages, the time."""

    club_name_fa: str
    club_name_en: str
    branch_name_fa: str
    branch_name_en: str
    sale_at_us: int

    def club_name(self, lang: str) -> str:
        return self.club_name_fa if lang == "fa" else self.club_name_en

    def branch_name(self, lang: str) -> str:
        return self.branch_name_fa if lang == "fa" else self.branch_name_en


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    label: str
    value: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Receipt:
    lang: str
    club_name: str
    branch_name: str
    headline: str  # the moment of delight: "150 points added"
    lines: tuple[ReceiptLine, ...]
    footer: str
    qr_data: str  # the sale's entry id: scanning it finds the sale
    note: str = ""  # "copy of an earlier receipt" when the sale was replayed

    @property
    def right_to_left(self) -> bool:
        return self.lang == "fa"

    def text_lines(self, columns: int = 32) -> list[str]:
        """The receipt as plain text for a fixed-width font, labels left and values right."""
        out = [self.club_name.center(columns).rstrip(), self.branch_name.center(columns).rstrip()]
        out += ["-" * columns, self.headline.center(columns).rstrip()]
        if self.note:
            out.append(self.note.center(columns).rstrip())
        out.append("-" * columns)
        out += [pair_line(line.label, line.value, columns) for line in self.lines]
        out += ["-" * columns, self.footer.center(columns).rstrip()]
        return out


def pair_line(label: str, value: str, columns: int) -> str:
    """Label and value on one line of `columns` characters, the value pushed to the end."""
    gap = columns - len(label) - len(value)
    return label + " " * gap + value if gap >= 1 else f"{label} {value}"  # too long: the printer wraps


def build_receipt(
    sale: SaleResult, member: Member | None, place: SaleContext, staff_name: str | None, lang: str
) -> Receipt:
    """The receipt for a recorded sale, in `lang` ("fa" or "en")."""
    headline = (
        text("headline_earned", lang, points=number(sale.points_earned, lang))
        if sale.points_earned
        else text("headline_none", lang)
    )
    return Receipt(
        lang=lang,
        club_name=place.club_name(lang),
        branch_name=place.branch_name(lang),
        headline=headline,
        lines=tuple(_lines(sale, member, place, staff_name, lang)),
        footer=text("thanks", lang),
        qr_data=sale.sale_id,
        note=text("copy", lang) if sale.replayed else "",
    )


def _lines(
    sale: SaleResult, member: Member | None, place: SaleContext, staff_name: str | None, lang: str
) -> list[ReceiptLine]:
    lines = [
        ReceiptLine(text("date", lang), moment(place.sale_at_us, lang)),
        ReceiptLine(text("invoice", lang), sale.invoice_ref),
    ]
    if member is not None:
        lines.append(ReceiptLine(text("member", lang), member.name))
    if staff_name:
        lines.append(ReceiptLine(text("cashier", lang), staff_name))
    lines.append(ReceiptLine(text("amount", lang), toman(sale.amount_rials, lang)))
    if sale.points_redeemed:
        lines.append(ReceiptLine(text("points_spent", lang), points(sale.points_redeemed, lang)))
        points_discount = sale.discount_rials - sale.wallet_spent_rials
        lines.append(ReceiptLine(text("discount", lang), toman(points_discount, lang)))
    if sale.wallet_spent_rials:
        lines.append(ReceiptLine(text("wallet_paid", lang), toman(sale.wallet_spent_rials, lang)))
    lines.append(ReceiptLine(text("paid", lang), toman(sale.paid_rials, lang), bold=True))
    lines.append(ReceiptLine(text("earned", lang), points(sale.points_earned, lang)))
    bonus = sum(given for _key, given in sale.bonuses)
    if bonus:
        lines.append(ReceiptLine(text("bonus", lang), points(bonus, lang)))
    lines.append(ReceiptLine(text("balance", lang), points(sale.balance.points, lang), bold=True))
    # the wallet's side of the club's programme (app.services.checkout): what came in, what is left
    if sale.cashback_rials:
        lines.append(ReceiptLine(text("cashback", lang), toman(sale.cashback_rials, lang)))
    if sale.cashback_rials or sale.wallet_spent_rials:
        lines.append(ReceiptLine(text("wallet", lang), toman(sale.balance.wallet_rials, lang)))
    return lines
