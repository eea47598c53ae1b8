# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah` as a newcomer meets it (issue 20, part 7): Jalali times, refusals a script can read with
--json, the event a manager means, no reader said plainly, nothing made by a read, a broken ledger entry
named with the member it touches, Persian that is Persian.

Run in this process through `app.cli.main` (a subprocess pays seconds of imports each time; test_cli.py
runs the installed command as a script would)."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.cli import main
from app.services.enroll import EnrollRequest, enroll_member
from app.services.staff_auth import hash_pin
from app.store import club
from app.store.database import DB_FILENAME
from tests.integration.test_door import HOST
from tests.support.club import MANAGER, MANAGER_PIN, make_club

PHONE = "09121112233"
OTHER_PHONE = "09124445566"
MANAGER_ARGS = ("--staff", MANAGER.name, "--pin", MANAGER_PIN)
HOST_PIN = "4321"


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    terminal = make_club(directory)
    with terminal.db.write() as conn:
        club.put_staff(conn, HOST, hash_pin(HOST_PIN))
    enroll_member(terminal, EnrollRequest(name="مریم احمدی", phone=PHONE))
    enroll_member(terminal, EnrollRequest(name="Omid Karimi", phone=OTHER_PHONE))
    terminal.db.close()
    return directory


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BASHGAH_LANG", "en")

    def invoke(data_dir: Path, *args: str) -> Ran:
        capsys.readouterr()
        try:
            code = main(["--data-dir", str(data_dir), *args])
        except SystemExit as exit_:  # argparse's own refusals
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return Ran(code, out, err)

    return invoke


def json_error(ran: Ran, code: str) -> str:
    """A --json refusal: one error object on stdout, nothing on stderr, a non-zero exit."""
    assert ran.code == 2 and ran.err == "", (ran.code, ran.out, ran.err)
    error = json.loads(ran.out)["error"]
    assert error["code"] == code and error["exit"] == 2, error
    return str(error["message"])


def test_an_event_takes_jalali_or_gregorian_times_and_refuses_impossible_ones(data_dir, run):
    made = run(data_dir, "event", "create", "--name", "Yalda", "--starts", "۱۴۰۵/۰۹/۳۰T18:00+03:30",
               "--ends", "1405-09-30T23:30+03:30", *MANAGER_ARGS, "--json")  # fmt: skip
    assert made.code == 0, made
    event = json.loads(made.out)
    assert event["starts_at"] == "2026-12-21T14:30:00.000000Z"
    assert event["ends_at"] == "2026-12-21T20:00:00.000000Z"
    gregorian = run(data_dir, "event", "create", "--name", "B", "--starts", "2026-12-21T18:00Z",
                    "--ends", "2026-12-22", *MANAGER_ARGS, "--json")  # fmt: skip
    assert json.loads(gregorian.out)["starts_at"] == "2026-12-21T18:00:00.000000Z"
    for bad in ("1405-13-01T18:00", "1405/12/31T18:00", "1969-12-31T23:00Z", "1405-09-30T25:00", "tomorrow"):
        ran = run(data_dir, "event", "create", "--name", "X", "--starts", bad, "--ends", "2026-12-22",
                  *MANAGER_ARGS, "--json")  # fmt: skip
        assert bad in json_error(ran, "invalid_time")


def test_json_refusals_are_one_error_object(data_dir, run):
    message = json_error(run(data_dir, "sale", "0999", "--amount", "5", "--json"), "unknown_member")
    assert "0999" in message
    assert "--amount" in json_error(run(data_dir, "sale", PHONE, "--json"), "invalid_arguments")
    plain = run(data_dir, "sale", "0999", "--amount", "5")  # without --json: one line on stderr, as before
    assert plain.code == 2 and plain.out == "" and plain.err.startswith("bashgah: No member")


def test_invite_after_create_asks_which_event_instead_of_taking_the_open_one(data_dir, run):
    open_now = run(data_dir, "event", "create", "--name", "Open now", "--starts", "2020-01-01T18:00",
                   "--ends", "2099-01-01T00:00", *MANAGER_ARGS, "--json")  # fmt: skip
    made = run(data_dir, "event", "create", "--name", "Next week", "--starts", "2098-01-01T18:00",
               "--ends", "2098-01-01T23:00", *MANAGER_ARGS, "--json")  # fmt: skip
    open_id, new_id = json.loads(open_now.out)["id"], json.loads(made.out)["id"]
    message = json_error(run(data_dir, "event", "invite", PHONE, *MANAGER_ARGS, "--json"), "name_the_event")
    assert open_id in message and new_id in message
    invited = run(data_dir, "event", "invite", PHONE, "--event", new_id, *MANAGER_ARGS, "--json")
    assert invited.code == 0 and json.loads(invited.out)["event_id"] == new_id
    said = run(data_dir, "event", "create", "--name", "C", "--starts", "2097-01-01T18:00",
               "--ends", "2097-01-01T23:00", *MANAGER_ARGS)  # fmt: skip
    assert "--event" in said.out  # the text says how to invite to it


