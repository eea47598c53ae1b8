# SPDX-License-Identifier: GPL-3.0-or-later
"""The enrolment QR's digits (sync.protocol): what a keyboard-wedge scanner types on any layout reads back
as the address and the code, whole or not at all."""

from __future__ import annotations

import random

from app.domain.digits import to_persian_digits
from app.services.first_run import read_scan
from sync.protocol import ENROLMENT_CODE_ALPHABET, enrolment_qr_text, parse_enrolment_qr

URL = "https://club.example.com:8443/bashgah"


def test_the_address_and_code_come_back_from_latin_or_persian_digits():
    text = enrolment_qr_text(URL, "k7qm 2xpd-9tar")
    assert text.isdigit() and text.isascii()
    assert parse_enrolment_qr(text) == (URL, "K7QM-2XPD-9TAR")
    assert parse_enrolment_qr(" " + to_persian_digits(text) + "\n") == (URL, "K7QM-2XPD-9TAR")


def test_only_the_whole_scan_reads_and_a_garbled_one_does_not():
    """Read key by key as a scanner types it: no prefix is taken for a scan (a wrong address filled in)."""
    rng = random.Random(1404)
    for _ in range(300):
        url = "http://" + "".join(rng.choice("abcdefgh.0123456789:") for _ in range(rng.randint(3, 60)))
        code = "".join(rng.choice(ENROLMENT_CODE_ALPHABET) for _ in range(12))
        text = enrolment_qr_text(url, code)
        assert [i for i in range(len(text)) if parse_enrolment_qr(text[:i])] == []
        i = rng.randrange(len(text))
        garbled = text[:i] + str((int(text[i]) + rng.randint(1, 9)) % 10) + text[i + 1 :]
        assert parse_enrolment_qr(garbled) is None
        assert read_scan("K7QM-" + to_persian_digits(text)) == (url, f"{code[:4]}-{code[4:8]}-{code[8:]}")


def test_what_is_not_an_enrolment_qr():
    for text in ("", "K7QM-2XPD-9TAR", "7301", "7301" + "0" * 40, "https://club"):
        assert parse_enrolment_qr(text) is None and read_scan(text) is None
