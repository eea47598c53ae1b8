# SPDX-License-Identifier: GPL-3.0-or-later
"""Erasure end to end: a real club server process and two tills' data folders. The member (enrolled with a
photo, sold to at both tills) is exported, then erased on the server; after one sync round neither till's
SQLite file, write-ahead log included, holds their name, phone or photo, `bashgah ledger verify` passes on
both and the server's chains hold."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, change_photo, enroll_member
from app.services.photos import demo_photo
from app.store import ledger, members
from sync.server import chains
from sync.server.db import Database as ServerDatabase
from tests.integration.sync.conftest import ClubServer

NAME = "مریم احمدی‌نژاد"
PHONE = "09121234567"


def bashgah(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def file_bytes(data_dir: Path) -> dict[str, bytes]:
    """The terminal's SQLite file and its companions (-wal, -shm) as they are on disk."""
    return {p.name: p.read_bytes() for p in sorted(data_dir.glob("bashgah.sqlite3*"))}


def erase_everywhere(server: ClubServer, tmp_path: Path) -> None:
    till_1, client_1 = server.enroll(tmp_path / "till-1")
    till_2, client_2 = server.enroll(tmp_path / "till-2", branch="ISF")
    photo, newer_photo = demo_photo(5, 200), demo_photo(6, 200)
    request = EnrollRequest(name=NAME, phone=PHONE, birth_date=date(1990, 5, 17), national_id="0499370899",
                            consent_marketing=True, photo_jpeg=photo)  # fmt: skip
    member = enroll_member(till_1, request).member
    record_sale(till_1, SaleRequest(member.id, 30_000_000))
    assert client_1.sync_round().ok
    assert client_2.sync_round().ok  # till 2 holds the member and downloads the photo
    record_sale(till_2, SaleRequest(member.id, 2_000_000))
    assert client_2.sync_round().ok and client_1.sync_round().ok
    with till_2.db.read() as conn:
        assert members.photo(conn, member.id) == photo
    change_photo(till_1, member.id, newer_photo)  # taken at till 1, not yet uploaded when the club erases
    for till in (till_1, till_2):
        assert NAME.encode() in b"".join(file_bytes(till.data_dir).values())  # the test could see a leak
    with till_1.db.read() as conn:
        held = sorted(e.id for e in ledger.member_entries(conn, member.id))
        points = ledger.balance(conn, member.id).points

    exported = server.admin("GET", f"/members/{member.id}/export")
    assert exported["member"]["name"] == NAME and sorted(e["id"] for e in exported["ledger"]) == held
    erasure = server.admin("POST", f"/members/{member.id}/erase", json={"why": "the member asked"})
    assert erasure["photos_deleted"] == 1 and len(erasure["cards_revoked"]) == 1

    secrets = {
        "name": NAME.encode(),
        "phone": b"+989121234567",
        "local phone": PHONE.encode(),
        "photo": photo[len(photo) // 2 : len(photo) // 2 + 64],
        "newer photo": newer_photo[len(newer_photo) // 2 : len(newer_photo) // 2 + 64],
    }
    for till, client in ((till_1, client_1), (till_2, client_2)):
        round_ = client.sync_round()
        assert round_.ok, round_.errors
        assert client.status().synced
        with till.db.read() as conn:
            erased = members.get(conn, member.id)
            assert erased is not None and erased.erased and erased.name == "—" and erased.birth_date is None
            assert erased.national_id_last4 is None and members.photo(conn, member.id) is None
            assert sorted(e.id for e in ledger.member_entries(conn, member.id)) == held  # the ledger stays
            assert ledger.balance(conn, member.id).points == points
        on_disk = file_bytes(till.data_dir)
        assert "bashgah.sqlite3" in on_disk
        leaks = [
            (f, what) for f, data in on_disk.items() for what, secret in secrets.items() if secret in data
        ]
        assert leaks == [], leaks
        verified = bashgah(till.data_dir, "ledger", "verify", "--json")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert json.loads(verified.stdout)["ok"] is True

    db = ServerDatabase(server.process.db_url)
    try:
        with db.read() as conn:
            assert chains.verify(conn) == []
    finally:
        db.dispose()
    after = server.admin("GET", f"/members/{member.id}/export")
    assert after["erased_at_us"] and sorted(e["id"] for e in after["ledger"]) == held


def test_an_erased_member_leaves_every_till_and_the_ledgers_hold(club_server, tmp_path):
    erase_everywhere(club_server, tmp_path)


def test_an_erased_member_leaves_every_till_with_a_server_on_postgresql(postgres_club_server, tmp_path):
    erase_everywhere(postgres_club_server, tmp_path)
