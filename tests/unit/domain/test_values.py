# SPDX-License-Identifier: GPL-3.0-or-later
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.card import card_number, is_valid_card_number, luhn_check_digit
from app.domain.digits import to_latin_digits, to_persian_digits
from app.domain.errors import ClubError
from app.domain.ids import derived_id, uuid7
from app.domain.member import clean_name, national_id_is_valid, national_id_last4
from app.domain.phone import normalize_phone
from app.domain.staff import Action, Role, Staff


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "0912 123 4567",
        "+98 912 123 4567",
        "00989121234567",
        "9121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "+98-(912)-123-4567",
        "+980912 123 4567",
    ],
)
def test_iranian_mobiles_have_one_spelling(raw):
    assert normalize_phone(raw) == "+989121234567"


def test_international_numbers_are_kept_in_e164():
    assert normalize_phone("+44 7700 900123") == "+447700900123"
    assert normalize_phone("0049 30 1234567") == "+49301234567"


@pytest.mark.parametrize("raw", ["", "0912", "02112345678", "+98 21 1234 5678", "abc", "+0123456789"])
def test_not_phone_numbers(raw):
    with pytest.raises(ClubError) as refused:
        normalize_phone(raw)
    assert refused.value.code == "invalid_phone"


def test_luhn_card_numbers():
    assert luhn_check_digit("7992739871") == "3"  # the textbook example
    number = card_number("9826", 11)
    assert len(number) == 16 and is_valid_card_number(number)
    assert is_valid_card_number(number[:4] + " " + number[4:8] + "-" + number[8:])
    assert not is_valid_card_number(number[:-1] + str((int(number[-1]) + 1) % 10))
    assert not is_valid_card_number("98260000000000a1")


@given(st.integers(0, 10**11 - 1), st.integers(0, 14), st.integers(0, 9))
def test_any_single_digit_typo_is_caught(serial, position, digit):
    number = card_number("9826", serial)
    typo = number[:position] + str(digit) + number[position + 1 :]
    assert is_valid_card_number(typo) == (typo == number)


def test_national_id():
    assert national_id_is_valid("0499370899")
    assert not national_id_is_valid("0499370898")
    assert not national_id_is_valid("1111111111")
    assert national_id_last4("۰۴۹۹۳۷۰۸۹۹") == "0899"
    with pytest.raises(ClubError):
        national_id_last4("123")


def test_digits_round_trip():
    assert to_persian_digits("Toman 1,250") == "Toman ۱,۲۵۰"
    assert to_latin_digits("۱۲۳٤٥") == "12345"


def test_names():
    assert clean_name("  مریم   احمدی ") == "مریم احمدی"
    with pytest.raises(ClubError):
        clean_name("   ")


def test_uuid7_layout_and_order():
    a = uuid7(1_700_000_000_000, bytes(10))
    b = uuid7(1_700_000_000_001, bytes(10))
    assert a.version == 7 and a.variant == uuid.RFC_4122
    assert str(a) < str(b)
    assert derived_id(a, 0) == a
    assert derived_id(a, 1) != a and derived_id(a, 1) == derived_id(str(a), 1)
    assert derived_id(a, 1).version == 7 and (derived_id(a, 1).int >> 80) == (a.int >> 80)


def test_roles_are_enforced():
    cashier = Staff("s", "Kian", Role.CASHIER)
    assert cashier.may(Action.RECORD_SALE)
    with pytest.raises(ClubError) as refused:
        cashier.require(Action.REVERSE_ENTRY)
    assert refused.value.code == "not_permitted"
    assert Staff("m", "Mina", Role.MANAGER).may(Action.REVERSE_ENTRY)
    assert not Staff("m", "Mina", Role.MANAGER, active=False).may(Action.RECORD_SALE)
    assert not Staff("h", "Host", Role.HOST).may(Action.RECORD_SALE)
