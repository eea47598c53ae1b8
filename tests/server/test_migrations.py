# SPDX-License-Identifier: GPL-3.0-or-later
"""Upgrading a club server's database keeps what it held: the entries set aside before revision 0005 are
published then (in each device's order), so the terminals that pulled the holes they left can fill them;
the members there before revision 0007 get their search keys."""

from __future__ import annotations

import ast
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command, op
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, seal
from app.domain.search_text import reversed_digits, search_key
from sync.protocol import WireEntry
from sync.server import migrate
from sync.server.club.access import Actor
from sync.server.club.act import Call
from sync.server.club.members import search
from sync.server.db import Database
from sync.server.migrations.indexes import (
    BIG_TABLES,
    create_index_concurrently,
    drop_index_concurrently,
    index_state,
)
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
        _tier_and_branch(conn)
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


# ---- indexes on the big tables, built concurrently (sync/server/migrations/indexes.py) -------------------

VERSIONS = Path(migrate.__file__).parent / "migrations" / "versions"
# The migrations written before the helper, already applied on the clubs' databases: history is not
# rewritten. Each indexes a big table that existed before it, with a plain `op.create_index`.
BEFORE_THE_HELPER = {"0002", "0003", "0005", "0007", "0009", "0011", "0013", "0015"}
PLAIN_INDEX_SQL = re.compile(r"CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)", re.IGNORECASE)


def _plain_indexes_on_big_tables(source: str) -> list[str]:
    """The big tables that a migration's source indexes with plain `op.create_index` (or batch_op's, or
    SQL), leaving out tables the same migration creates (empty when indexed)."""
    tree = ast.parse(source)
    created, indexed = set(), []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        keywords = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
        if node.func.attr == "create_table" and args:
            created.add(args[0])
        elif node.func.attr == "create_index":
            table = keywords.get("table_name") or (args[1] if len(args) > 1 else None)
            indexed.append(str(table))
        elif node.func.attr in ("execute", "exec_driver_sql") and args:
            sql = str(args[0])
            if PLAIN_INDEX_SQL.search(sql):
                indexed += [t for t in BIG_TABLES if re.search(rf"\bON\s+{t}\b", sql, re.IGNORECASE)]
    return sorted({t for t in indexed if t in BIG_TABLES and t not in created})


def test_new_migrations_index_big_tables_only_concurrently():
    scripts = sorted(VERSIONS.glob("[0-9]*.py"))
    assert len(scripts) >= 16
    found = {}
    for script in scripts:
        revision = script.name.split("_", 1)[0]
        plain = _plain_indexes_on_big_tables(script.read_text(encoding="utf-8"))
        if plain and revision not in BEFORE_THE_HELPER:
            found[script.name] = plain
    assert found == {}, "use sync.server.migrations.indexes.create_index_concurrently for these"
    # the check sees what it must: the old migrations it lets through are caught by it
    assert _plain_indexes_on_big_tables((VERSIONS / "0015_reward_entries_index.py").read_text()) == [
        "ledger_entry"
    ]
    assert _plain_indexes_on_big_tables('op.execute("CREATE INDEX ix_x ON member (name)")') == ["member"]
    assert _plain_indexes_on_big_tables('op.execute("CREATE INDEX CONCURRENTLY ix ON member (x)")') == []


