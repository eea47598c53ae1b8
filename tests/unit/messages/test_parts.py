# SPDX-License-Identifier: GPL-3.0-or-later
"""SMS parts as a provider bills them: GSM-7 160/153, UCS-2 (Persian) 70/67."""

from __future__ import annotations

import pytest

from sync.server.messages.providers.parts import is_gsm7, sms_parts


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", 0),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # an extension character takes two septets
        ("€" * 81, 2),
        ("س" * 70, 1),
        ("س" * 71, 2),
        ("س" * 134, 2),
        ("س" * 135, 3),
        ("a" * 69 + "س", 1),  # one Persian letter turns the whole text to UCS-2
        ("a" * 70 + "س", 2),
        ("😀" * 35, 1),  # outside the BMP: two UCS-2 units each
        ("😀" * 36, 2),
    ],
)
def test_parts(text: str, parts: int) -> None:
    assert sms_parts(text) == parts


def test_the_seed_message_in_persian_is_ucs2() -> None:
    text = "تبریک! با این خرید ۱۵۰ امتیاز به حساب شما اضافه شد."
    assert not is_gsm7(text)
    assert sms_parts(text) == 1
    assert is_gsm7("Congratulations! 150 points were added to your account.")
