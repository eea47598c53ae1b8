# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah door …` and `bashgah event …`: the door's verdict for scripts, as the screen shows it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.services.cards import bind_card, prepare_card
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key
from app.services.staff_auth import hash_pin
from app.store import club
from tests.integration.test_cli import bashgah, ok_json, refused
from tests.integration.test_door import HOST
from tests.support.club import MANAGER, MANAGER_PIN, make_club

HOST_PIN = "4321"
HOST_ARGS = ("--staff", HOST.name, "--pin", HOST_PIN)
MANAGER_ARGS = ("--staff", MANAGER.name, "--pin", MANAGER_PIN)
UID = "04a1b2c3d4e5f6"
GUEST_PHONE = "09121112233"
STRANGER_PHONE = "09124445566"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    terminal = make_club(directory)
    with terminal.db.write() as conn:
        club.put_staff(conn, HOST, hash_pin(HOST_PIN))
    create_issuing_key(terminal, 1)
    guest = enroll_member(terminal, EnrollRequest(name="Sara Rahimi", phone=GUEST_PHONE)).member
    enroll_member(terminal, EnrollRequest(name="Omid Stranger", phone=STRANGER_PHONE))
    prepared = prepare_card(terminal, guest.id, staff=MANAGER, uid=bytes.fromhex(UID))
    bind_card(terminal, prepared.card.number, bytes.fromhex(UID))
    (tmp_path / "card.ndef").write_bytes(prepared.ndef)
    terminal.db.close()
    return directory


@pytest.fixture
def event_id(data_dir: Path) -> str:
    created = ok_json(
        data_dir,
        "event",
        "create",
        "--name",
        "Gala",
        "--starts",
        "2020-01-01T18:00+03:30",
        "--ends",
        "2099-01-01T00:00",
        "--capacity",
        "50",
        "--plus-ones",
        "1",
        *MANAGER_ARGS,
    )
    assert created["starts_at"] == "2020-01-01T14:30:00.000000Z" and created["capacity"] == 50
    invited = ok_json(data_dir, "event", "invite", GUEST_PHONE, *MANAGER_ARGS)
    assert invited["event_id"] == created["id"] and len(invited["invitations"]) == 1
    return created["id"]


def admit(data_dir: Path, *args: str) -> tuple[int, dict]:
    import json

    result = bashgah(data_dir, "door", "admit", *args, *HOST_ARGS, "--json")
    return result.returncode, json.loads(result.stdout)


def test_door_admit_by_card_then_already_inside(data_dir, event_id):
    card = str(data_dir.parent / "card.ndef")
    code, first = admit(data_dir, "--card-file", card, "--uid", UID)
    assert code == 0 and first["verdict"] == "admit"
    assert first["guest"]["name"] == "Sara Rahimi" and first["event"]["id"] == event_id
    assert first["counts"] == {"admitted": 1, "invited": 1, "capacity": 50}
    code, again = admit(data_dir, "--event", event_id, "--card-file", card, "--uid", UID)
    assert code == 2 and again["verdict"] == "already_inside"
    assert (
        again["check_in"]["entry_id"] == first["check_in"]["entry_id"] and again["check_in"]["door"] == "T1"
    )
    code, copied = admit(data_dir, "--card-file", card, "--uid", "04ffffffffffff")
    assert code == 2 and copied["verdict"] == "card_refused" and copied["reason"] == "card_uid_mismatch"
    assert "card" in copied["message"].lower()


def test_door_admit_a_member_and_a_plus_one_and_list(data_dir, event_id, tmp_path):
    code, stranger = admit(data_dir, "--member", STRANGER_PHONE)
    assert code == 2 and stranger["verdict"] == "not_invited" and stranger["message"]
    code, guest = admit(data_dir, "--member", GUEST_PHONE)
    assert code == 0 and guest["verdict"] == "admit"
    code, plus = admit(data_dir, "--member", GUEST_PHONE, "--plus-one")
    assert code == 0 and plus["check_in"]["plus_one"] and plus["counts"]["admitted"] == 2
    out = tmp_path / "attendance.csv"
    listed = ok_json(data_dir, "door", "list", "--csv", str(out))
    assert [g["name"] for g in listed["guests"]] == ["Sara Rahimi"]
    assert listed["guests"][0]["plus_ones_admitted"] == 1 and listed["counts"]["admitted"] == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["name"] == "Sara Rahimi" and rows[0]["door"] == "T1" and rows[0]["admitted_at_utc"]
    undone = ok_json(
        data_dir, "door", "undo", guest["check_in"]["entry_id"], "--reason", "wrong face", *MANAGER_ARGS
    )
    assert undone["undoes"] == guest["check_in"]["entry_id"]
    assert ok_json(data_dir, "door", "list")["counts"]["admitted"] == 1  # the plus-one is still inside


def test_an_invitation_qr_from_the_command_line_admits(data_dir, event_id, tmp_path):
    png = tmp_path / "invite.png"
    made = ok_json(data_dir, "event", "qr", "--member", GUEST_PHONE, "--png", str(png), *MANAGER_ARGS)
    assert made["text"].startswith("BGI1:") and png.stat().st_size > 200
    code, result = admit(data_dir, "--qr", made["text"])
    assert code == 0 and result["verdict"] == "admit"


def test_refusals_are_one_clear_line(data_dir, event_id):
    assert "ask a manager" in refused(data_dir, "door", "undo", event_id, "--reason", "x", *HOST_ARGS).lower()
    assert "event" in refused(
        data_dir, "door", "admit", "--event", MANAGER.id, "--member", GUEST_PHONE, *HOST_ARGS
    )
    assert "2026-12-21T18:00" in refused(
        data_dir, "event", "create", "--name", "X", "--starts", "tomorrow", "--ends", "later", *MANAGER_ARGS
    )


def test_no_open_event_says_so(data_dir):
    assert (
        "no event is open" in refused(data_dir, "door", "admit", "--member", GUEST_PHONE, *HOST_ARGS).lower()
    )
