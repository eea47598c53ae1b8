# SPDX-License-Identifier: GPL-3.0-or-later
"""Spending points at an enrolled terminal: online, within the grant, by a manager's override; and the
unenrolled terminal that stays its own authority."""

import pytest
from sqlalchemy import text

from app.domain.errors import ClubError
from app.domain.grants import CLOCK_BEHIND_LIMIT_US
from app.domain.ledger import EntryKind
from app.domain.ports import SpendAuthorisation
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.ledger_check import verify_ledger
from app.services.spending import SpendOverride
from app.services.terminal import open_terminal
from app.store import grants, ledger, sync_state
from app.store.grants import StoredGrant
from tests.support.club import CASHIER, MANAGER

HOUR = 3600 * 1_000_000
T0 = 1_800_000_000_000_000


class Clock:
    def __init__(self, now_us: int) -> None:
        self.now = now_us

    def now_us(self) -> int:
        return self.now


class Authoriser:
    """The club server's side of an online spend, as a test double of the port."""

    def __init__(self, answer: str = "yes") -> None:
        self.answer = answer
        self.asked: list[tuple[str, int, str]] = []

    def authorize_spend(self, member_id, points, entry_id):
        self.asked.append((member_id, points, entry_id))
        if self.answer == "yes":
            return SpendAuthorisation("01900000-0000-7000-8000-00000000f001", entry_id, points, T0 + HOUR)
        if self.answer == "no":
            raise ClubError("server_refused_spend", available=1, requested=points)
        raise ClubError(self.answer, detail="connection refused")


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def counter(terminal, clock):
    """A terminal enrolled with a server (seen at T0), and a member with 1,000 points."""
    terminal = open_terminal(terminal.data_dir, clock=clock, db=terminal.db)
    member = enroll_member(terminal, EnrollRequest(name="Reza", phone="09351234567")).member
    record_sale(terminal, SaleRequest(member.id, 100_000_000))  # 1,000 points, before enrolment matters
    with terminal.db.write() as conn:
        sync_state.put(conn, sync_state.SERVER_URL, "http://club.test")
        sync_state.note_contact(conn, T0, T0)
    return terminal, member


def give_grant(terminal, member, points, after_seq=None, expires=T0 + 72 * HOUR):
    with terminal.db.write() as conn:
        head = ledger.head(conn, terminal.device_id)[0] if after_seq is None else after_seq
        grants.put_grant(
            conn,
            StoredGrant(
                grant_id="01900000-0000-7000-8000-00000000f000",
                member_id=member.id,
                device_id=terminal.device_id,
                points=points,
                after_seq=head,
                issued_at_us=T0,
                expires_at_us=expires,
                for_entry=None,
                signature="0" * 64,
                received_at_us=T0,
            ),
        )


def spend(terminal, member, points, **kwargs):
    authoriser = kwargs.pop("authoriser", None)
    return record_sale(
        terminal, SaleRequest(member.id, 10_000_000, redeem_points=points, **kwargs), authoriser
    )


def refused(code):
    return pytest.raises(ClubError, match=code)


def test_an_unenrolled_terminal_is_its_own_authority(terminal):
    member = enroll_member(terminal, EnrollRequest(name="Reza", phone="09351234567")).member
    record_sale(terminal, SaleRequest(member.id, 100_000_000))
    assert spend(terminal, member, 400, authoriser=Authoriser("no")).points_redeemed == 400


def test_online_the_server_authorises_exactly_the_redeem_entry(counter):
    terminal, member = counter
    authoriser = Authoriser("yes")
    result = spend(terminal, member, 300, authoriser=authoriser)
    assert result.points_redeemed == 300 and len(result.entry_ids) == 2
    assert authoriser.asked == [(member.id, 300, result.entry_ids[1])]


def test_the_servers_no_is_final(counter):
    terminal, member = counter
    with refused("server_refused_spend"):
        spend(terminal, member, 300, authoriser=Authoriser("no"))
    with refused("device_revoked"):
        spend(terminal, member, 300, authoriser=Authoriser("device_revoked"))


