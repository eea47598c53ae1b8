# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah card issue / revoke` from the command line, writing to files (no reader needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from app.cards.payload import payload_from_ndef
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key
from tests.integration.test_cli import bashgah, ok_json, refused
from tests.support.club import MANAGER, MANAGER_PIN, make_club

PHONE = "09121112233"
MANAGER_ARGS = ("--staff", MANAGER.name, "--pin", MANAGER_PIN)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    terminal = make_club(directory)
    create_issuing_key(terminal, 1)
    enroll_member(terminal, EnrollRequest(name="Sara Rahimi", phone=PHONE))
    terminal.db.close()
    return directory


def test_issue_for_a_card_printers_encoder(data_dir, tmp_path):
    out = tmp_path / "card.ndef"
    issued = ok_json(
        data_dir, "card", "issue", PHONE, "--uid", "04:A1:B2:C3:D4:E5:F6", "--out", str(out), *MANAGER_ARGS
    )
    assert issued["uid"] == "04a1b2c3d4e5f6" and issued["kind"] == "card"
    message = out.read_bytes()
    assert issued["bytes"] == len(message)
    payload_from_ndef(message)  # exactly an NDEF message holding our record
    shown = ok_json(data_dir, "member", "show", PHONE)
    assert shown["cards"][0]["uid"] == "04a1b2c3d4e5f6"


def test_issue_a_member_qr(data_dir, tmp_path):
    png = tmp_path / "qr.png"
    issued = ok_json(data_dir, "card", "issue", PHONE, "--qr", str(png), *MANAGER_ARGS)
    assert issued["kind"] == "qr"
    with Image.open(png) as image:
        assert image.size[0] > 100


def test_revoke_then_the_card_is_refused(data_dir):
    number = ok_json(data_dir, "member", "show", PHONE)["cards"][0]["number"]
    revoked = ok_json(
        data_dir, "card", "revoke", number, "--reason", "lost on the bus", "--lost", *MANAGER_ARGS
    )
    assert revoked["status"] == "lost"
    assert "lost" in refused(data_dir, "member", "show", number)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("card", "issue", PHONE, "--out", "x.ndef", *MANAGER_ARGS), "UID"),
        (("card", "issue", PHONE, "--uid", "zz", "--out", "x.ndef", *MANAGER_ARGS), "not a chip UID"),
        (("card", "issue", PHONE, "--qr", "q.png"), "needs a manager"),
        (
            (
                "card",
                "revoke",
                "9826000000000011",
                "--reason",
                "x",
                "--staff",
                "Cashier Kian",
                "--pin",
                "1111",
            ),
            "may not",
        ),
        (("card", "revoke", "9826000000000011", "--reason", " ", *MANAGER_ARGS), "reason"),
    ],
)
def test_card_commands_refuse_clearly(data_dir, args, says):
    assert says in refused(data_dir, *args)


def test_without_an_issuing_key(tmp_path):
    directory = tmp_path / "nokey"
    terminal = make_club(directory)
    enroll_member(terminal, EnrollRequest(name="A", phone=PHONE))
    result = bashgah(directory, "card", "issue", PHONE, "--qr", str(tmp_path / "q.png"), *MANAGER_ARGS)
    assert result.returncode == 2 and "issuing key" in result.stderr
