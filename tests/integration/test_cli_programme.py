# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah member standing`, `membership`, `reward`, `bonus`, `rules` and the sale's programme options,
through the real command (a subprocess), on the test club with its programme."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.enroll import EnrollRequest, enroll_member
from tests.integration.test_cli import bashgah, ok_json, refused
from tests.support.club import MANAGER, MANAGER_PIN, make_club
from tests.support.programme import club_rules, publish

PHONE = "09351234567"
MANAGER_ARGS = ("--staff", MANAGER.name, "--pin", MANAGER_PIN)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    terminal = make_club(directory)
    publish(terminal, club_rules())
    enroll_member(terminal, EnrollRequest(name="Reza Karimi", phone=PHONE))
    terminal.db.close()
    return directory


def test_a_sale_shows_what_the_programme_added(data_dir):
    sale = ok_json(data_dir, "sale", PHONE, "--amount", "100000000", "--category", "food")
    assert (sale["cashback_rials"], sale["tier_upgrade"], sale["rules_version"]) == (5_000_000, "silver", 1)
    text = bashgah(data_dir, "sale", PHONE, "--amount", "1000000").stdout
    assert "cashback credited" in text
    assert "wallet" in refused(data_dir, "sale", PHONE, "--amount", "1000000", "--wallet", "100000").lower()
    assert "product categories" in refused(data_dir, "sale", PHONE, "--amount", "1000", "--category", "cars")


def test_standing_membership_rewards_and_bonuses(data_dir):
    ok_json(data_dir, "sale", PHONE, "--amount", "25000000")  # 250 points + 50 for joining
    standing = ok_json(data_dir, "member", "standing", PHONE)
    assert (standing["tier"], standing["to_next"], standing["wallet_rials"]) == ("bronze", 750, 1_250_000)
    bought = ok_json(data_dir, "membership", "buy", PHONE, "--plan", "silver_card", "--points", "300")
    assert bought["pay_rials"] == 70_000_000  # the seed's 7,000,000 Toman
    assert ok_json(data_dir, "member", "standing", PHONE)["tier"] == "silver"
    assert "0 points" in refused(data_dir, "reward", "redeem", PHONE, "--reward", "mug")
    listed = ok_json(data_dir, "reward", "list", "--member", PHONE)
    assert listed["rewards"] == [{"code": "mug", "points": 300, "stock_left": 2, "affordable": False}]
    granted = ok_json(
        data_dir, "bonus", "grant", PHONE, "--points", "400", "--reason", "ambassador", *MANAGER_ARGS
    )
    assert granted["points"] == 400
    given = ok_json(data_dir, "reward", "redeem", PHONE, "--reward", "mug")
    assert (given["points_balance"], given["stock_left"]) == (100, 1)
    refused(data_dir, "bonus", "grant", PHONE, "--points", "600", "--reason", "too much", *MANAGER_ARGS)


def test_rules_show(data_dir):
    shown = ok_json(data_dir, "rules", "show")
    assert shown["version"] == 1 and [t["code"] for t in shown["tiers"]] == ["bronze", "silver", "gold"]
    refused(data_dir, "rules", "show", "--version", "7")
