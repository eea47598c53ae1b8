# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah doctor` as support runs it, with each problem made real: a demo club that is well, a database
whose pages are overwritten, a ledger entry whose hash was edited, pcscd stopped, a printer that is off, a
real club server process stopped, a terminal the club office revoked, a crash report in the log folder."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.services.demo import seed_demo
from app.store.database import DB_FILENAME, Database
from tests.integration.sync.conftest import ClubServer, club_server, server_template  # noqa: F401
from tests.support.pcscd import Pcscd, pcscd_fixture, unavailable  # noqa: F401

NAMES = [
    "version", "data_dir", "database", "ledger", "pcsc", "nfc", "readers", "printer", "server",
    "revocations", "chip_keys", "logs",
]  # fmt: skip
ENROLLED_NAMES = [*NAMES[:9], "clock", "sync", "revocations", "chip_keys", "logs"]


def doctor(data_dir: Path, *args: str, lang: str = "en", timeout: float = 2.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "doctor", "--data-dir", str(data_dir), "--timeout", str(timeout),
         *args],
        check=False, capture_output=True, text=True, timeout=120,
        env={**os.environ, "BASHGAH_LANG": lang},
    )  # fmt: skip


def report(data_dir: Path, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    result = doctor(data_dir, "--json", **kwargs)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in data["checks"]}


@pytest.fixture(autouse=True)
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv("BASHGAH_LOG_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("doctor-demo") / "data"
    seed_demo(data_dir, members=12)
    db = Database(data_dir / DB_FILENAME)
    assert db.forget_deleted()  # everything in the file itself: a copy is whole, and pages are the data
    db.close()
    return data_dir


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo_template, tmp_path / "demo"))


