# SPDX-License-Identifier: GPL-3.0-or-later
"""The `bashgah` command as installed, run in a subprocess like a script or a support engineer would."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.services.enroll import EnrollRequest, enroll_member
from app.store.database import DB_FILENAME
from tests.support.club import MANAGER, MANAGER_PIN, make_club

PHONE = "09121112233"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    terminal = make_club(directory)
    enroll_member(terminal, EnrollRequest(name="مریم احمدی", phone=PHONE))
    terminal.db.close()
    return directory


def bashgah(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args],
        check=False, capture_output=True, text=True, timeout=60,
        env={**os.environ, "BASHGAH_LANG": "en", **(env or {})},
    )


def ok_json(data_dir: Path, *args: str) -> dict:
    result = bashgah(data_dir, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def entry_count(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        return conn.execute("SELECT count(*) FROM ledger_entry").fetchone()[0]


def refused(data_dir: Path, *args: str, code: int = 2, env: dict | None = None) -> str:
    """Runs a command that must be refused: one line on stderr, the exit code, nothing written."""
    before = entry_count(data_dir)
    result = bashgah(data_dir, *args, env=env)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert entry_count(data_dir) == before
    return result.stderr


def test_sale_member_show_and_return(data_dir):
    sale = ok_json(data_dir, "sale", PHONE, "--amount", "2,500,000", "--invoice", "F-100")
    assert sale["points_earned"] == 25 and sale["invoice_ref"] == "F-100"
    assert sale["balance"]["points"] == 25
    spend = ok_json(data_dir, "sale", PHONE, "--amount", "1000000", "--redeem", "20")
    assert (spend["discount_rials"], spend["points_redeemed"], spend["points_earned"]) == (20_000, 20, 9)

    shown = ok_json(data_dir, "member", "show", PHONE)
    assert shown["member"]["name"] == "مریم احمدی"
    assert shown["balance"]["points"] == 25 - 20 + 9
    assert shown["tier"]["code"] == "bronze"
    assert shown["cards"][0]["status"] == "active"
    assert [e["kind"] for e in shown["recent"]][:3] == ["redeem", "earn", "earn"]
    assert all(e["unsynced"] for e in shown["recent"])
    by_card = ok_json(data_dir, "member", "show", shown["cards"][0]["number"])
    assert by_card["member"]["id"] == shown["member"]["id"]

    back = ok_json(data_dir, "return", "F-100", "--amount", "1000000")
    assert back["points_clawed_back"] == 10 and back["returnable_rials"] == 1_500_000
    assert ok_json(data_dir, "ledger", "verify") | {"entries": 4} == {
        "ok": True, "entries": 4, "devices": 1, "rebuilt": False, "first_bad": None, "mismatches": [],
        "day_mismatches": [], "balances_checked": True,
    }


def test_human_output_in_persian(data_dir):
    result = bashgah(data_dir, "sale", PHONE, "--amount", "1500000", "--lang", "fa")
    assert result.returncode == 0
    assert "۱۵ امتیاز اضافه شد" in result.stdout


def test_a_retried_sale_with_the_same_entry_id_is_recorded_once(data_dir):
    entry_id = "01900000-0000-7000-8000-00000000c0de"
    first = ok_json(data_dir, "sale", PHONE, "--amount", "1000000", "--entry-id", entry_id)
    again = ok_json(data_dir, "sale", PHONE, "--amount", "1000000", "--entry-id", entry_id)
    assert again["replayed"] and again["entry_ids"] == first["entry_ids"]
    assert entry_count(data_dir) == 1


def test_an_entry_id_is_a_uuid_in_any_spelling_and_stored_as_the_wire_carries_it(data_dir):
    spelling = "{01900000-0000-7000-8000-00000000C0DE}"
    sale = ok_json(data_dir, "sale", PHONE, "--amount", "1000000", "--entry-id", spelling)
    assert sale["sale_id"] == "01900000-0000-7000-8000-00000000c0de"
    for args in (
        ("sale", PHONE, "--amount", "1000000", "--entry-id", "sale-1"),
        ("return", sale["invoice_ref"], "--entry-id", "return-1"),
        ("reverse", sale["sale_id"], "--reason", "x", "--staff", MANAGER.name, "--pin", MANAGER_PIN,
         "--entry-id", "reverse-1"),
    ):
        assert f"“{args[-1]}” cannot be an entry id" in refused(data_dir, *args)
    assert "نمی‌تواند شناسه سند باشد" in refused(data_dir, *args, "--lang", "fa")
    assert "cannot be a member id" in refused(
        data_dir, "member", "add", "--name", "X", "--phone", "09120000001", "--member-id", "x-1"
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("sale", "09999999999", "--amount", "1000"), "No member found"),
        (("sale", PHONE, "--amount", "-5"), "whole number of rials"),
        (("sale", PHONE, "--amount", "12.5"), "whole number of rials"),
        (("sale", PHONE, "--amount", "lots"), "whole number of rials"),
        (("sale", PHONE, "--amount", "0"), "whole number of rials"),
        (("sale", PHONE, "--amount", "1000000", "--redeem", "5"), "has 0 points"),
        (("return", "NO-SUCH-INVOICE"), "No sale with invoice"),
        (("reverse", "01900000-0000-7000-8000-000000000001", "--reason", "x"), "needs a manager"),
        (("member", "add", "--name", "X", "--phone", PHONE), "already belongs"),
        (("member", "add", "--name", "X", "--phone", "12"), "not a phone number"),
    ],
)
def test_bad_input_is_refused_with_one_clear_line(data_dir, args, says):
    assert says in refused(data_dir, *args)


def test_refusals_speak_persian(data_dir):
    stderr = refused(data_dir, "sale", PHONE, "--amount", "1000000", "--redeem", "5", "--lang", "fa")
    assert "امتیاز" in stderr


def test_manager_reversal_needs_the_right_pin(data_dir):
    sale = ok_json(data_dir, "sale", PHONE, "--amount", "3000000")
    refused(data_dir, "reverse", sale["sale_id"], "--reason", "x", "--staff", MANAGER.name, "--pin", "0000")
    done = ok_json(data_dir, "reverse", sale["sale_id"], "--reason", "wrong member",
                   "--staff", MANAGER.name, "--pin", MANAGER_PIN)
    assert done["points_delta"] == -30 and done["balance"]["points"] == 0


def test_enroll_from_the_command_line(data_dir):
    added = ok_json(data_dir, "member", "add", "--name", "Sam Lee", "--phone", "+44 7700 900123",
                    "--birth-date", "1990-05-01")
    assert added["phone"] == "+447700900123" and added["card"]
    assert ok_json(data_dir, "member", "show", added["card"])["member"]["name"] == "Sam Lee"


def test_verify_names_the_first_bad_entry(data_dir):
    first = ok_json(data_dir, "sale", PHONE, "--amount", "1000000")
    ok_json(data_dir, "sale", PHONE, "--amount", "2000000")
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        conn.execute("DROP TRIGGER ledger_entry_no_update")
        conn.execute("UPDATE ledger_entry SET points_delta = 500 WHERE id = ?", (first["sale_id"],))
    result = bashgah(data_dir, "ledger", "verify")
    assert result.returncode == 1
    assert first["sale_id"] in result.stdout and "edited" in result.stdout
    report = json.loads(bashgah(data_dir, "ledger", "verify", "--json").stdout)
    assert report["first_bad"]["entry_id"] == first["sale_id"]
    assert report["first_bad"]["device_seq"] == 1


def test_a_locked_database_is_refused_cleanly(data_dir):
    holder = sqlite3.connect(data_dir / DB_FILENAME, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        stderr = refused(data_dir, "sale", PHONE, "--amount", "1000000", code=3,
                         env={"BASHGAH_BUSY_TIMEOUT_MS": "200"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "busy" in stderr


def test_a_corrupt_file_is_refused_cleanly(tmp_path):
    directory = tmp_path / "broken"
    directory.mkdir()
    (directory / DB_FILENAME).write_bytes(b"this is not a database" * 100)
    result = bashgah(directory, "member", "show", PHONE)
    assert result.returncode == 3
    assert "damaged" in result.stderr and result.stderr.count("\n") == 1


def test_no_club_yet_says_what_to_do(tmp_path):
    result = bashgah(tmp_path / "new", "member", "show", PHONE)
    assert result.returncode == 2 and "bashgah demo seed" in result.stderr


def test_self_test_opens_the_real_window_taps_a_card_and_sells(tmp_path):
    result = bashgah(tmp_path, "--self-test", env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert "self-test ok" in result.stdout


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "bashgah"
    result = subprocess.run([str(script), "--help"], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "sale" in result.stdout
