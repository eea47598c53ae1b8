# SPDX-License-Identifier: GPL-3.0-or-later
"""The sync migration: it upgrades a terminal that already holds a club, and the models match it."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.services.checkout import SaleRequest, record_sale
from app.services.ledger_check import verify_ledger
from app.services.setup import install_club
from app.services.terminal import open_terminal
from app.store import ledger
from app.store.club import Device
from app.store.database import DB_FILENAME, Database, make_engine
from app.store.migrate import alembic_config
from app.store.schema import Base
from tests.support.club import BRANCH_1, DEVICE_1, TEST_CLUB

MEMBER = "01900000-0000-7000-8000-000000000b01"
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
    sale = record_sale(open_terminal(tmp_path, db=db), SaleRequest(MEMBER, 5_000_000))
    with db.write() as conn:
        conn.execute(text("INSERT INTO ledger_ack VALUES (:id, 1, 7)"), {"id": sale.sale_id})
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
