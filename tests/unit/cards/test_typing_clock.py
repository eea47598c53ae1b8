# SPDX-License-Identifier: GPL-3.0-or-later
"""When a key was typed: the platform's stamp where there is one, however late the UI reads the key."""

from __future__ import annotations

from app.cards.wedge import TypingClock, WedgeClassifier

MS = 1_000  # µs


def test_stamped_keys_are_timed_by_their_stamps_not_by_when_they_are_read():
    clock = TypingClock()
    # typed 4 ms apart; the UI read the first at once and the rest after a 300 ms stall, all together
    read = [5_000 * MS, 5_300 * MS, 5_300 * MS, 5_300 * MS]
    typed = [clock.typed_at_us(1_000 + 4 * i, at) for i, at in enumerate(read)]
    assert typed == [1_000 * MS, 1_004 * MS, 1_008 * MS, 1_012 * MS]


def test_keys_without_a_stamp_are_timed_by_when_they_are_read():
    clock = TypingClock()
    assert [clock.typed_at_us(0, at) for at in (7 * MS, 11 * MS, 131 * MS)] == [7 * MS, 11 * MS, 131 * MS]


def test_a_key_without_a_stamp_after_stamped_ones_keeps_their_clock():
    """An event a program made among real ones: placed after the last real key by the reading time
    between them, not on another clock (which would look like a huge gap or none)."""
    clock = TypingClock()
    assert clock.typed_at_us(2_000, 90_000 * MS) == 2_000 * MS
    assert clock.typed_at_us(0, 90_004 * MS) == 2_004 * MS
    assert clock.typed_at_us(2_008, 90_006 * MS) == 2_008 * MS


def test_a_stamp_that_goes_back_is_never_a_negative_gap():
    """X's 32-bit millisecond clock wraps every 49.7 days: the one gap across the wrap counts as none."""
    classifier = WedgeClassifier()
    clock = TypingClock()
    stamps = [2**32 - 8, 2**32 - 4, 1, 5, 9, 13, 17]
    out = []
    for i, (key, stamp) in enumerate(zip([*"BG1:AB", "Enter"], stamps, strict=True)):
        out += classifier.feed(key, clock.typed_at_us(stamp, i * MS))
    assert [o.text for o in out] == ["BG1:AB"]
