# SPDX-License-Identifier: GPL-3.0-or-later
"""`demo seed` on the server: the terminal's demo club, number for number, then served to a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app.domain.ledger import find_chain_break
from app.domain.search_text import reversed_digits, search_key
from app.services.demo import seed_demo
from app.store import schema
from app.store.database import Database as TerminalDatabase
from sync.protocol import PullResponse, WireEntry
from sync.server import demo
from sync.server.app import create_app
from sync.server.models import BALANCE, CARD, CHANGE, DEVICE, ENTRY, MEMBER, STAFF
from sync.server.sequence import current
from tests.server.club import FakeClock, enroll

NOW = 1_760_000_000_000_000
MEMBERS = 60  # a smaller club than `make run`'s: the same code path, a third of the time


@pytest.fixture(scope="module")
def terminal_demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The terminal's own demo, seeded with the same seed and clock: what the server must match."""
    data_dir = tmp_path_factory.mktemp("terminal") / "data"
    seed_demo(data_dir, members=MEMBERS, now_us=NOW)
    db = TerminalDatabase.open(data_dir)
    try:
        with db.read() as conn:
            balances = {
                r.member_id: (r.points, r.wallet_rials, r.spend_rials, r.purchase_count)
                for r in conn.execute(select(schema.MemberBalanceRow.__table__))
            }
            entries = [
                r.id
                for r in conn.execute(select(schema.LedgerEntryRow.__table__.c.id).order_by(text("rowid")))
            ]
            cards = sorted(conn.execute(select(schema.CardRow.__table__.c.number)).scalars())
    finally:
        db.close()
    return {"balances": balances, "entries": entries, "cards": cards}


@pytest.fixture
def seeded(db) -> dict:
    return demo.seed(db, NOW, members_count=MEMBERS)


def test_the_server_demo_is_the_terminal_demo(db, seeded, terminal_demo):
    with db.read() as conn:
        balances = {
            r.member_id: (r.points, r.wallet_rials, r.spend_rials, r.purchase_count)
            for r in conn.execute(select(BALANCE))
        }
        entries = conn.execute(select(ENTRY).order_by(ENTRY.c.server_seq)).all()
        cards = sorted(conn.execute(select(CARD.c.number)).scalars())
        devices = conn.execute(select(DEVICE).order_by(DEVICE.c.number)).all()
        assert conn.execute(select(func.count()).select_from(MEMBER)).scalar_one() == MEMBERS
        staff = {r.name: r.pin_hash for r in conn.execute(select(STAFF))}
        m = MEMBER.c
        keyed = conn.execute(select(m.name, m.phone, m.name_key, m.phone_rev)).all()
    # the seed writes members as every writer does: with their search keys
    assert all((k.name_key, k.phone_rev) == (search_key(k.name), reversed_digits(k.phone)) for k in keyed)
    # the server opens a balance row with the member; the terminal with the member's first entry
    assert {k: v for k, v in balances.items() if v != (0, 0, 0, 0)} == terminal_demo["balances"]
    assert [e.id for e in entries] == terminal_demo["entries"]
    assert cards == terminal_demo["cards"]
    assert [(d.code, d.number, d.card_prefix, d.token_hash) for d in devices] == [
        ("THR-01", 0, "9826000", None),
        ("ISF-01", 1, "9826001", None),
    ]
    for device in devices:  # each chain whole, and the device head where the chain ends
        chain = [
            WireEntry.model_validate({k: getattr(e, k) for k in WireEntry.model_fields}).to_entry()
            for e in entries
            if e.device_id == device.id
        ]
        chain.sort(key=lambda e: e.device_seq)
        assert find_chain_break(device.id, chain, (device.last_seq, device.head_hash)) is None
        assert device.contiguous_seq == device.last_seq == len(chain)
    for person in seeded["staff"]:
        assert PasswordHasher().verify(staff[person["name"]], person["pin"])
    assert seeded["members"] == MEMBERS and seeded["entries"] == len(entries)


def test_every_record_has_its_place_in_the_sequence_and_the_demo_goes_only_into_an_empty_club(db, seeded):
    with db.read() as conn:
        changes = conn.execute(select(func.count()).select_from(CHANGE)).scalar_one()
        entries = conn.execute(select(func.count()).select_from(ENTRY)).scalar_one()
        assert current(conn) == changes + entries
        first_entry = conn.execute(select(func.min(ENTRY.c.server_seq))).scalar_one()
        last_member = conn.execute(
            select(func.max(CHANGE.c.seq)).where(CHANGE.c.kind == "member")
        ).scalar_one()
    assert last_member < first_entry  # members precede the entries that name them
    with pytest.raises(demo.ClubNotEmptyError):
        demo.seed(db, NOW, members_count=1)


def test_a_terminal_enrolled_after_the_demo_pulls_the_whole_club(db, seeded, tmp_path: Path):
    terminal = enroll(db, "ISF", now_us=NOW)
    assert terminal.card_prefix == "9826002"  # after the demo's own 000 and 001
    with TestClient(create_app(db, FakeClock(NOW))) as client:
        kinds: list[str] = []
        since, more = 0, True
        while more:
            page = PullResponse.model_validate(
                client.get(f"/v1/sync/pull?since={since}&limit=500", headers=terminal.auth).json()
            )
            kinds += [c.kind for c in page.changes]
            since, more = page.next_cursor, page.more
    assert kinds.count("member") == MEMBERS and kinds.count("member_photo") == MEMBERS
    assert kinds.count("entry") == seeded["entries"] and kinds.count("device") == 3
    assert kinds.count("club_key") == 1 and kinds.count("staff") == len(seeded["staff"])


def test_the_demo_terminals_hours_are_tallied_for_the_dashboard(db, seeded):
    """The dashboard reads device_hour, filled by pushes, and by the demo's import alike."""
    from sqlalchemy import func

    from sync.server.club import dashboard
    from sync.server.club.access import CONSOLE
    from sync.server.club.act import Call
    from sync.server.models import DEVICE_HOUR, ENTRY

    with db.read() as conn:
        adding = conn.execute(
            select(func.count())
            .select_from(ENTRY)
            .where((ENTRY.c.points_delta > 0) | (ENTRY.c.cash_delta > 0))
        ).scalar_one()
        tallied = conn.execute(select(func.sum(DEVICE_HOUR.c.entries))).scalar_one()
    assert adding == tallied > 0
    assert dashboard.glance(Call(db, NOW, CONSOLE)).month.entries > 0


def test_the_demo_is_counted_for_the_reports_at_once(db, seeded):
    """A fresh demo's reports need no serving process: the seed counts its ledger into the aggregates, and
    the summary from them equals the reference over the raw ledger."""
    from datetime import timedelta

    from sync.server import rules as rule_sets
    from sync.server.club import reports
    from sync.server.club.access import CONSOLE
    from sync.server.club.act import Call
    from sync.server.reports import aggregates

    call = Call(db, NOW, CONSOLE)
    with db.read() as conn:
        as_of = aggregates.as_of(conn)
        today = rule_sets.current(conn).local_date(NOW)
    assert as_of.server_seq > 0 and as_of.behind == 0
    within = reports.period(call, today - timedelta(days=365), today)
    counted = reports.counted_summary(call, within, catch_up=0).summary
    assert counted == reports.direct_summary(call, within)
    assert counted.members_active > 0 and counted.net_sales_rials > 0
