# SPDX-License-Identifier: GPL-3.0-or-later
"""What a receipt says, without Qt: Persian and English lines built from a sale."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from app.domain.balance import MemberBalance
from app.domain.member import Member
from app.receipts.content import TEXTS, SaleContext, build_receipt, number, pair_line, toman
from app.receipts.setup import PRINTER_SETTING, load_receipt_setup
from app.services.checkout import SaleRequest, SaleResult, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.store import club

SALE_ID = "0190f1a2-1234-7abc-8def-0123456789ab"
NOON_UTC_2024_08_02 = 1_722_600_000_000_000
MARYAM = Member("m-1", "مریم احمدی", "09121234567", "bronze", "b-1", 0)
PLACE = SaleContext("باشگاه", "Bashgah", "شعبه مرکزی", "Central", NOON_UTC_2024_08_02)


@pytest.fixture(autouse=True)
def tehran_time(monkeypatch):
    """Receipts show local time: pin it so dates do not depend on the machine running the tests."""
    monkeypatch.setenv("TZ", "Asia/Tehran")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def sale(**changes) -> SaleResult:
    values = {
        "sale_id": SALE_ID,
        "invoice_ref": "T1-000002",
        "entry_ids": [SALE_ID],
        "amount_rials": 2_500_000,
        "discount_rials": 120_000,
        "paid_rials": 2_380_000,
        "points_earned": 23,
        "points_redeemed": 120,
        "balance": MemberBalance(points=543),
    }
    return SaleResult(**(values | changes))


def pairs(receipt):
    return [(line.label, line.value, line.bold) for line in receipt.lines]


def test_english_receipt_lines():
    receipt = build_receipt(sale(), MARYAM, PLACE, "Cashier Kian", "en")
    assert receipt.headline == "23 points added"
    assert (receipt.club_name, receipt.branch_name) == ("Bashgah", "Central")
    assert pairs(receipt) == [
        ("Date", "2024-08-02 15:30", False),
        ("Invoice", "T1-000002", False),
        ("Member", "مریم احمدی", False),
        ("Cashier", "Cashier Kian", False),
        ("Amount", "250,000 Toman", False),
        ("Points spent", "120 points", False),
        ("Discount", "12,000 Toman", False),
        ("Total paid", "238,000 Toman", True),
        ("Points earned", "23 points", False),
        ("New balance", "543 points", True),
    ]
    assert receipt.qr_data == SALE_ID
    assert receipt.footer == "Thank you for your purchase"
    assert not receipt.right_to_left and receipt.note == ""


def test_persian_receipt_has_persian_digits_and_a_jalali_date():
    receipt = build_receipt(sale(), MARYAM, PLACE, "Cashier Kian", "fa")
    assert receipt.headline == "۲۳ امتیاز اضافه شد"
    assert receipt.right_to_left
    values = dict((label, value) for label, value, _bold in pairs(receipt))
    assert values["تاریخ"] == "۱۴۰۳/۰۵/۱۲ ۱۵:۳۰"
    assert values["مبلغ خرید"] == "۲۵۰٬۰۰۰ تومان"
    assert values["تخفیف"] == "۱۲٬۰۰۰ تومان"
    assert values["مبلغ پرداختی"] == "۲۳۸٬۰۰۰ تومان"
    assert values["مانده امتیاز"] == "۵۴۳ امتیاز"
    assert values["شماره فاکتور"] == "T1-000002"  # ids stay as they are
    shown = [value for _label, value, _bold in pairs(receipt) if value != "T1-000002"]
    assert not any(ch.isascii() and ch.isdigit() for value in shown for ch in value)


def test_no_points_spent_means_no_discount_lines():
    plain_sale = sale(points_redeemed=0, discount_rials=0, paid_rials=2_500_000, points_earned=25)
    receipt = build_receipt(plain_sale, None, PLACE, None, "en")
    labels = [label for label, _v, _b in pairs(receipt)]
    assert "Points spent" not in labels and "Discount" not in labels
    assert "Member" not in labels and "Cashier" not in labels


def test_a_sale_that_earns_nothing_still_has_a_headline():
    assert build_receipt(sale(points_earned=0), MARYAM, PLACE, None, "en").headline == "Sale recorded"
    assert build_receipt(sale(points_earned=0), MARYAM, PLACE, None, "fa").headline == "خرید ثبت شد"


def test_a_replayed_sale_says_it_is_a_copy():
    assert build_receipt(sale(replayed=True), MARYAM, PLACE, None, "en").note == "Copy of an earlier receipt"


@pytest.mark.parametrize(
    ("rials", "lang", "shown"),
    [
        (15_000_000, "en", "1,500,000 Toman"),
        (15, "en", "1.5 Toman"),
        (0, "en", "0 Toman"),
        (15_000_000, "fa", "۱٬۵۰۰٬۰۰۰ تومان"),
        (15, "fa", "۱٫۵ تومان"),
    ],
)
def test_toman_is_exact(rials, lang, shown):
    assert toman(rials, lang) == shown


def test_numbers_group_in_the_language():
    assert number(1234567, "en") == "1,234,567"
    assert number(1234567, "fa") == "۱٬۲۳۴٬۵۶۷"


def test_text_lines_fit_the_paper():
    lines = build_receipt(sale(), None, PLACE, "Cashier Kian", "en").text_lines(32)
    assert "Total paid         238,000 Toman" in lines
    assert all(len(line) <= 32 for line in lines)
    too_long = pair_line("A very long label indeed", "and a long value", 32)
    assert too_long == "A very long label indeed and a long value"  # the printer wraps it


def test_both_languages_use_the_same_placeholders():
    import string

    def fields(template):
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for english, persian in TEXTS.values():
        assert fields(english) == fields(persian)


def test_the_receipts_package_imports_no_qt():
    package = Path(__file__).resolve().parents[2] / "app" / "receipts"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.startswith("PySide6") for n in names), path


def test_setup_reads_the_club_branch_time_and_printer(terminal):
    member = enroll_member(terminal, EnrollRequest(name="Reza Karimi", phone="09351234567")).member
    result = record_sale(terminal, SaleRequest(member.id, 2_500_000))
    setup = load_receipt_setup(terminal, result.sale_id)
    assert setup.printer is None
    assert (setup.place.branch_name("fa"), setup.place.branch_name("en")) == ("شعبه مرکزی", "Central")
    assert setup.place.club_name("en") == "Bashgah"
    receipt = build_receipt(result, member, setup.place, None, "en")
    assert receipt.headline == "25 points added"
    for value, expected in (("network:10.0.0.7", "network:10.0.0.7"), (" none ", None), ("", None)):
        with terminal.db.write() as conn:
            club.put_setting(conn, PRINTER_SETTING, value)
        assert load_receipt_setup(terminal, result.sale_id).printer == expected


def test_the_programme_s_lines_wallet_cashback_and_bonus():
    """A sale under the club's rule set: what the wallet paid, the points' own discount, the bonuses,
    the cashback credited and the wallet left — in both languages."""
    under_rules = sale(
        discount_rials=620_000,  # 120,000 by points, 500,000 by the wallet
        paid_rials=1_880_000,
        wallet_spent_rials=500_000,
        cashback_rials=37_600,
        bonuses=(("birthday:2024", 200),),
        balance=MemberBalance(points=743, wallet_rials=137_600),
    )
    english = dict(
        (label, value) for label, value, _bold in pairs(build_receipt(under_rules, MARYAM, PLACE, None, "en"))
    )
    assert english["Discount"] == "12,000 Toman"
    assert english["Paid from wallet"] == "50,000 Toman"
    assert english["Total paid"] == "188,000 Toman"
    assert english["Bonus points"] == "200 points"
    assert english["Cashback to wallet"] == "3,760 Toman"
    assert english["Wallet balance"] == "13,760 Toman"
    persian = dict(
        (label, value) for label, value, _bold in pairs(build_receipt(under_rules, MARYAM, PLACE, None, "fa"))
    )
    assert persian["از کیف پول"] == "۵۰٬۰۰۰ تومان"
    assert persian["موجودی کیف پول"] == "۱۳٬۷۶۰ تومان"


def test_a_sale_without_the_wallet_prints_no_wallet_lines():
    labels = [label for label, _value, _bold in pairs(build_receipt(sale(), MARYAM, PLACE, None, "en"))]
    assert not {"Paid from wallet", "Cashback to wallet", "Wallet balance", "Bonus points"} & set(labels)
