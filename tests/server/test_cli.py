# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah-server`: one-line errors, exit codes, --json output.

Most cases call the command's `main` in this process (a subprocess pays seconds of imports each time);
the first runs the installed entry point in a subprocess, as an operator would.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sync.server.app import create_app
from sync.server.cli import main
from sync.server.db import Database
from sync.server.migrate import head_revision
from tests.server.club import install_club
from tests.server.conftest import BACKENDS
from tests.support.server_process import server_command


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]):
    """run(*args) → what `bashgah-server ARGS` exits with and prints, run in this process."""

    def invoke(*args: str) -> Ran:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse refuses before main runs
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return invoke


@pytest.fixture
def ok_json(run):
    def invoke(*args: str) -> dict:
        result = run(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    return invoke


def refused(result: Ran, code: int, words: str) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bashgah-server: ") and words in lines[0], result.stderr


def test_the_installed_command_upgrades_a_database_once(tmp_path: Path, ok_json):
    url = f"sqlite:///{tmp_path / 'new' / 'club.sqlite3'}"
    command = [*server_command(), "--db", url, "db", "upgrade", "--json"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(first.stdout)
    assert result["revision"] == head_revision() and "grant_ttl_s" in result["settings_added"]
    assert ok_json("--db", url, "db", "upgrade")["settings_added"] == []


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    cluster = request.getfixturevalue("postgres")
    url = cluster.create_database()
    try:
        yield url
    finally:
        cluster.drop_database(url)


def test_commands_refuse_a_database_that_is_not_upgraded_until_it_is(empty_db_url: str, run, ok_json):
    refused(run("--db", empty_db_url, "serve", "--port", "1"), 2, "db upgrade")
    refused(run("--db", empty_db_url, "enrollment-code", "--branch", "THR"), 2, "not upgraded")
    refused(run("--db", empty_db_url, "admin", "create", "--name", "x", "--role", "admin"), 2, "not upgraded")
    assert ok_json("--db", empty_db_url, "db", "upgrade")["revision"] == head_revision()
    assert ok_json("--db", empty_db_url, "db", "upgrade")["settings_added"] == []


def test_bad_urls_and_unreachable_databases(run):
    refused(run("--db", "nonsense", "db", "upgrade"), 2, "not a database URL")
    refused(run("--db", "mysql://x@y/z", "db", "upgrade"), 2, "unsupported database")
    refused(run("--db", "sqlite://", "db", "upgrade"), 2, "in-memory")
    nowhere = "postgresql+psycopg://nobody@/none?host=/nonexistent&connect_timeout=2"
    refused(run("--db", nowhere, "db", "upgrade"), 3, "cannot use the database")
    refused(run("--db", nowhere.replace("postgresql+psycopg", "postgres"), "db", "upgrade"), 3, "cannot use")


def test_a_database_with_another_schema_is_refused(tmp_path: Path, run):
    other = tmp_path / "terminal.sqlite3"
    with sqlite3.connect(other) as conn:  # what a terminal's data file looks like to Alembic
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('9999')")  # no revision of the server's
    refused(run("--db", f"sqlite:///{other}", "db", "upgrade"), 2, "holds another schema")
    assert run("admin", "create", "--name", "x", "--role", "superuser").returncode == 2  # argparse


def test_enrollment_codes_and_admin_tokens(db_url: str, run, ok_json):
    ok_json("--db", db_url, "db", "upgrade")
    database = Database(db_url)
    install_club(database)
    code = ok_json("--db", db_url, "enrollment-code", "--branch", "THR", "--ttl-hours", "2")
    assert code["branch"] == "THR" and len(code["code"]) == 14
    plain = run("--db", db_url, "enrollment-code", "--branch", "ISF")
    assert plain.returncode == 0 and len(plain.stdout.strip()) == 14 and "one use" in plain.stderr
    refused(run("--db", db_url, "enrollment-code", "--branch", "NOPE"), 2, "no branch with code 'NOPE'")
    refused(run("--db", db_url, "enrollment-code", "--branch", "THR", "--ttl-hours", "0"), 2, "ttl_hours")
    token = ok_json("--db", db_url, "admin", "create", "--name", "Leila", "--role", "viewer")
    assert token["role"] == "viewer" and token["token"].startswith("bga_")
    with TestClient(create_app(database)) as client:
        auth = {"Authorization": f"Bearer {token['token']}"}
        assert client.get("/v1/admin/branches", headers=auth).status_code == 200
        assert (
            client.put("/v1/admin/settings/grant_ttl_s", json={"value": "60"}, headers=auth).status_code
            == 403
        )
        enrolled = client.post("/v1/enroll", json={"code": code["code"]})
        assert enrolled.status_code == 200 and enrolled.json()["device_code"] == "THR-01"
    database.dispose()


def test_admin_tokens_are_listed_without_their_secret_and_revoked_at_once(db_url: str, run, ok_json):
    ok_json("--db", db_url, "db", "upgrade")
    database = Database(db_url)
    install_club(database)
    leila = ok_json("--db", db_url, "admin", "create", "--name", "Leila", "--role", "admin")
    reza = ok_json("--db", db_url, "admin", "create", "--name", "Reza", "--role", "viewer")
    listed = ok_json("--db", db_url, "admin", "list")["tokens"]
    assert [(t["name"], t["role"], t["revoked_at_us"]) for t in listed] == [
        ("Leila", "admin", None), ("Reza", "viewer", None),
    ]  # fmt: skip
    assert "bga_" not in json.dumps(listed)
    with TestClient(create_app(database)) as client:
        auth = {"Authorization": f"Bearer {reza['token']}"}
        assert client.get("/v1/admin/branches", headers=auth).status_code == 200
        revoked = ok_json("--db", db_url, "admin", "revoke", reza["id"])
        assert revoked["name"] == "Reza" and revoked["revoked_at_us"]
        assert client.get("/v1/admin/branches", headers=auth).status_code == 401  # at once
        leila_auth = {"Authorization": f"Bearer {leila['token']}"}
        assert client.get("/v1/admin/branches", headers=leila_auth).status_code == 200  # the others go on
        audit = client.get("/v1/admin/audit", headers=leila_auth).json()
    assert ok_json("--db", db_url, "admin", "revoke", reza["id"])["revoked_at_us"] == revoked["revoked_at_us"]
    refused(run("--db", db_url, "admin", "revoke", "no-such-id"), 2, "no admin token with id 'no-such-id'")
    human = run("--db", db_url, "admin", "list")
    assert human.returncode == 0 and "revoked" in human.stdout and "active" in human.stdout
    assert "revoke_admin_token" in json.dumps(audit, ensure_ascii=False)
    database.dispose()


def test_demo_seed_if_empty(tmp_path: Path, run, ok_json):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    ok_json("--db", url, "db", "upgrade")
    human = run("--db", url, "demo", "seed", "--members", "15")
    assert human.returncode == 0, human.stderr
    assert "demo club: 15 members" in human.stdout and "PIN" in human.stdout
    assert ok_json("--db", url, "demo", "seed", "--if-empty") == {
        "seeded": False,
        "reason": "the database already holds a club",
    }
    refused(run("--db", url, "demo", "seed"), 2, "already holds a club")


# ---- as a newcomer meets it (issue 20, part 7) -----------------------------------------------------


@pytest.fixture
def club_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "server.sqlite3"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    install_club(database)
    database.dispose()
    return f"sqlite:///{path}"


def test_event_times_in_jalali_or_gregorian_and_refusals_naming_the_option(club_url: str, run, ok_json):
    made = ok_json("--db", club_url, "event", "create", "--name", "Yalda",
                   "--starts", "۱۴۰۵/۰۹/۳۰T18:00+03:30", "--ends", "1405-09-30T23:30+03:30")  # fmt: skip
    assert made["starts_at_us"] == 1_797_863_400_000_000  # 2026-12-21T14:30Z
    gregorian = ok_json("--db", club_url, "event", "create", "--name", "B", "--starts", "2026-12-21T14:30Z",
                        "--ends", "2026-12-21T20:00Z")  # fmt: skip
    assert gregorian["starts_at_us"] == made["starts_at_us"]
    refused(run("--db", club_url, "event", "create", "--name", "X", "--starts", "1405-13-01T18:00",
                "--ends", "2026-12-22"), 2, "--starts: '1405-13-01T18:00' is not a time")  # fmt: skip
    before_1970 = run("--db", club_url, "event", "create", "--name", "X", "--starts", "1348/01/01",
                      "--ends", "2026-12-22")  # fmt: skip
    refused(before_1970, 2, "--starts")
    assert "starts-at-us" not in before_1970.stderr
    backwards = run("--db", club_url, "event", "create", "--name", "X", "--starts", "2026-12-22",
                    "--ends", "2026-12-21")  # fmt: skip
    assert backwards.returncode == 2 and "_us" not in backwards.stderr and "-us" not in backwards.stderr


def test_inviting_an_unknown_phone_is_not_a_success(club_url: str, run, ok_json):
    event = ok_json("--db", club_url, "event", "create", "--name", "Gala", "--starts", "2026-12-21T18:00",
                    "--ends", "2026-12-21T23:00")  # fmt: skip
    ran = run("--db", club_url, "event", "invite", event["id"], "--phone", "09129999999")
    assert ran.returncode == 2 and "unknown member" in ran.stdout
    as_json = run("--db", club_url, "event", "invite", event["id"], "--phone", "09129999999", "--json")
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["results"][0]["outcome"] == "unknown_member"


def test_json_refusals_are_one_error_object_on_stdout(club_url: str, run):
    ran = run("--db", club_url, "event", "show", "not-an-id", "--json")
    assert ran.returncode == 2 and ran.stderr == ""
    error = json.loads(ran.stdout)["error"]
    assert error["code"] == "refused" and "not an event id" in error["message"] and error["exit"] == 2
    plain = run("--db", club_url, "event", "show", "not-an-id")
    refused(plain, 2, "not an event id")