def test_offline_the_grant_is_drawn_on_until_it_is_used_up(counter):
    terminal, member = counter
    with refused("offline_limit"):  # no grant at all
        spend(terminal, member, 10, authoriser=Authoriser("server_unreachable"))
    give_grant(terminal, member, 100)
    spend(terminal, member, 60, authoriser=Authoriser("server_unreachable"))
    with pytest.raises(ClubError) as refusal:
        spend(terminal, member, 50)
    assert refusal.value.code == "offline_limit" and refusal.value.params == {
        "allowance": 40,
        "requested": 50,
    }
    spend(terminal, member, 40)
    with refused("offline_limit"):
        spend(terminal, member, 1)


def test_an_expired_grant_allows_nothing(counter, clock):
    terminal, member = counter
    give_grant(terminal, member, 100, expires=T0 + HOUR)
    clock.now = T0 + HOUR
    with refused("offline_limit"):
        spend(terminal, member, 10)


def test_a_clock_set_back_blocks_offline_spending_until_the_server_is_seen(counter, clock):
    terminal, member = counter
    give_grant(terminal, member, 100)
    clock.now = T0 - CLOCK_BEHIND_LIMIT_US - 1
    with refused("clock_behind_server"):
        spend(terminal, member, 10)
    clock.now = T0 + 1  # put right by hand: still blocked, the flag waits for the server
    with terminal.db.read() as conn:
        assert sync_state.state(conn).clock_behind
    with refused("clock_behind_server"):
        spend(terminal, member, 10)
    with terminal.db.write() as conn:
        sync_state.note_contact(conn, T0 + 2, T0 + 2)
    spend(terminal, member, 10)


def test_a_manager_overrides_beyond_the_grant_with_a_reason(counter):
    terminal, member = counter
    override = SpendOverride(MANAGER, "  regular customer,   card at home ")
    result = spend(terminal, member, 200, override=override, invoice_ref="F-77")
    assert len(result.entry_ids) == 3 and result.points_redeemed == 200
    with terminal.db.read() as conn:
        entries = ledger.for_invoice(conn, "F-77")
    recorded = {e.kind: e for e in entries}
    assert set(recorded) == {EntryKind.EARN, EntryKind.REDEEM, EntryKind.OVERRIDE}
    over = recorded[EntryKind.OVERRIDE]
    assert (over.points_delta, over.staff_id, over.reason) == (
        0,
        MANAGER.id,
        "regular customer, card at home",
    )
    # the same request again is answered as before, override included
    again = spend(terminal, member, 200, override=override, invoice_ref="F-77", entry_id=result.sale_id)
    assert again.replayed and again.entry_ids == result.entry_ids
    assert verify_ledger(terminal.db).ok


def test_an_override_needs_a_manager_and_a_reason(counter):
    terminal, member = counter
    with refused("not_permitted"):
        spend(terminal, member, 10, override=SpendOverride(CASHIER, "because"))
    with refused("override_needs_reason"):
        spend(terminal, member, 10, override=SpendOverride(MANAGER, "   "))


def test_an_override_is_not_written_when_the_grant_covers_the_sale(counter):
    terminal, member = counter
    give_grant(terminal, member, 100)
    result = spend(terminal, member, 50, override=SpendOverride(MANAGER, "just in case"))
    assert len(result.entry_ids) == 2


def test_restricted_members_cannot_spend_offline_even_by_override(counter):
    terminal, member = counter
    give_grant(terminal, member, 100)
    with terminal.db.write() as conn:
        grants.set_restricted(conn, member.id, True, "negative balance", 5)
    with refused("restricted_member"):
        spend(terminal, member, 10)
    with refused("restricted_member"):
        spend(terminal, member, 10, override=SpendOverride(MANAGER, "known to us"))
    assert spend(terminal, member, 10, authoriser=Authoriser("yes")).points_redeemed == 10  # the server may
    with terminal.db.read() as conn:
        redeems = conn.execute(text("SELECT count(*) FROM ledger_entry WHERE kind = 'redeem'")).scalar_one()
    assert redeems == 1


def test_earning_needs_no_permission(counter):
    terminal, member = counter
    assert spend(terminal, member, 0, authoriser=Authoriser("no")).points_earned == 100
