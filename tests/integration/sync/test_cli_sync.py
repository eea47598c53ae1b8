# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah enroll`, `bashgah sync` and `bashgah sale --override-…` as a support engineer runs them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from app.store.device_token import token_path
from tests.integration.sync.conftest import MANAGER_NAME, MANAGER_PIN
from tests.support.club import make_club


def bashgah(data_dir: Path, *args: str, lang: str = "en") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args],
        check=False, capture_output=True, text=True, timeout=120,
        env={**os.environ, "BASHGAH_LANG": lang},
    )  # fmt: skip


def ok_json(data_dir: Path, *args: str) -> dict:
    result = bashgah(data_dir, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_enrol_sync_and_sell_with_an_override(club_server, tmp_path):
    data_dir = tmp_path / "till"
    enrolled = ok_json(data_dir, "enroll", "--server", club_server.url, "--code", club_server.code())
    assert enrolled["device_code"].startswith("THR-") and enrolled["key_id"] is not None
    assert stat.S_IMODE(token_path(data_dir).stat().st_mode) == 0o600
    status = ok_json(data_dir, "sync", "status")
    assert status["enrolled"] and status["synced"] and status["unsynced"] == 0
    member = ok_json(data_dir, "member", "add", "--name", "Nasrin", "--phone", "09121110000")
    ok_json(data_dir, "sale", member["member_id"], "--amount", "10,000,000")
    first = ok_json(data_dir, "sync", "--once")
    assert (first["pushed"], first["errors"], first["error"]) == (3, [], None)
    online = ok_json(data_dir, "sale", member["member_id"], "--amount", "1,000,000", "--redeem", "20")
    assert online["points_redeemed"] == 20  # authorised by the server there and then
    club_server.process.stop()
    offline = bashgah(data_dir, "sale", member["member_id"], "--amount", "1,000,000", "--redeem", "80")
    assert offline.returncode == 2 and "a manager can override" in offline.stderr
    overridden = ok_json(
        data_dir, "sale", member["member_id"], "--amount", "1,000,000", "--redeem", "80",
        "--override-staff", MANAGER_NAME, "--override-pin", MANAGER_PIN, "--override-reason", "a regular",
    )  # fmt: skip
    assert len(overridden["entry_ids"]) == 3
    down = bashgah(data_dir, "sync", "--once", "--json")
    assert down.returncode == 2 and json.loads(down.stdout)["error"] == "server_unreachable"
    club_server.process.start()
    again = ok_json(data_dir, "sync", "--once")
    assert again["pushed"] == 5 and again["error"] is None  # the online sale's 2 entries, the override's 3
    assert ok_json(data_dir, "sync", "status")["synced"]


def test_a_data_folder_with_a_club_is_not_enrolled(tmp_path):
    data_dir = tmp_path / "demo"
    make_club(data_dir).db.close()
    for lang, words in (("en", "already belongs to a club"), ("fa", "از قبل متعلق به یک باشگاه")):
        args = ("enroll", "--server", "http://127.0.0.1:9", "--code", "ABCD-EFGH")
        result = bashgah(data_dir, *args, lang=lang)
        assert result.returncode == 2 and words in result.stderr
    assert not token_path(data_dir).exists()


def test_a_wrong_code_and_an_absent_server_are_said_plainly(club_server, tmp_path):
    wrong = bashgah(tmp_path / "a", "enroll", "--server", club_server.url, "--code", "WRONG-CODE-1")
    assert wrong.returncode == 2 and "did not accept the enrolment code" in wrong.stderr
    absent = bashgah(tmp_path / "b", "enroll", "--server", "http://127.0.0.1:9", "--code", "ABCD-EFGH")
    assert absent.returncode == 2 and "cannot be reached" in absent.stderr
    assert not token_path(tmp_path / "a").exists() and not token_path(tmp_path / "b").exists()
    again = bashgah(tmp_path / "a", "enroll", "--server", club_server.url, "--code", club_server.code())
    assert again.returncode == 0, again.stderr  # a refused attempt leaves the folder empty