def test_the_door_asks_for_a_host_not_a_manager(data_dir, run):
    ran = run(data_dir, "door", "admit", "--member", PHONE)
    assert ran.code == 2 and "host" in ran.err and "needs a manager" not in ran.err
    manager_job = run(data_dir, "door", "undo", "x", "--reason", "r")
    assert "manager" in manager_job.err


def test_a_read_only_command_on_an_empty_folder_makes_nothing(tmp_path: Path, run):
    empty = tmp_path / "nothing-here"
    for command in (("member", "show", PHONE), ("ledger", "verify"), ("event", "list"), ("sync", "status")):
        ran = run(empty, *command, "--json")
        json_error(ran, "club_not_set_up")
    assert not empty.exists()
    empty.mkdir()
    assert run(empty, "member", "show", PHONE).code == 2
    assert list(empty.iterdir()) == []


def test_an_edited_entry_is_named_with_the_member_it_touches_not_every_member_after_it(data_dir, run):
    first = json.loads(run(data_dir, "sale", PHONE, "--amount", "1000000", "--json").out)
    for phone in (OTHER_PHONE, PHONE, OTHER_PHONE):  # later entries on the same chain, two members
        assert run(data_dir, "sale", phone, "--amount", "2000000").code == 0
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        conn.execute("DROP TRIGGER ledger_entry_no_update")
        conn.execute("UPDATE ledger_entry SET points_delta = 500 WHERE id = ?", (first["sale_id"],))
    report = json.loads(run(data_dir, "ledger", "verify", "--json").out)
    assert report["first_bad"]["entry_id"] == first["sale_id"]
    assert report["first_bad"]["touches"] == [first["member_id"]]
    assert report["mismatches"] == [] and report["balances_checked"] is False
    text = run(data_dir, "ledger", "verify")
    assert text.code == 1 and first["sale_id"] in text.out and first["member_id"] in text.out


def test_no_nfc_reader_is_said_to_be_unavailable(data_dir, run):
    ran = run(data_dir, "card", "read", "--reader", "nfc", "--timeout", "60", "--json")
    assert "nfc" in json_error(ran, "reader_unavailable")  # at once, not after the minute


def test_persian_output_has_jalali_dates_persian_digits_and_persian_words(data_dir, run):
    assert run(data_dir, "sale", PHONE, "--amount", "1500000").code == 0
    shown = run(data_dir, "member", "show", PHONE, "--lang", "fa")
    assert shown.code == 0
    today = datetime.now(UTC).astimezone()
    jalali_time = r"۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2} [۰-۹]{2}:[۰-۹]{2}"  # Jalali, in Persian digits
    assert re.search(jalali_time, shown.out), shown.out
    assert str(today.year) not in shown.out  # no Gregorian year
    assert "کسب امتیاز" in shown.out and "earn" not in shown.out
    assert "فعال" in shown.out and "active" not in shown.out
    assert "·" not in shown.out  # a middle dot between Persian numbers reads as a zero
    assert not re.search(r"\s[+-][0-9]", shown.out)  # signed amounts in Persian digits (the phone stays)
    readers = run(data_dir, "readers", "--reader", "nfc", "--timeout", "5", "--lang", "fa")
    assert "در دسترس نیست" in readers.out and "unavailable" not in readers.out
    listed = run(data_dir, "event", "create", "--name", "G", "--starts", "1405/09/30T18:00",
                 "--ends", "1405/09/30T23:00", *MANAGER_ARGS)  # fmt: skip
    assert listed.code == 0
    events = run(data_dir, "event", "list", "--lang", "fa")
    assert "۱۴۰۵/۰۹/۳۰ ۱۸:۰۰" in events.out
    english = json.loads(run(data_dir, "member", "show", PHONE, "--lang", "fa", "--json").out)
    assert english["recent"][0]["kind"] == "earn"  # codes stay codes in --json
