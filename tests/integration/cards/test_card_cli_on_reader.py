# SPDX-License-Identifier: GPL-3.0-or-later
"""Card issuing and reading from the command line, end to end through the real PC/SC stack:
bashgah → pyscard → pcscd → vpcd → our Type 4 emulator. A blank card is issued on the reader, read back
as valid, and the same payload copied onto another chip is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key
from tests.support.club import MANAGER, MANAGER_PIN, make_club
from tests.support.pcscd import pcscd_fixture, wait_until_readers_empty  # noqa: F401  (the fixture)
from tests.support.type4_emulator import VPCD_PORT, CardEmulator, Type4Card

PHONE = "09121112233"
BLANK_UID = bytes.fromhex("04C0FFEE112233")


@pytest.fixture
def data_dir(tmp_path: Path, pcscd) -> Path:
    directory = tmp_path / "data"
    terminal = make_club(directory)
    create_issuing_key(terminal, 1)
    enroll_member(terminal, EnrollRequest(name="Sara Rahimi", phone=PHONE))
    return directory


def start(data_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BASHGAH_LANG": "en"},
    )


def finish(process: subprocess.Popen) -> tuple[int, dict, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, json.loads(out) if out.strip() else {}, err


def on_reader(card: Type4Card, data_dir: Path, *args: str) -> tuple[int, dict, str]:
    """Run a command with the card lying on reader 00 00 (a reader reports the card it finds at start)."""
    wait_until_readers_empty(("Virtual PCD 00 00",))  # the last test's card gone, as pcscd sees it
    emulator = CardEmulator(card, port=VPCD_PORT)
    emulator.insert()
    try:
        return finish(start(data_dir, *args))
    finally:
        emulator.remove()


def test_issue_on_a_blank_card_then_read_it(data_dir):
    blank = Type4Card(BLANK_UID, b"", file_size=2048)
    manager = ("--staff", MANAGER.name, "--pin", MANAGER_PIN)
    code, issued, err = on_reader(blank, data_dir, "card", "issue", PHONE, *manager, "--timeout", "20")
    assert code == 0, err
    assert issued["uid"] == BLANK_UID.hex() and len(blank.ndef) == issued["bytes"]

    read_args = ("card", "read", "--reader", "pcsc", "--timeout", "20")
    code, read, err = on_reader(Type4Card(BLANK_UID, blank.ndef), data_dir, *read_args)
    assert code == 0, err
    assert read["verdict"] == "valid" and read["card_number"] == issued["card_number"]
    assert read["uid"] == BLANK_UID.hex() and read["reader"] == "Virtual PCD 00 00"
    assert read["ms"] > 0

    clone = Type4Card(bytes.fromhex("04DEADBEEF0001"), blank.ndef)  # the payload copied to another chip
    code, refused, _ = on_reader(clone, data_dir, *read_args)
    assert code == 1 and refused["verdict"] == "refused" and refused["reason"] == "uid_mismatch"


def test_no_card_within_the_timeout(data_dir):
    code, refused, err = finish(start(data_dir, "card", "read", "--reader", "pcsc", "--timeout", "1"))
    assert code == 2 and "No card" in refused["error"]["message"]  # --json: the refusal is an object
    assert err == ""


def test_readers_lists_the_virtual_readers(data_dir):
    code, listed, err = finish(start(data_dir, "readers", "--reader", "pcsc"))
    assert code == 0, err
    names = {r["name"] for r in listed["readers"]}
    assert {"Virtual PCD 00 00", "Virtual PCD 00 01"} <= names