def raw(data_dir: Path) -> sqlite3.Connection:
    """The file as someone editing it by hand would have it."""
    conn = sqlite3.connect(data_dir / DB_FILENAME, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update")
    return conn


# ---- the demo, well ---------------------------------------------------------------------------------


def test_a_well_demo_passes_and_json_names_every_check(demo: Path) -> None:
    code, data = report(demo)
    assert code == 0 and data["ok"] is True and data["terminal"] == "local"
    assert [c["name"] for c in data["checks"]] == NAMES
    for check in data["checks"]:
        assert set(check) == {"name", "status", "detail", "fix", "data"}
        assert check["status"] in ("ok", "warning")  # a demo without a reader or pcscd is still fine
        assert check["detail"] and (check["fix"] is None) == (check["status"] == "ok")
    checks = by_name(data)
    assert checks["database"]["status"] == checks["ledger"]["status"] == "ok"
    assert checks["ledger"]["data"]["entries"] > 0
    assert checks["server"]["status"] == "ok" and "no club server needed" in checks["server"]["detail"]
    assert checks["data_dir"]["data"]["free_mb"] > 0
    assert checks["logs"]["data"]["log_dir"] == os.environ["BASHGAH_LOG_DIR"]


def test_the_text_says_one_line_per_check_in_persian(demo: Path) -> None:
    result = doctor(demo, lang="fa")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(NAMES) + 1
    assert all(line[0] in "✓!" for line in lines[:-1])
    assert "دفتر سالم است" in result.stdout and lines[-1] == "هر آنچه لازم است درست است."


def test_no_club_is_a_problem_and_nothing_is_created(tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    code, data = report(empty)
    assert code == 1 and data["terminal"] == "none"
    assert by_name(data)["database"]["status"] == "problem"
    assert "demo seed" in by_name(data)["database"]["fix"]
    assert not empty.exists()


# ---- a damaged database -----------------------------------------------------------------------------


def test_overwritten_pages_are_reported_not_crashed_on(demo: Path) -> None:
    path = demo / DB_FILENAME
    page = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    size = path.stat().st_size
    with path.open("r+b") as file:  # a disk that lost some sectors: pages in the middle turn to noise
        for n in range(2, size // page, 3):
            file.seek(n * page)
            file.write(bytes((n * 37 + i) % 251 for i in range(page)))
    code, data = report(demo)
    checks = by_name(data)
    assert code == 1 and data["ok"] is False
    assert checks["database"]["status"] == "problem" and "damaged" in checks["database"]["detail"]
    assert "Do not sell" in checks["database"]["fix"]
    assert checks["ledger"]["status"] == "warning" and "Not checked" in checks["ledger"]["detail"]
    assert [c["name"] for c in data["checks"]] == NAMES  # every check still answers


def test_a_database_held_by_another_program_is_not_called_damaged(demo: Path) -> None:
    holder = sqlite3.connect(demo / DB_FILENAME, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        code, data = report(demo, timeout=0.5)
    finally:
        holder.close()
    database = by_name(data)["database"]
    assert code == 1 and database["status"] == "problem"
    assert "held by another program" in database["detail"] and "Close other" in database["fix"]


def test_an_edited_ledger_entry_breaks_its_chain(demo: Path) -> None:
    with raw(demo) as conn:
        entry_id, device_id = conn.execute(
            "SELECT id, device_id FROM ledger_entry ORDER BY device_seq LIMIT 1 OFFSET 3"
        ).fetchone()
        conn.execute("UPDATE ledger_entry SET hash = ? WHERE id = ?", ("0" * 64, entry_id))
    code, data = report(demo)
    checks = by_name(data)
    assert code == 1
    assert checks["database"]["status"] == "ok"  # the file is sound; what it says is not
    assert checks["ledger"]["status"] == "problem" and checks["ledger"]["data"]["device"] == device_id
    assert "ledger verify" in checks["ledger"]["fix"]


def test_balances_that_differ_from_the_ledger_are_fixed_by_a_rebuild(demo: Path) -> None:
    with raw(demo) as conn:
        conn.execute("UPDATE member_balance SET points = points + 7 WHERE rowid = 1")
    code, data = report(demo)
    ledger = by_name(data)["ledger"]
    assert code == 1 and ledger["status"] == "problem" and "ledger rebuild" in ledger["fix"]


# ---- readers ----------------------------------------------------------------------------------------


def enrolled_offline(data_dir: Path) -> None:
    """Marks the demo as a branch's terminal (enrolled), with a server that is nowhere."""
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        conn.execute("INSERT INTO setting (key, value) VALUES ('sync_server_url', 'http://127.0.0.1:9')")


def test_pcscd_stopped(demo: Path, pcscd: Pcscd, tmp_path: Path) -> None:
    if not pcscd.started_here:
        unavailable("the running pcscd was not started by the tests, so they may not stop it")
    branch = Path(shutil.copytree(demo, tmp_path / "branch"))
    enrolled_offline(branch)
    _code, up = report(demo)
    assert by_name(up)["pcsc"]["status"] == "ok"
    assert any(name.startswith("Virtual PCD") for name in by_name(up)["readers"]["data"]["readers"])
    try:
        pcscd.stop()
        code, down = report(demo)
        pcsc, readers = by_name(down)["pcsc"], by_name(down)["readers"]
        assert "pcscd" in pcsc["detail"] and "not running" in pcsc["detail"]
        assert "systemctl" in pcsc["fix"]
        assert code == 0 and pcsc["status"] == readers["status"] == "warning"  # the demo needs no reader
        started = time.monotonic()
        code, branch_down = report(branch)
        assert time.monotonic() - started < 30  # nothing waited unbounded on the missing service
        assert code == 1
        checks = by_name(branch_down)
        assert checks["pcsc"]["status"] == checks["readers"]["status"] == "problem"
    finally:
        pcscd.ensure_running()


# ---- the printer ------------------------------------------------------------------------------------


def set_printer(data_dir: Path, setting: str) -> None:
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        conn.execute(
            "INSERT INTO setting (key, value) VALUES ('receipt_printer', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (setting,),
        )


def test_a_network_printer_is_opened_without_printing(demo: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as printer:
        port = printer.getsockname()[1]
        set_printer(demo, f"network:127.0.0.1:{port}")
        code, data = report(demo)
        assert code == 0 and by_name(data)["printer"]["status"] == "ok"
        printer.settimeout(5)
        connection, _ = printer.accept()
        with connection:
            connection.settimeout(5)
            assert connection.recv(100) == b""  # connected, closed, sent nothing
    code, data = report(demo)  # the printer is off now
    printer_check = by_name(data)["printer"]
    assert code == 1 and printer_check["status"] == "problem"
    assert "cannot be opened" in printer_check["detail"] and "plugged in" in printer_check["fix"]


def test_a_usb_printer_that_is_not_there_and_a_setting_that_is_wrong(demo: Path) -> None:
    set_printer(demo, "file:/dev/usb/lp-not-here")
    assert by_name(report(demo)[1])["printer"]["data"]["error"] == "no such device"
    set_printer(demo, "parallel:LPT1")
    code, data = report(demo)
    assert code == 1 and "names no printer" in by_name(data)["printer"]["detail"]


# ---- the club server --------------------------------------------------------------------------------


def test_server_reachable_then_down_then_revoked(club_server: ClubServer, tmp_path: Path) -> None:  # noqa: F811
    data_dir = tmp_path / "till"
    terminal, _client = club_server.enroll(data_dir)
    code, data = report(data_dir)
    checks = by_name(data)
    assert data["terminal"] == "enrolled" and [c["name"] for c in data["checks"]] == ENROLLED_NAMES
    assert checks["server"]["status"] == "ok" and club_server.url in checks["server"]["detail"]
    assert checks["clock"]["status"] == "ok" and abs(checks["clock"]["data"]["difference_s"]) <= 5
    assert checks["sync"]["status"] == "ok" and checks["sync"]["data"]["backlog"] == 0
    assert checks["revocations"]["status"] == "ok" and checks["revocations"]["data"]["hours"] == 0
    assert checks["printer"]["status"] == "warning"  # a branch may do without, but should know

    club_server.process.stop()
    started = time.monotonic()
    code, data = report(data_dir)
    assert time.monotonic() - started < 30
    checks = by_name(data)
    assert code == 1 and checks["server"]["status"] == "problem"
    assert "cannot be reached" in checks["server"]["detail"] and "network" in checks["server"]["fix"]
    assert checks["clock"]["status"] == "ok" and "last contact" in checks["clock"]["detail"]

    club_server.process.start()
    club_server.admin("POST", f"/devices/{terminal.device_id}/revoke")
    code, data = report(data_dir)
    server = by_name(data)["server"]
    assert code == 1 and server["status"] == "problem" and "revoked" in server["detail"]
    assert "enrol this terminal again" in server["fix"]


def test_a_server_that_never_answers_costs_the_timeout_not_more(demo: Path) -> None:
    from app.store.device_token import write_token

    with socket.create_server(("127.0.0.1", 0)) as silent:  # the kernel accepts; nobody ever answers
        with sqlite3.connect(demo / DB_FILENAME) as conn:
            conn.execute(
                "INSERT INTO setting (key, value) VALUES ('sync_server_url', ?)",
                (f"http://127.0.0.1:{silent.getsockname()[1]}",),
            )
        write_token(demo, "a-token-from-enrolment")
        started = time.monotonic()
        code, data = report(demo, timeout=1.0)
        elapsed = time.monotonic() - started
    server = by_name(data)["server"]
    assert (
        code == 1 and server["status"] == "problem" and server["data"]["answer"] == "unreachable: ReadTimeout"
    )
    assert elapsed < 15  # start-up plus one second for each bounded wait, not a hang


def test_a_stale_revocation_list_and_a_backlog(club_server: ClubServer, tmp_path: Path) -> None:  # noqa: F811
    data_dir = tmp_path / "till"
    terminal, _client = club_server.enroll(data_dir)
    four_days_ago = time.time_ns() // 1000 - 4 * 86_400 * 1_000_000
    with terminal.db.write() as conn:
        conn.exec_driver_sql(
            "UPDATE setting SET value = ? WHERE key IN ('revocations_as_of_us', 'sync_last_pull_us')",
            (str(four_days_ago),),
        )
    terminal.db.close()
    code, data = report(data_dir)
    checks = by_name(data)
    assert code == 1
    assert checks["revocations"]["status"] == "problem" and checks["revocations"]["data"]["hours"] >= 96
    assert "only earn" in checks["revocations"]["fix"]
    assert checks["sync"]["status"] == "warning" and "over a day" in checks["sync"]["fix"]


# ---- chip keys --------------------------------------------------------------------------------------


def test_the_wrap_key_s_place_and_the_chip_keys_held_are_said(
    club_server: ClubServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    from app.store import wrap_key

    assert by_name(report(tmp_path / "nothing")[1])["chip_keys"]["status"] == "warning"  # not checked
    data_dir = tmp_path / "till"
    terminal, _client = club_server.enroll(data_dir)
    terminal.db.close()
    private = wrap_key.load(data_dir)
    path = wrap_key.key_path(data_dir)
    _, data = report(data_dir)
    check = by_name(data)["chip_keys"]
    assert check["status"] == "ok" and check["data"]["store"] == "file" and check["data"]["mode"] == "0600"
    assert str(path) in check["detail"] and "0600" in check["detail"]
    assert "chip keys held" in check["detail"] and isinstance(check["data"]["generations"], dict)
    persian = doctor(data_dir, lang="fa").stdout
    assert "کلید بسته‌بندی" in persian and "کلیدهای تراشه" in persian

    path.chmod(0o644)
    _, data = report(data_dir)
    check = by_name(data)["chip_keys"]
    assert check["status"] == "warning" and "can be read by other users" in check["detail"]
    assert f"chmod 600 {path}" in check["fix"] and check["data"]["mode"] == "0644"
    fa = doctor(data_dir, lang="fa").stdout
    assert "کاربران دیگر" in fa and "chmod 600" in fa

    path.unlink()  # as a terminal enrolled before chip keys is
    _, data = report(data_dir)
    check = by_name(data)["chip_keys"]
    assert check["status"] == "warning" and "enrolled before chip keys" in check["detail"]
    assert "Enrol this terminal again" in check["fix"]
    for text in (json.dumps(data), doctor(data_dir).stdout):
        assert private.hex() not in text and base64.b64encode(private).decode() not in text


def test_a_demo_holds_no_chip_keys_and_needs_none(demo: Path) -> None:
    check = by_name(report(demo)[1])["chip_keys"]
    assert check["status"] == "ok" and "not enrolled" in check["detail"] and check["data"]["store"] == "none"


# ---- logs -------------------------------------------------------------------------------------------


def test_the_newest_crash_report_is_named(demo: Path, log_dir: Path) -> None:
    log_dir.mkdir()
    (log_dir / "crash-20261201T080000-10.txt").write_text("older\n", encoding="utf-8")
    os.utime(log_dir / "crash-20261201T080000-10.txt", (time.time() - 3600, time.time() - 3600))
    newest = log_dir / "crash-20261206T080000-11.txt"
    newest.write_text("Bashgah crash report\n", encoding="utf-8")
    code, data = report(demo)
    logs = by_name(data)["logs"]
    assert code == 0 and logs["status"] == "warning"  # worth sending, not a reason to stop selling
    assert logs["data"]["crash_report"] == str(newest) and str(newest) in logs["detail"]
    assert logs["data"]["log_file"] == str(log_dir / "bashgah.log")
