# SPDX-License-Identifier: GPL-3.0-or-later
"""Upgrading a club server's database keeps what it held: the entries set aside before revision 0005 are
published then (in each device's order), so the terminals that pulled the holes they left can fill them;
the members there before revision 0007 get their search keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, seal
from app.domain.search_text import reversed_digits, search_key
from sync.protocol import WireEntry
from sync.server import migrate
from sync.server.club.access import Actor
from sync.server.club.act import Call
from sync.server.club.members import search
from sync.server.db import Database
from tests.server.club import BRANCH_1, T0, new_id


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'server.sqlite3'}")
        yield db
        db.dispose()
        return
    cluster = request.getfixturevalue("postgres")
    url = cluster.create_database()
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()
        cluster.drop_database(url)


def _set_aside_before_0005(db: Database) -> list[WireEntry]:
    """A device with two entries the server had set aside, written as revision 0004's schema holds them."""
    device_id, member_id = new_id(), new_id()
    head, entries = GENESIS_HASH, []
    for seq in (1, 2):
        draft = EntryDraft(new_id(), T0 + seq, BRANCH_1, member_id, EntryKind.BONUS, points_delta=50,
                           invoice_ref="signup")  # fmt: skip
        entry = WireEntry.of(seal(draft, device_id, seq, head))
        head = entry.hash
        entries.append(entry)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE sync_counter SET value = 7 WHERE id = 1"))
        conn.execute(
            text("INSERT INTO branch (id, code, name_fa, name_en, earn_points_per_unit, earn_rials_per_unit, "
                 "earn_min_sale_rials, earn_rounding, redeem_rials_per_point, redeem_max_share_percent) "
                 "VALUES (:id, 'THR', 'تهران', 'Tehran', 1, 100000, 0, 'floor', 1000, 50)"),
            {"id": BRANCH_1},
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO device (id, code, name, branch_id, number, card_prefix, enrolled_at_us, "
                 "last_seq, head_hash, contiguous_seq) VALUES (:id, 'THR-01', 'till', :branch, 1, '9826001', "
                 ":at, 2, :head, 2)"),
            {"id": device_id, "branch": BRANCH_1, "at": T0, "head": head},
        )  # fmt: skip
        for entry in reversed(entries):  # stored in any order; published in the device's
            conn.execute(
                text("INSERT INTO rejected_entry (id, device_id, device_seq, body, reason, received_at_us) "
                     "VALUES (:id, :device, :seq, :body, 'unknown_member', :at)"),
                {"id": entry.id, "device": device_id, "seq": entry.device_seq,
                 "body": json.dumps(entry.model_dump(mode="json")), "at": T0},
            )  # fmt: skip
    return entries


def test_entries_set_aside_before_0005_are_published_by_the_upgrade(empty_db: Database):
    command.upgrade(migrate.alembic_config(empty_db), "0004")
    entries = _set_aside_before_0005(empty_db)
    migrate.upgrade(empty_db, T0)
    with empty_db.engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, kind, body FROM change ORDER BY seq")).all()
        counter = conn.execute(text("SELECT value FROM sync_counter")).scalar_one()
    published = [(r.seq, json.loads(r.body)) for r in rows if r.kind == "entry_set_aside"]
    assert [(seq, body["entry"]["id"], body["reason"]) for seq, body in published] == [
        (8, entries[0].id, "unknown_member"),
        (9, entries[1].id, "unknown_member"),
    ]
    assert counter >= 9  # the numbers the changes took are the counter's (defaults published after them)


def test_0007_makes_the_search_keys_of_the_members_already_there(empty_db: Database):
    command.upgrade(migrate.alembic_config(empty_db), "0005")
    batch = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("0007").module.BATCH
    names = ["علي كريمي", f"عبد{chr(0x200C)}الله", "Sara AHMADI"]
    rows = [
        {
            "id": f"00000000-0000-7000-8000-{n:012x}",
            "name": names[n % 3],
            "phone": f"+98912{n:07d}",
            "at": T0 + n,
        }
        for n in range(batch + 2)  # more than a batch
    ]
    with empty_db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tier (code, name_fa, name_en, rank, threshold_points, multiplier_percent)"
                 " VALUES ('bronze', 'برنزی', 'Bronze', 0, 0, 100)")
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO branch (id, code, name_fa, name_en, earn_points_per_unit, earn_rials_per_unit, "
                 "earn_min_sale_rials, earn_rounding, redeem_rials_per_point, redeem_max_share_percent) "
                 "VALUES (:id, 'THR', 'تهران', 'Tehran', 1, 100000, 0, 'floor', 1000, 50)"),
            {"id": BRANCH_1},
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO member (id, name, phone, tier_code, branch_id, joined_at_us, consent_marketing,"
                 " updated_at_us) VALUES (:id, :name, :phone, 'bronze', :branch, :at, false, :at)"),
            [r | {"branch": BRANCH_1} for r in rows],
        )  # fmt: skip
    migrate.upgrade(empty_db, T0)
    with empty_db.engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, name_key || ' ' || phone_rev FROM member")).all())
    assert keys == {r["id"]: f"{search_key(r['name'])} {reversed_digits(r['phone'])}" for r in rows}
    auditor = Call(empty_db, T0, Actor(id="a", name="a", role="auditor"))
    assert len(search(auditor, "كريمى", None, 500).rows) == 500  # ى and ك typed, ی and ک folded
    assert [m.id for m in search(auditor, f"+98912{batch + 1:07d}", None).rows] == [rows[-1]["id"]]


def test_0007_downgrades(empty_db: Database):
    migrate.upgrade(empty_db, T0)
    command.downgrade(migrate.alembic_config(empty_db), "0005")
    with empty_db.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("member")}
        indexes = {i["name"] for i in inspect(conn).get_indexes("member")}
    assert not {"name_key", "phone_rev"} & columns
    assert not {"ix_member_phone_rev", "ix_member_joined_at_us_id", "ix_member_name_key_trgm"} & indexes
