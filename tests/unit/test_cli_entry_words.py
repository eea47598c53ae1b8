# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line's member history names the server's give-back of expired points as such: an expire
entry of positive points (app.domain.expiry) is not "expired"."""

from __future__ import annotations

import argparse

import pytest

from app.cli.club_commands import _entry_line
from app.cli.output import Output
from app.domain.ledger import EntryKind
from tests.unit.domain.programme_strategies import entry


@pytest.mark.parametrize(
    ("lang", "expired", "given_back"),
    [("en", "expired", "expiry given back"), ("fa", "انقضا", "بازگشت امتیاز منقضی‌شده")],
)
def test_an_expiry_and_its_give_back_are_told_apart(lang: str, expired: str, given_back: str) -> None:
    out = Output(argparse.Namespace(json=False, lang=lang))
    taken = _entry_line(entry(EntryKind.EXPIRE, at=1_800_000_000_000_000, points=-100), False, out)
    back = _entry_line(entry(EntryKind.EXPIRE, at=1_800_000_000_000_000, points=30), False, out)
    assert expired in taken and given_back not in taken
    assert given_back in back
