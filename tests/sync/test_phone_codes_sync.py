# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's phone code copied to two tills, offline, then synced to the real club server: the phone's
card reaches both tills by pull, each till accepts the code once, and the server flags the copy once."""

from __future__ import annotations

import time
from pathlib import Path

from app.domain.card import CardKind
from app.services.cards import identify_card
from app.services.identify import find_member
from app.store import outbox
from sync.protocol import WireCard
from sync.server import members as server_members
from sync.server.db import Database as ServerDatabase
from sync.server.sequence import Publisher
from tests.integration.sync.conftest import THR, ClubServer
from tests.support.phone import DAY_US, make_phone, phone_key, register_key


def now_us() -> int:
    return time.time_ns() // 1000


def certify_on_server(server: ClubServer, member_id: str, number: str) -> None:
    """What the member page's POST /m/api/phones leaves on the server: a card of kind "phone"."""
    db = ServerDatabase(server.process.db_url)

    def put(conn) -> None:  # type: ignore[no-untyped-def]
        pub = Publisher(now_us())
        card = WireCard(number=number, kind="phone", member_id=member_id, issued_at_us=now_us())
        server_members.put_card(conn, pub, card)
        pub.flush(conn)

    try:
        db.write(put)
    finally:
        db.dispose()


def test_one_code_at_two_tills_is_flagged_once_on_the_server(club_server: ClubServer, tmp_path: Path):
    member_id = club_server.admin(
        "POST", "/members", json={"name": "Sara", "phone": "09121000009", "branch_id": THR}
    )["id"]
    number = "9826000000000083"  # any 16 digits: the server's series is the portal's business
    certify_on_server(club_server, member_id, number)
    tills = [club_server.enroll(tmp_path / f"till-{i}", device_name=f"Till {i}") for i in (1, 2)]
    key = phone_key()  # the server's "phone" key, as the key pull leaves it on each till
    phone = make_phone(key, member_id, number, expires_at_us=now_us() + 30 * DAY_US)
    for terminal, client in tills:
        register_key(terminal, key)
        assert client.sync_round().ok
        cards = {c.number: c.kind for c in find_member(terminal, member_id).cards}
        assert cards[number] is CardKind.PHONE  # the pulled card, listed with the member's

    code = phone.code(now_us())  # a screenshot of it goes to a friend at the other till
    for terminal, _client in tills:
        assert identify_card(terminal, code, None).verdict.valid
        assert identify_card(terminal, code, None).verdict.reason == "phone_code_replayed"
    for _ in range(2):  # a second round retries nothing
        for terminal, client in tills:
            assert client.sync_round().ok
            with terminal.db.read() as conn:
                assert outbox.pending(conn, (outbox.PHONE_CODE,)) == []  # answered

    alerts = club_server.admin("GET", "/alerts", params={"kind": "phone_code_two_terminals"})
    assert len(alerts) == 1 and alerts[0]["member_id"] == member_id and alerts[0]["subject"] == number
