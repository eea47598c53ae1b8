# SPDX-License-Identifier: GPL-3.0-or-later
"""An entry the server sets aside counts nowhere, at the till that made it too, and leaves no hole at the
others; once the club's review accepts it, it counts everywhere; once it confirms the refusal, the till that
made it shows it as refused, no longer waiting. Two tills and a real server."""

from __future__ import annotations

from pathlib import Path

import requests

from app.services.checkout import SaleRequest, record_sale
from app.services.identify import find_member
from app.services.ledger_check import verify_ledger
from app.store import ledger, sync_state
from tests.integration.sync.conftest import THR, ClubServer


def _points(terminal, member_id: str) -> int:  # type: ignore[no-untyped-def]
    with terminal.db.read() as conn:
        return ledger.balance(conn, member_id).points


def _all_hold(*terminals) -> None:  # type: ignore[no-untyped-def]
    for terminal in terminals:
        report = verify_ledger(terminal.db)
        assert report.ok, (report.chain_break, report.mismatches)
        with terminal.db.read() as conn:
            assert [p.problem for p in sync_state.problems(conn)] == []


def test_a_set_aside_sale_counts_nowhere_until_the_review_accepts_it(club_server: ClubServer, tmp_path: Path):
    club_server.admin("PUT", "/settings/velocity_points_per_hour", json={"value": "150"})
    member = club_server.admin("POST", "/members", json={"name": "Busy Buyer", "phone": "09127000111",
                                                          "branch_id": THR})["id"]  # fmt: skip
    thr, client_thr = club_server.enroll(tmp_path / "thr", "THR")
    isf, client_isf = club_server.enroll(tmp_path / "isf", "ISF")
    record_sale(thr, SaleRequest(member, 10_000_000))  # 100 points
    second = record_sale(thr, SaleRequest(member, 10_000_000))  # 100 more: past the hour's 150
    for client in (client_thr, client_isf):
        assert client.sync_round().ok
    assert _points(thr, member) == _points(isf, member) == 100  # the till that made it does not count it
    assert client_thr.status().rejected == 1
    _all_hold(thr, isf)

    listed = club_server.admin("GET", "/set-aside")
    assert [(s["entry"]["id"], s["reason"]) for s in listed] == [(second.sale_id, "velocity_limit")]
    club_server.admin("POST", f"/set-aside/{second.sale_id}/accept", json={"reason": "a wedding order"})
    for client in (client_thr, client_isf):
        assert client.sync_round().ok
    assert _points(thr, member) == _points(isf, member) == 200
    assert client_thr.status().rejected == 0
    _all_hold(thr, isf)


def test_a_refusal_confirmed_by_the_review_reaches_the_till_that_made_it(
    club_server: ClubServer, tmp_path: Path
):
    """The club confirms the refusal: the till that made the entry shows it as refused after review, no
    longer waiting, and it still counts nowhere; the other till keeps the slot, the decision beside it."""
    club_server.admin("PUT", "/settings/velocity_points_per_hour", json={"value": "150"})
    member = club_server.admin("POST", "/members", json={"name": "Busy Buyer", "phone": "09127000222",
                                                          "branch_id": THR})["id"]  # fmt: skip
    thr, client_thr = club_server.enroll(tmp_path / "thr", "THR")
    isf, client_isf = club_server.enroll(tmp_path / "isf", "ISF")
    record_sale(thr, SaleRequest(member, 10_000_000))
    second = record_sale(thr, SaleRequest(member, 10_000_000))  # past the hour's 150: set aside
    for client in (client_thr, client_isf):
        assert client.sync_round().ok
    assert client_thr.status().rejected == 1
    assert find_member(thr, member).refused == {}  # waiting for review

    why = "a test of the till, not a real sale"
    refused = club_server.admin("POST", f"/set-aside/{second.sale_id}/refuse", json={"reason": why})
    assert refused["decision"] == "refused" and refused["note"] == why
    for client in (client_thr, client_isf):
        assert client.sync_round().ok
    assert client_thr.status().rejected == 0  # nothing waits any more
    profile = find_member(thr, member)
    assert second.sale_id in profile.set_aside and profile.refused == {second.sale_id: why}
    assert _points(thr, member) == _points(isf, member) == 100  # it never counts
    with isf.db.read() as conn:
        assert set(ledger.decisions_among(conn, [second.sale_id])) == {second.sale_id}
    _all_hold(thr, isf)
    again = requests.post(
        f"{club_server.url}/v1/admin/set-aside/{second.sale_id}/accept",
        json={"reason": "changed my mind"},
        headers={"Authorization": f"Bearer {club_server.admin_token}"},
        timeout=30,
    )
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_resolved"