@contextmanager
def _migration_ops(db: Database) -> Iterator[None]:
    """Alembic's `op` on a connection of its own, in a migration's transaction (as env.py runs one)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        with Operations.context(context), context.begin_transaction():
            yield
        if conn.in_transaction():  # SQLite's DDL is not in Alembic's transaction (no transactional DDL)
            conn.commit()


def _index_state(db: Database, name: str) -> bool | None:
    with db.engine.connect() as conn:
        return index_state(conn, name)


def _audit(conn: Any, actor: str) -> None:
    conn.execute(
        text("INSERT INTO audit_log (at_us, actor, action, detail) VALUES (:at, :actor, 'test', '{}')"),
        {"at": T0, "actor": actor},
    )


def _wait_for_index_build(db: Database, sql_start: str, deadline_s: float = 30.0) -> None:
    """Until a backend is in the index build and waiting on a lock (for the open writer)."""
    deadline = time.monotonic() + deadline_s
    with db.engine.connect() as conn:
        while True:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE :q AND wait_event_type = 'Lock'"
                ),
                {"q": sql_start + "%"},
            ).scalar_one()
            conn.rollback()
            if waiting:
                return
            assert time.monotonic() < deadline, f"no {sql_start!r} waiting in time"
            time.sleep(0.01)


def _insert_within(db: Database, actor: str, timeout: str = "2s") -> float:
    """Insert a row in autocommit, given up after `timeout` waiting for a lock; the seconds it took."""
    started = time.monotonic()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"SET lock_timeout = '{timeout}'"))
        _audit(conn, actor)
    return time.monotonic() - started


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_index_built_concurrently_lets_writers_write(db: Database):
    """An open transaction writes to the table; the build waits for it, and meanwhile other writers (and
    that transaction itself) go on. A plain index build, for comparison, stops the next writer."""
    built: list[BaseException | None] = []

    def build(plain: bool, name: str) -> None:
        try:
            with _migration_ops(db):
                if plain:
                    op.create_index(name, "audit_log", ["actor"])
                else:
                    create_index_concurrently(name, "audit_log", ["actor"])
            built.append(None)
        except BaseException as error:  # reported by the test thread
            built.append(error)

    with db.engine.connect() as writer:
        writer.begin()
        _audit(writer, "long transaction")
        builder = threading.Thread(target=build, args=(False, "ix_audit_log_actor_test"))
        builder.start()
        _wait_for_index_build(db, "CREATE INDEX CONCURRENTLY")
        assert _insert_within(db, "another writer") < 2.0  # not blocked by the build
        _audit(writer, "the long transaction goes on")
        writer.commit()
    builder.join(30)
    assert built == [None] and _index_state(db, "ix_audit_log_actor_test") is True

    with db.engine.connect() as writer:  # the control: a plain CREATE INDEX queues the next writer
        writer.begin()
        _audit(writer, "long transaction")
        builder = threading.Thread(target=build, args=(True, "ix_audit_log_actor_plain"))
        builder.start()
        _wait_for_index_build(db, "CREATE INDEX ix_audit_log_actor_plain")
        with pytest.raises(OperationalError, match="lock timeout"):
            _insert_within(db, "blocked writer", timeout="500ms")
        writer.commit()
    builder.join(30)
    assert built == [None, None]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_interrupted_concurrent_build_is_dropped_and_built_again(db: Database):
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        _audit(conn, "same")
        _audit(conn, "same")
        with pytest.raises(IntegrityError):  # a concurrent build that fails leaves an INVALID index
            conn.execute(text("CREATE UNIQUE INDEX CONCURRENTLY ix_audit_log_actor_test ON audit_log(actor)"))
    assert _index_state(db, "ix_audit_log_actor_test") is False
    for _ in range(2):  # built again from the leftover; then, valid, left alone
        with _migration_ops(db):
            create_index_concurrently("ix_audit_log_actor_test", "audit_log", ["actor"])
        assert _index_state(db, "ix_audit_log_actor_test") is True
    with _migration_ops(db):
        drop_index_concurrently("ix_audit_log_actor_test", "audit_log")
    assert _index_state(db, "ix_audit_log_actor_test") is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_on_sqlite_the_helper_makes_a_plain_index(db: Database):
    with _migration_ops(db):
        create_index_concurrently("ix_audit_log_actor_test", "audit_log", ["actor"], where="actor <> ''")
    assert "ix_audit_log_actor_test" in {i["name"] for i in inspect(db.engine).get_indexes("audit_log")}
    with _migration_ops(db):
        drop_index_concurrently("ix_audit_log_actor_test", "audit_log")
    assert "ix_audit_log_actor_test" not in {i["name"] for i in inspect(db.engine).get_indexes("audit_log")}


def _tier_and_branch(conn: Connection) -> None:
    """The bronze tier and branch THR, written in SQL: the migrations' old schemas, not today's models."""
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


def test_0017_names_the_member_of_each_revocation_already_there(empty_db: Database):
    command.upgrade(migrate.alembic_config(empty_db), "0016")
    member_id = new_id()
    with empty_db.engine.begin() as conn:
        _tier_and_branch(conn)
        conn.execute(
            text("INSERT INTO member (id, name, phone, tier_code, branch_id, joined_at_us, consent_marketing,"
                 " updated_at_us, name_key, phone_rev) VALUES (:id, 'Sara', '+989120000001', 'bronze',"
                 " :branch, :at, false, :at, 'sara', '1000000219')"),
            {"id": member_id, "branch": BRANCH_1, "at": T0},
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO card (number, member_id, kind, status, issued_at_us, payload_version)"
                 " VALUES ('9826001000000017', :member, 'pvc', 'lost', :at, 1)"),
            {"member": member_id, "at": T0},
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO card_revocation (id, card_number, status, reason, at_us)"
                 " VALUES (:id, '9826001000000017', 'lost', 'lost it', :at)"),
            {"id": new_id(), "at": T0},
        )  # fmt: skip
    migrate.upgrade(empty_db, T0)
    with empty_db.engine.connect() as conn:
        assert conn.execute(text("SELECT member_id FROM card_revocation")).scalars().all() == [member_id]
    command.downgrade(migrate.alembic_config(empty_db), "0016")
    assert "member_id" not in {c["name"] for c in inspect(empty_db.engine).get_columns("card_revocation")}
