# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger file itself: durability settings, append-only, and tampering caught by verify."""

import sqlite3

import pytest
from sqlalchemy import text

from app.domain.errors import ClubError
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.ledger_check import rebuild_projections, verify_ledger
from app.store import ledger
from app.store.database import DB_FILENAME


@pytest.fixture
def sold(terminal):
    """A terminal with five sales by one member; returns (terminal, sales)."""
    member = enroll_member(terminal, EnrollRequest(name="Sara", phone="09120000001")).member
    sales = [record_sale(terminal, SaleRequest(member.id, 1_000_000 * (i + 1))) for i in range(5)]
    return terminal, sales


def raw(terminal) -> sqlite3.Connection:
    """A plain sqlite3 connection, as someone editing the file by hand would have."""
    conn = sqlite3.connect(terminal.db.path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update")
    conn.execute("DROP TRIGGER IF EXISTS ledger_entry_no_delete")
    return conn


def test_durability_settings(terminal):
    with terminal.db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_entries_cannot_be_updated_or_deleted(sold):
    terminal, _sales = sold
    conn = sqlite3.connect(terminal.db.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE ledger_entry SET points_delta = 1000")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM ledger_entry")


def test_a_clean_ledger_verifies(sold):
    report = verify_ledger(sold[0].db)
    assert report.ok and report.entries == 5 and report.devices == 1


def test_an_edited_entry_is_named(sold):
    terminal, sales = sold
    raw(terminal).execute("UPDATE ledger_entry SET points_delta = 999 WHERE id = ?", (sales[2].sale_id,))
    report = verify_ledger(terminal.db)
    assert not report.ok
    assert report.chain_break.entry_id == sales[2].sale_id
    assert report.chain_break.problem == "edited"


def test_a_deleted_entry_is_named(sold):
    terminal, sales = sold
    raw(terminal).execute("DELETE FROM ledger_entry WHERE id = ?", (sales[1].sale_id,))
    report = verify_ledger(terminal.db)
    assert report.chain_break.device_seq == 2
    assert report.chain_break.problem == "sequence_gap"


def test_deleting_the_newest_entries_is_caught(sold):
    terminal, sales = sold
    raw(terminal).execute("DELETE FROM ledger_entry WHERE id = ?", (sales[-1].sale_id,))
    report = verify_ledger(terminal.db)
    assert report.chain_break.problem == "missing_tail"
    assert report.chain_break.device_seq == 5


def test_reordered_entries_are_caught(sold):
    terminal, sales = sold
    conn = raw(terminal)
    conn.execute("UPDATE ledger_entry SET device_seq = -1 WHERE id = ?", (sales[1].sale_id,))
    conn.execute("UPDATE ledger_entry SET device_seq = 2 WHERE id = ?", (sales[2].sale_id,))
    conn.execute("UPDATE ledger_entry SET device_seq = 3 WHERE id = ?", (sales[1].sale_id,))
    report = verify_ledger(terminal.db)
    assert report.chain_break.device_seq == 2
    assert report.chain_break.entry_id == sales[2].sale_id


def test_a_tampered_balance_is_caught_and_rebuilt(sold):
    terminal, _sales = sold
    raw(terminal).execute("UPDATE member_balance SET points = points + 500")
    report = verify_ledger(terminal.db)
    assert not report.ok and len(report.mismatches) == 1
    assert report.mismatches[0].stored.points - report.mismatches[0].rebuilt.points == 500
    assert rebuild_projections(terminal.db).chain_break is None
    assert verify_ledger(terminal.db).ok


def test_tampered_day_buckets_are_caught_and_rebuilt(sold):
    """The day buckets a sale reads (app.domain.member_days) are a projection too: verify compares them
    with the ledger's, rebuild remakes them."""
    from tests.support.programme import club_rules, publish

    terminal, _sales = sold
    with terminal.db.read() as conn:
        assert ledger.all_member_days(conn) == {}  # not kept before a rule set
    publish(terminal, club_rules())  # the first fills them from the ledger
    with terminal.db.read() as conn:
        kept = ledger.all_member_days(conn)
    assert kept and verify_ledger(terminal.db).ok
    raw(terminal).execute("UPDATE member_day SET points = points + 7")
    report = verify_ledger(terminal.db)
    assert not report.ok and report.day_mismatches == sorted({m for m, _day in kept})
    assert not report.mismatches  # the balances are right
    assert rebuild_projections(terminal.db).chain_break is None
    assert verify_ledger(terminal.db).ok
    with terminal.db.read() as conn:
        assert ledger.all_member_days(conn) == kept


def test_rebuild_refuses_while_a_chain_is_broken(sold):
    terminal, sales = sold
    conn = raw(terminal)
    conn.execute("UPDATE ledger_entry SET points_delta = 999 WHERE id = ?", (sales[0].sale_id,))
    conn.execute("UPDATE member_balance SET points = 0")
    report = rebuild_projections(terminal.db)
    assert report.chain_break is not None
    with terminal.db.read() as conn:
        assert conn.execute(text("SELECT points FROM member_balance")).scalar_one() == 0  # untouched


def test_sync_bookkeeping_never_touches_the_entry(sold):
    terminal, sales = sold
    with terminal.db.read() as conn:
        assert ledger.outbox_count(conn) == 5
    with terminal.db.write() as conn:
        conn.execute(
            text("INSERT INTO ledger_ack (entry_id, acknowledged_at_us, server_seq) VALUES (:id, 1, 1)"),
            {"id": sales[0].sale_id},
        )
    with terminal.db.read() as conn:
        assert ledger.outbox_count(conn) == 4
    assert verify_ledger(terminal.db).ok


def test_a_failed_use_case_writes_nothing(sold):
    terminal, sales = sold
    with terminal.db.read() as conn:
        before = ledger.entry_count(conn)
    with pytest.raises(ClubError):
        record_sale(terminal, SaleRequest(sales[0].sale_id, 1_000))  # not a member id
    with terminal.db.read() as conn:
        assert ledger.entry_count(conn) == before


def test_the_file_is_where_the_data_dir_says(terminal, tmp_path):
    assert terminal.db.path == tmp_path / "data" / DB_FILENAME


def test_the_reverses_index_holds_only_reversals_and_serves_their_lookup(sold):
    """Most entries reverse nothing: the index skips them (one index page fewer written per sale), and
    the lookup of an entry's reversals (`reverses = ?`) still searches it."""
    from sqlalchemy import event

    terminal, sales = sold
    index = "ix_ledger_entry_reverses"
    with terminal.db.read() as conn:
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": index}).scalar()
    assert sql is not None and sql.endswith("WHERE reverses IS NOT NULL")

    statements = []

    def capture(conn, cursor, statement, parameters, *_):
        statements.append((statement, parameters))

    event.listen(terminal.db.engine, "before_cursor_execute", capture)
    try:
        with terminal.db.read() as conn:
            ledger.reversals_of(conn, sales[0].sale_id)
    finally:
        event.remove(terminal.db.engine, "before_cursor_execute", capture)
    (statement, parameters), = [s for s in statements if "reverses = ?" in s[0]]
    with terminal.db.read() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    assert plan == [f"SEARCH ledger_entry USING INDEX {index} (reverses=?)"]
