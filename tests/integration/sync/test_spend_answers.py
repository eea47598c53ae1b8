# SPDX-License-Identifier: GPL-3.0-or-later
"""What a till makes of the club server's answers to an online spend: only the server's word on the
member's points (or on the device) is a refusal; a storage hiccup or a busy server means "decide offline"."""

import sqlite3

from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.store import ledger


def test_a_database_constraint_on_the_spend_is_no_refusal_of_the_member(club_server, tmp_path):
    """A server whose store refused the spend's grant (409 constraint_violation, as two copies of one spend
    got before that race was fixed) has not said no: the till asks again, then decides within its grant."""
    till, client = club_server.enroll(tmp_path / "till")
    member = enroll_member(till, EnrollRequest(name="Nasrin", phone="09121110000")).member
    record_sale(till, SaleRequest(member.id, 100_000_000))  # 1,000 points
    assert client.sync_round().ok  # pushed; a grant of 300 for offline spending
    server_file = club_server.process.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(server_file) as conn:
        conn.execute(
            "CREATE TRIGGER refuse_grants BEFORE INSERT ON spend_grant "
            "BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: spend_grant.for_entry'); END"
        )
    sale = record_sale(till, SaleRequest(member.id, 10_000_000, redeem_points=100), client)
    assert sale.points_redeemed == 100  # within the offline grant
    with till.db.read() as conn:
        assert ledger.balance(conn, member.id).points == 1_000 - 100 + 99  # earned on 9,900,000 paid
