# SPDX-License-Identifier: GPL-3.0-or-later
"""Telling a keyboard-wedge scanner from a person by the timing of keys (pure logic, no threads)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.cards.wedge import Scanned, Typed, WedgeClassifier, WedgeOutput, WedgeThresholds

MS = 1_000  # µs


def feed_all(
    classifier: WedgeClassifier, keys: list[str], gap_us: int | list[int], start_us: int = 0
) -> list[WedgeOutput]:
    gaps = gap_us if isinstance(gap_us, list) else [gap_us] * len(keys)
    out: list[WedgeOutput] = []
    at = start_us
    for key, gap in zip(keys, gaps, strict=True):
        at += gap
        out += classifier.feed(key, at)
    return out


def scans(outputs: list[WedgeOutput]) -> list[str]:
    return [o.text for o in outputs if isinstance(o, Scanned)]


def typed(outputs: list[WedgeOutput]) -> list[str]:
    return [key for o in outputs if isinstance(o, Typed) for key in o.keys]


def test_a_scanner_burst_ending_in_enter_is_a_scan():
    classifier = WedgeClassifier()
    out = feed_all(classifier, [*"BG1:4f9K-x_Q2", "Enter"], 5 * MS)
    assert out == [
        Scanned(text="BG1:4f9K-x_Q2", keys=(*"BG1:4f9K-x_Q2", "Enter"), started_us=5 * MS, ended_us=70 * MS)
    ]
    assert classifier.next_flush_us() is None


def test_persian_and_arabic_digits_from_a_persian_layout_are_read_as_ascii():
    classifier = WedgeClassifier()
    out = feed_all(classifier, [*"۰۹۱۲۳۴۵۶۷۸۹", "\r"], 3 * MS)
    out += feed_all(classifier, [*"٦٠٣٧١٢٣٤", "\n"], 3 * MS, start_us=1_000 * MS)
    assert scans(out) == ["09123456789", "60371234"]
    assert out[0].keys[:3] == ("۰", "۹", "۱")  # the keys themselves are kept as typed


def test_a_person_typing_is_given_back_key_by_key_and_enter_too():
    classifier = WedgeClassifier()
    out = feed_all(classifier, [*"09121234567", "Enter"], 120 * MS)
    assert scans(out) == []
    assert typed(out) == [*"09121234567", "Enter"]


def test_a_fast_typists_rollover_is_too_short_to_be_a_scan():
    classifier = WedgeClassifier()
    out = feed_all(classifier, ["o", "k", "Enter"], 12 * MS)
    assert typed(out) == ["o", "k", "Enter"]


def test_one_hiccup_in_a_scanners_burst_still_makes_a_scan():
    classifier = WedgeClassifier()
    gaps = [4 * MS] * 6 + [45 * MS] + [4 * MS] * 6  # e.g. a Bluetooth buffer refill
    out = feed_all(classifier, [*"ABCDEF123456", "Enter"], gaps)
    assert scans(out) == ["ABCDEF123456"]


def test_a_steady_40ms_burst_is_not_mostly_fast_so_it_is_typed():
    classifier = WedgeClassifier()
    out = feed_all(classifier, [*"ABCDEF123456", "Enter"], 40 * MS)
    assert scans(out) == [] and typed(out) == [*"ABCDEF123456", "Enter"]


def test_a_burst_that_stops_without_enter_is_given_back_when_its_time_is_up():
    classifier = WedgeClassifier()
    assert feed_all(classifier, list("ABCDEFGH"), 4 * MS) == []  # held: may still become a scan
    due = classifier.next_flush_us()
    assert due == 32 * MS + 50 * MS + 1
    assert classifier.flush(due - 1) == []
    assert classifier.flush(due) == [Typed(tuple("ABCDEFGH"))]


def test_a_partial_burst_then_a_full_scan_are_told_apart():
    classifier = WedgeClassifier()
    out = feed_all(classifier, list("ABC"), 4 * MS)  # a scan cut short (scanner dropped)
    out += feed_all(classifier, [*"XYZ123456", "Enter"], 4 * MS, start_us=500 * MS)
    assert out == [
        Typed(("A", "B", "C")),
        Scanned(text="XYZ123456", keys=(*"XYZ123456", "Enter"), started_us=504 * MS, ended_us=540 * MS),
    ]


def test_a_person_typing_right_before_a_scan_keeps_their_keys():
    classifier = WedgeClassifier()
    out = feed_all(classifier, ["1", "2"], 200 * MS)
    out += feed_all(classifier, [*"CARD-0001", "Enter"], 4 * MS, start_us=800 * MS)
    assert typed(out) == ["1", "2"] and scans(out) == ["CARD-0001"]


def test_a_named_key_inside_a_burst_breaks_it():
    classifier = WedgeClassifier()
    out = feed_all(classifier, [*"ABCDEF", "Tab", *"123", "Enter"], 4 * MS)
    assert scans(out) == []
    assert typed(out) == [*"ABCDEF", "Tab", *"123", "Enter"]


def test_a_stuck_key_is_given_back_once_the_burst_is_too_long():
    classifier = WedgeClassifier(WedgeThresholds(max_length=20))
    out = feed_all(classifier, ["x"] * 21, 2 * MS)
    assert typed(out) == ["x"] * 21


def test_repeated_or_backward_timestamps_count_as_no_gap():
    classifier = WedgeClassifier()
    out = feed_all(classifier, [*"ABCDEFG", "Enter"], [0, 0, 0, 0, 0, 0, 0, 0])
    assert scans(out) == ["ABCDEFG"]
    out = [*classifier.feed("Q", 10_000 * MS), *classifier.feed("R", 9_000 * MS)]
    assert out == [] and classifier.flush() == [Typed(("Q", "R"))]


def test_thresholds_are_parameters():
    short_codes = WedgeClassifier(WedgeThresholds(min_length=3))
    assert scans(feed_all(short_codes, ["7", "4", "1", "Enter"], 4 * MS)) == ["741"]
    slow_scanner = WedgeClassifier(WedgeThresholds(fast_gap_us=60 * MS, hold_gap_us=90 * MS))
    assert scans(feed_all(slow_scanner, [*"ABCDEF", "Enter"], 55 * MS)) == ["ABCDEF"]


# --- property: no key is lost, duplicated or moved --------------------------------------------------------

KEYS = st.one_of(
    st.characters(blacklist_categories=("Cs",)),
    st.sampled_from(["Enter", "\n", "\r", "Tab", "Backspace", "۴", "٣"]),
)
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("feed"), KEYS, st.integers(-5 * MS, 200 * MS)),
        st.tuples(st.just("flush"), st.none(), st.integers(0, 200 * MS)),
    ),
    max_size=80,
)


@given(ACTIONS, st.builds(WedgeThresholds, min_length=st.integers(1, 8)))
def test_every_key_is_in_exactly_one_scan_or_typed_in_order(actions, thresholds):
    classifier = WedgeClassifier(thresholds)
    fed: list[str] = []
    out: list[WedgeOutput] = []
    now = 0
    for action, key, step in actions:
        now += step
        if action == "feed":
            fed.append(key)
            out += classifier.feed(key, now)
        else:
            out += classifier.flush(now)
    out += classifier.flush()
    assert [key for o in out for key in o.keys] == fed
    for scan in (o for o in out if isinstance(o, Scanned)):
        assert scan.keys[-1] in thresholds.enter_keys
        assert len(scan.keys) - 1 >= thresholds.min_length
        assert scan.started_us <= scan.ended_us
    assert classifier.next_flush_us() is None
