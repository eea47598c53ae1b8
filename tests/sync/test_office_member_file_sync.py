# SPDX-License-Identifier: GPL-3.0-or-later
"""What the club office does from a member's file reaches real terminals (a server process, terminals
enrolled and syncing through the real client):

- a points adjustment, written in the server's own chain, is pulled by every terminal: the balances agree
  with the server's and `ledger verify` passes at each terminal;
- a QR card the server issues is accepted offline by a terminal that pulled its card and key, and refused
  as revoked once the office marks it lost and the terminal pulls again.
"""

from __future__ import annotations

import time
from pathlib import Path

from app.domain.ledger import EntryKind
from app.services.cards import identify_card
from app.services.checkout import SaleRequest, record_sale
from app.services.ledger_check import verify_ledger
from app.store import ledger
from sync.server.club import member_file
from sync.server.club.access import Actor
from sync.server.club.act import Call
from sync.server.db import Database as ServerDatabase
from tests.integration.sync.conftest import THR, ClubServer

OFFICE = Actor(id="office-1", name="office", role="owner")


def test_an_office_adjustment_and_qr_card_reach_the_terminals(
    club_server: ClubServer, tmp_path: Path
) -> None:
    member = club_server.admin("POST", "/members", json={"name": "Office Test", "phone": "09127100001",
                                                         "branch_id": THR})["id"]  # fmt: skip
    thr, client_thr = club_server.enroll(tmp_path / "thr", "THR")
    isf, client_isf = club_server.enroll(tmp_path / "isf", "ISF")
    record_sale(thr, SaleRequest(member, 10_000_000))  # 100 points at THR
    assert client_thr.sync_round().ok

    db = ServerDatabase(club_server.process.db_url)
    try:
        office = Call(db, time.time_ns() // 1000, OFFICE)
        adjusted = member_file.adjust_points(office, member, -30, "a sale entered twice", THR)
        issued = member_file.issue_qr_card(office, member)
    finally:
        db.dispose()
    assert adjusted.points == 70

    for client in (client_thr, client_isf):
        assert client.sync_round().ok
    for terminal in (thr, isf):
        with terminal.db.read() as conn:
            assert ledger.balance(conn, member).points == 70
            adjustments = [e for e in ledger.member_entries(conn, member) if e.kind is EntryKind.ADJUST]
        assert [(e.id, e.points_delta, e.reason) for e in adjustments] == [
            (adjusted.entry_id, -30, "a sale entered twice")
        ]
        report = verify_ledger(terminal.db)
        assert report.ok, (report.chain_break, report.mismatches)
        seen = identify_card(terminal, issued.qr_text, None)
        assert seen.verdict.valid and seen.card_number == issued.number, seen.verdict
        assert seen.member is not None and seen.member.id == member

    db = ServerDatabase(club_server.process.db_url)
    try:
        member_file.revoke_card(
            Call(db, time.time_ns() // 1000, OFFICE), issued.number, "lost", "phone stolen"
        )
    finally:
        db.dispose()
    assert client_isf.sync_round().ok
    refused = identify_card(isf, issued.qr_text, None)
    assert not refused.verdict.valid and refused.verdict.reason == "revoked"
