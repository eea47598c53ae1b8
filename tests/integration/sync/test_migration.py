# SPDX-License-Identifier: GPL-3.0-or-later
"""Migrations: the sync migration upgrades a terminal that already holds a club, the models match the
migrations, and a start whose schema is current never imports alembic."""

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text

from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, seal
from app.services.ledger_check import verify_ledger
from app.services.setup import install_club
from app.store import ledger
from app.store.club import Device
from app.store.database import DB_FILENAME, Database, make_engine
from app.store.migrate import alembic_config, current_revisions, head_revision
from app.store.schema import Base
from tests.support.club import BRANCH_1, DEVICE_1, TEST_CLUB

MEMBER = "01900000-0000-7000-8000-000000000b01"
SALE = "01900000-0000-7000-8000-000000000e01"
INSERT_MEMBER = text(
    "INSERT INTO member (id, name, phone, tier_code, branch_id, joined_at_us, consent_marketing) "
    "VALUES (:id, :name, '+989121110000', 'bronze', :branch, 1, 0)"
)


def test_a_terminal_with_a_club_and_a_ledger_upgrades_in_place(tmp_path):
    engine = make_engine(tmp_path / DB_FILENAME)
    command.upgrade(alembic_config(engine), "0003")  # as shipped before sync
    engine.dispose()
    db = Database(tmp_path / DB_FILENAME)
    install_club(db, TEST_CLUB, Device(DEVICE_1, "T1", BRANCH_1, is_self=True))
    with db.write() as conn:
        conn.execute(INSERT_MEMBER, {"id": MEMBER, "name": "Sara", "branch": BRANCH_1})
    # a sale as the code of revision 0003 wrote it (today's code writes columns that schema lacks)
    sale = seal(
        EntryDraft(SALE, 1, BRANCH_1, MEMBER, EntryKind.EARN, points_delta=50, sale_amount=5_000_000),
        DEVICE_1,
        1,
        GENESIS_HASH,
    )
    columns = [name for name in sale.body() if name != "rules_version"] + ["hash"]
    values = {name: getattr(sale, name) for name in columns} | {"kind": sale.kind.value}
    with db.write() as conn:
        conn.execute(
            text(f"INSERT INTO ledger_entry ({', '.join(columns)}) VALUES (:{', :'.join(columns)})"),
            values,
        )
        conn.execute(
            text("UPDATE device SET last_seq = 1, head_hash = :h WHERE id = :d"),
            {"h": sale.hash, "d": DEVICE_1},
        )
        conn.execute(text("INSERT INTO member_balance VALUES (:m, 50, 0, 5000000, 1, 1)"), {"m": MEMBER})
        conn.execute(text("INSERT INTO ledger_ack VALUES (:id, 1, 7)"), {"id": SALE})
    db.close()

    upgraded = Database.open(tmp_path)
    with upgraded.read() as conn:
        assert conn.execute(text("SELECT outcome, server_seq FROM ledger_ack")).one() == ("accepted", 7)
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # back on for the pool
        assert ledger.balance(conn, MEMBER).points == 50
    with upgraded.write() as conn:  # the same phone twice is now possible (two offline terminals)
        other = "01900000-0000-7000-8000-000000000b02"
        conn.execute(INSERT_MEMBER, {"id": other, "name": "Sara K", "branch": BRANCH_1})
    assert verify_ledger(upgraded).ok


def test_the_models_match_the_migrations(tmp_path):
    db = Database.open(tmp_path)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_models_indexes_are_the_migrations_to_the_letter(tmp_path):
    """compare_metadata does not look at a partial index's WHERE: compare the SQL SQLite keeps."""
    Database.open(tmp_path / "migrated").close()
    engine = make_engine(tmp_path / "models.sqlite3")
    Base.metadata.create_all(engine)
    engine.dispose()
    query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
    with (
        sqlite3.connect(tmp_path / "migrated" / DB_FILENAME) as migrated,
        sqlite3.connect(tmp_path / "models.sqlite3") as models,
    ):
        assert migrated.execute(query).fetchall() == models.execute(query).fetchall()


def test_the_head_read_from_the_file_names_is_alembics():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == scripts.get_current_head()
    for script in scripts.walk_revisions():  # NNNN_name.py holds revision NNNN
        assert Path(script.path).name.startswith(f"{script.revision}_")


def test_a_current_schema_opens_without_importing_alembic(tmp_path):
    Database.open(tmp_path).close()
    probe = (
        "import sys; from app.store.database import Database; "
        f"Database.open({str(tmp_path)!r}).close(); print(sorted(m for m in sys.modules if 'alembic' in m))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_new_data_dir_and_an_older_schema_are_brought_to_the_head(tmp_path):
    fresh = Database.open(tmp_path / "new")
    assert current_revisions(fresh) == (head_revision(),)
    fresh.close()
    (tmp_path / "old").mkdir()
    engine = make_engine(tmp_path / "old" / DB_FILENAME)
    command.upgrade(alembic_config(engine), "0001")
    engine.dispose()
    older = Database(tmp_path / "old" / DB_FILENAME)
    assert current_revisions(older) == ("0001",)
    older.close()
    old = Database.open(tmp_path / "old")
    assert current_revisions(old) == (head_revision(),)
    old.close()


def test_a_schema_newer_than_the_code_is_refused_as_before(tmp_path):
    Database.open(tmp_path).close()
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(CommandError, match="Can't locate revision identified by '9999'"):
        Database.open(tmp_path)
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("9999",)]


def test_0009_finishes_the_erasures_an_older_terminal_applied(tmp_path):
    """A terminal at 0008 pulled an erased record (it wrote the placeholders) but kept the photo, the wish to
    fetch another and its outbox copy of the record; the upgrade takes them out."""
    (tmp_path / "old").mkdir()
    engine = make_engine(tmp_path / "old" / DB_FILENAME)
    command.upgrade(alembic_config(engine), "0008")
    sent = {"id": MEMBER, "name": "Nasrin", "phone": "+989121110000"}
    body = {"id": SALE, "kind": "member", "member": sent}
    engine.dispose()
    # a bare connection: foreign keys off, so the member needs no tier or branch rows for this
    with sqlite3.connect(tmp_path / "old" / DB_FILENAME) as raw:
        raw.execute(
            "INSERT INTO member (id, name, phone, tier_code, branch_id, joined_at_us, consent_marketing) "
            "VALUES (?, '—', 'erased', 'bronze', ?, 1, 0)",
            (MEMBER, BRANCH_1),
        )
        raw.execute("INSERT INTO member_photo (member_id, jpeg) VALUES (?, x'ffd8ffe0')", (MEMBER,))
        wanted = "INSERT INTO photo_wanted (member_id, sha256, size) VALUES (?, ?, 4)"
        raw.execute(wanted, (MEMBER, "ab" * 32))
        raw.execute(
            "INSERT INTO outbox_item (id, kind, subject, body, created_at_us) VALUES (?, 'member', ?, ?, 1)",
            (SALE, MEMBER, json.dumps(body)),
        )
    db = Database.open(tmp_path / "old")
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM member_photo")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM photo_wanted")).scalar_one() == 0
        kept = json.loads(conn.execute(text("SELECT body FROM outbox_item")).scalar_one())
        answer = conn.execute(text("SELECT outcome, reason FROM outbox_ack")).one()
    db.close()
    assert kept["member"] == {"id": MEMBER, "name": "—", "phone": "erased", "birth_date": None,
                              "national_id_last4": None, "consent_marketing": False}  # fmt: skip
    assert tuple(answer) == ("superseded", "member_erased")
