# SPDX-License-Identifier: GPL-3.0-or-later
"""GET /v1/sync/pull: the change log and the ledger merged in server order, page by page."""

from __future__ import annotations

import gzip

from sync.protocol import MAX_PULL_LIMIT, PullResponse
from sync.server.club import DEFAULT_SETTINGS
from tests.server.club import card_item, enroll, member, member_item, pull_all, push


def test_a_new_terminal_pulls_the_club_then_its_own_entries_back(client, club_db, terminal):
    m = member()
    entries = [terminal.entry(m.id, points=p) for p in (5, 6)]
    pushed = push(client, terminal, entries, [member_item(m)])
    changes = pull_all(client, terminal)
    kinds = [c["kind"] for c in changes]
    published = len(DEFAULT_SETTINGS)
    assert kinds[:published] == ["setting"] * published  # the defaults `db upgrade` published
    assert kinds[published:] == ["tier", "tier", "branch", "branch", "device", "member", "entry", "entry"]
    seqs = [c["seq"] for c in changes]
    assert seqs == list(range(1, len(changes) + 1))  # dense and in order
    assert [c["entry"]["id"] for c in changes if c["kind"] == "entry"] == [e.id for e in entries]
    assert [c["seq"] for c in changes if c["kind"] == "entry"] == [r["server_seq"] for r in pushed["entries"]]
    settings = {c["key"]: c["value"] for c in changes if c["kind"] == "setting"}
    assert settings["grant_share_percent"] == "30" and settings["club_card_prefix"] == "9826"


def test_pages_cover_everything_once_whatever_the_limit(client, club_db, terminal):
    other = enroll(club_db, "ISF")
    m = member()
    push(
        client,
        terminal,
        [terminal.entry(m.id) for _ in range(7)],
        [member_item(m), card_item(m.id, "9826001000000018")],
    )
    push(client, other, [other.entry(m.id) for _ in range(5)])
    everything = pull_all(client, terminal, limit=MAX_PULL_LIMIT)
    for limit in (1, 2, 3, 7):
        assert pull_all(client, other, limit=limit) == everything


def test_a_page_validates_against_the_wire_model_and_says_when_more_is_waiting(client, club_db, terminal):
    m = member()
    push(client, terminal, [terminal.entry(m.id) for _ in range(3)], [member_item(m)])
    first = client.get("/v1/sync/pull?since=0&limit=5&protocol=1", headers=terminal.auth)
    page = PullResponse.model_validate(first.json())
    assert len(page.changes) == 5 and page.more and page.next_cursor == 5
    rest = PullResponse.model_validate(
        client.get(f"/v1/sync/pull?since={page.next_cursor}&limit=1000", headers=terminal.auth).json()
    )
    assert not rest.more and rest.changes[0].seq == 6
    empty = client.get(f"/v1/sync/pull?since={rest.next_cursor}", headers=terminal.auth).json()
    assert empty["changes"] == [] and empty["next_cursor"] == rest.next_cursor and not empty["more"]


def test_pull_refuses_bad_cursors_limits_and_versions(client, club_db, terminal):
    for query, status in [
        ("since=-1", 422),
        ("limit=0", 422),
        (f"limit={MAX_PULL_LIMIT + 1}", 422),
        ("since=abc", 422),
        ("protocol=2", 400),
        (f"since={2**70}", 422),
    ]:
        response = client.get(f"/v1/sync/pull?{query}", headers=terminal.auth)
        assert response.status_code == status, (query, response.text)
    assert client.get("/v1/sync/pull").status_code == 401


def test_responses_are_gzipped_for_clients_that_accept_it(client, club_db, terminal):
    m = member()
    push(client, terminal, [terminal.entry(m.id) for _ in range(20)], [member_item(m)])
    response = client.get("/v1/sync/pull", headers=terminal.auth | {"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert PullResponse.model_validate(response.json()).changes  # httpx has already inflated it
    raw = client.get("/v1/sync/pull", headers=terminal.auth | {"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content)


def test_the_spliced_page_is_the_decoded_page(client, club_db, terminal):
    """pull.page_json splices stored bodies in: it must say exactly what pull.page says."""
    import json

    from sync.server import pull

    m = member()
    items = [member_item(m), card_item(m.id, "9826001000000018")]
    push(client, terminal, [terminal.entry(m.id) for _ in range(4)], items)
    with club_db.engine.connect() as conn:
        for since, limit in ((0, 1), (0, 3), (2, 5), (0, MAX_PULL_LIMIT), (10_000, 5)):
            spliced = json.loads(pull.page_json(conn, since, limit, 42))
            assert spliced == json.loads(json.dumps(pull.page(conn, since, limit, 42)))
