# SPDX-License-Identifier: GPL-3.0-or-later
"""Sales, redemptions, returns, reversals and enrolment through the real store."""

import pytest

from app.domain.errors import ClubError
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.identify import find_member
from app.services.ledger_check import verify_ledger
from app.services.returns import ReturnRequest, return_sale
from app.services.reversal import reverse_entry
from app.services.staff_auth import authenticate
from app.services.terminal import open_terminal
from tests.support.club import BRANCH_2, CASHIER, MANAGER, MANAGER_PIN


@pytest.fixture
def member(terminal):
    return enroll_member(terminal, EnrollRequest(name="Reza Karimi", phone="09351234567")).member


def earn(terminal, member, amount, points=0):
    """A sale that earns points, then optionally spends `points` of them on another sale."""
    return record_sale(terminal, SaleRequest(member.id, amount, redeem_points=points))


def refused(code):
    return pytest.raises(ClubError, match=code)


def test_sale_with_redemption_earns_on_what_was_paid(terminal, member):
    earn(terminal, member, 50_000_000)  # 500 points
    result = earn(terminal, member, 2_000_000, points=300)
    assert result.discount_rials == 300_000
    assert result.paid_rials == 1_700_000
    assert result.points_earned == 17
    assert result.balance.points == 500 - 300 + 17
    assert len(result.entry_ids) == 2


def test_redemption_limits(terminal, member):
    earn(terminal, member, 10_000_000)  # 100 points
    with refused("insufficient_points"):
        earn(terminal, member, 10_000_000, points=101)
    with refused("redeem_over_cap"):
        earn(terminal, member, 100_000, points=51)  # half of 100,000 rials is 50 points


def test_a_retried_sale_is_recorded_once(terminal, member):
    request = SaleRequest(member.id, 3_000_000, entry_id="01900000-0000-7000-8000-000000000001")
    first = record_sale(terminal, request)
    again = record_sale(terminal, request)
    assert again.replayed and again.entry_ids == first.entry_ids
    assert again.balance.points == 30
    with refused("entry_conflict"):
        record_sale(terminal, SaleRequest(member.id, 3_000_001, entry_id=request.entry_id))


def test_an_invoice_number_is_used_once(terminal, member):
    record_sale(terminal, SaleRequest(member.id, 1_000_000, invoice_ref="INV-1"))
    with refused("invoice_in_use"):
        record_sale(terminal, SaleRequest(member.id, 1_000_000, invoice_ref="INV-1"))


def test_branch_rules_differ(tmp_path):
    from tests.support.club import make_club

    west = make_club(tmp_path / "west", branch_id=BRANCH_2)
    someone = enroll_member(west, EnrollRequest(name="A", phone="09120000009")).member
    assert record_sale(west, SaleRequest(someone.id, 4_000_000)).points_earned == 0  # under the minimum
    assert record_sale(west, SaleRequest(someone.id, 6_000_000)).points_earned == 120
    assert record_sale(west, SaleRequest(someone.id, 60_000_000)).points_earned == 200  # the cap


def test_partial_then_full_return(terminal, member):
    earn(terminal, member, 50_000_000)
    sale = earn(terminal, member, 2_000_000, points=100)  # 17 earned on 1,900,000 paid... floor(19)
    first = return_sale(terminal, ReturnRequest(sale.invoice_ref, 1_000_000))
    assert first.points_given_back == 50
    assert first.returnable_rials == 1_000_000
    rest = return_sale(terminal, ReturnRequest(sale.invoice_ref))
    assert first.points_clawed_back + rest.points_clawed_back == sale.points_earned
    assert first.points_given_back + rest.points_given_back == 100
    assert rest.balance.points == 500  # as if the second sale never happened
    with refused("already_returned"):
        return_sale(terminal, ReturnRequest(sale.invoice_ref))
    with refused("return_exceeds_sale"):
        return_sale(terminal, ReturnRequest(sale.invoice_ref, 1))
    assert verify_ledger(terminal.db).ok


def test_a_retried_return_is_recorded_once(terminal, member):
    sale = earn(terminal, member, 2_000_000)
    request = ReturnRequest(sale.invoice_ref, 500_000, entry_id="01900000-0000-7000-8000-0000000000aa")
    first = return_sale(terminal, request)
    again = return_sale(terminal, request)
    assert again.replayed and again.entry_ids == first.entry_ids
    assert again.returnable_rials == 1_500_000


def test_unknown_invoice(terminal):
    with refused("unknown_invoice"):
        return_sale(terminal, ReturnRequest("NOPE"))


def test_a_return_can_leave_a_debt_but_never_free_points(terminal, member):
    sale = earn(terminal, member, 10_000_000)  # 100 points
    earn(terminal, member, 1_000_000, points=50)  # spends 50 elsewhere, earns 9 on 950,000 paid
    result = return_sale(terminal, ReturnRequest(sale.invoice_ref))
    assert result.points_clawed_back == 100
    assert result.balance.points == 100 - 50 + 9 - 100


def test_manager_reversal(terminal, member):
    sale = earn(terminal, member, 3_000_000)
    manager = authenticate(terminal, MANAGER.name, MANAGER_PIN)
    result = reverse_entry(terminal, sale.sale_id, "recorded on the wrong member", manager)
    assert result.points_delta == -30 and result.sale_amount == -3_000_000
    assert result.balance.points == 0
    with refused("already_reversed"):
        reverse_entry(terminal, sale.sale_id, "again", manager)
    with refused("cannot_reverse_reversal"):
        reverse_entry(terminal, result.entry_id, "undo", manager)
    with refused("already_returned"):
        return_sale(terminal, ReturnRequest(sale.invoice_ref))


def test_reversal_after_a_partial_return_reverses_only_the_rest(terminal, member):
    sale = earn(terminal, member, 4_000_000)
    return_sale(terminal, ReturnRequest(sale.invoice_ref, 1_000_000))
    manager = authenticate(terminal, MANAGER.name, MANAGER_PIN)
    result = reverse_entry(terminal, sale.sale_id, "void", manager)
    assert result.points_delta == -30 and result.balance.points == 0


def test_only_managers_reverse_and_a_reason_is_required(terminal, member):
    sale = earn(terminal, member, 3_000_000)
    with refused("not_permitted"):
        reverse_entry(terminal, sale.sale_id, "please", CASHIER)
    with refused("reason_required"):
        reverse_entry(terminal, sale.sale_id, "   ", MANAGER)
    with refused("wrong_pin"):
        authenticate(terminal, MANAGER.name, "0000")
    with refused("unknown_entry"):
        reverse_entry(terminal, "01900000-0000-7000-8000-0000000000ff", "x", MANAGER)


def test_enrolment(terminal):
    result = enroll_member(terminal, EnrollRequest(
        name="  مریم  احمدی ", phone="۰۹۱۲ ۳۴۵ ۶۷۸۹", national_id="0499370899", consent_marketing=True,
    ))
    member = result.member
    assert member.name == "مریم احمدی" and member.phone == "+989123456789"
    assert member.national_id_last4 == "0899" and member.tier_code == "bronze"
    assert result.card is not None
    profile = find_member(terminal, result.card.number)
    assert profile.member == member
    assert find_member(terminal, "09123456789").member == member
    assert find_member(terminal, member.id).member == member


def test_duplicate_phone_is_caught(terminal, member):
    with pytest.raises(ClubError) as error:
        enroll_member(terminal, EnrollRequest(name="Someone Else", phone="+98 935 123 4567"))
    assert error.value.code == "duplicate_phone" and error.value.params["member"] == member.id


def test_a_retried_enrolment_enrolls_once(terminal):
    request = EnrollRequest(
        name="Nima", phone="09350000000", member_id="01900000-0000-7000-8000-0000000000bb"
    )
    first = enroll_member(terminal, request)
    again = enroll_member(terminal, request)
    assert again.replayed and again.member == first.member and again.card == first.card


def test_revoked_cards_are_refused(terminal, member):
    from sqlalchemy import text

    card = find_member(terminal, member.id).cards[0]
    with terminal.db.write() as conn:
        conn.execute(text("UPDATE card SET status = 'revoked' WHERE number = :n"), {"n": card.number})
    with refused("card_not_active"):
        find_member(terminal, card.number)


def test_cashier_role_is_checked_by_the_use_case(terminal, member):
    from app.domain.staff import Role, Staff

    host = Staff("h", "Host", Role.HOST)
    with refused("not_permitted"):
        record_sale(terminal, SaleRequest(member.id, 1_000, staff=host))


def test_no_club_yet(tmp_path):
    with refused("club_not_set_up"):
        open_terminal(tmp_path / "empty")


def test_five_wrong_pins_lock_the_account_and_it_is_recorded(terminal):
    from app.store import club

    for tries_left in (4, 3, 2, 1):
        with pytest.raises(ClubError) as wrong:
            authenticate(terminal, MANAGER.name, "0000")
        assert wrong.value.code == "wrong_pin" and wrong.value.params["tries_left"] == tries_left
    with refused("staff_locked"):
        authenticate(terminal, MANAGER.name, "0000")
    with refused("staff_locked"):  # even the right PIN, while locked
        authenticate(terminal, MANAGER.name, MANAGER_PIN)
    with terminal.db.read() as conn:
        assert club.staff_events(conn, MANAGER.id) == ["wrong_pin"] * 5 + ["locked"]


def test_a_lock_ends(terminal):
    from dataclasses import replace

    for _ in range(5):
        with pytest.raises(ClubError):
            authenticate(terminal, MANAGER.name, "0000")
    later = replace(terminal, clock=type("Later", (), {"now_us": lambda self: 10**17})())
    assert authenticate(later, MANAGER.name, MANAGER_PIN) == MANAGER


def test_a_right_pin_resets_the_count(terminal):
    for _ in range(4):
        with pytest.raises(ClubError):
            authenticate(terminal, MANAGER.name, "0000")
    authenticate(terminal, MANAGER.name, MANAGER_PIN)
    with pytest.raises(ClubError) as wrong:
        authenticate(terminal, MANAGER.name, "0000")
    assert wrong.value.params["tries_left"] == 4


def test_manual_adjustment_within_the_role_limit(terminal, member):
    from app.services.adjust import adjust_points

    result = adjust_points(terminal, member.id, 250, "welcome gift promised by phone", MANAGER)
    assert result.balance.points == 250
    with refused("adjust_over_limit"):
        adjust_points(terminal, member.id, 1_001, "too much", MANAGER)
    with refused("not_permitted"):
        adjust_points(terminal, member.id, 5, "x", CASHIER)
    with refused("insufficient_points"):
        adjust_points(terminal, member.id, -251, "more than held", MANAGER)
    with refused("reason_required"):
        adjust_points(terminal, member.id, 5, "  ", MANAGER)
    again = adjust_points(terminal, member.id, 250, "same", MANAGER, request_id=result.entry_id)
    assert again.replayed and again.balance.points == 250
    assert verify_ledger(terminal.db).ok


def test_search_by_name_phone_or_card(terminal, member):
    from app.services.identify import search_members

    enroll_member(terminal, EnrollRequest(name="مریم احمدی", phone="09121110000"))
    assert [m.member.id for m in search_members(terminal, "karimi")] == [member.id]
    assert [m.member.name for m in search_members(terminal, "مريم")] == ["مریم احمدی"]  # Arabic yeh typed
    assert [m.member.id for m in search_members(terminal, "0935 123 4567")] == [member.id]
    assert search_members(terminal, "nobody") == []
    assert search_members(terminal, "%") == []


SPELLINGS_OF_ONE_UUID = [
    "01900000-0000-7000-8000-0000000000C1",
    "019000000000700080000000000000c1",
    "{01900000-0000-7000-8000-0000000000c1}",
    "urn:uuid:01900000-0000-7000-8000-0000000000c1",
]
WIRE_FORM = "01900000-0000-7000-8000-0000000000c1"


def _use_cases(terminal, member):
    """Each use case that takes a caller's entry id, as a function of that id to the entry it wrote."""
    from app.services.adjust import adjust_points

    sale = earn(terminal, member, 5_000_000)
    manager = authenticate(terminal, MANAGER.name, MANAGER_PIN)

    def sell(key):
        return record_sale(terminal, SaleRequest(member.id, 1_000_000, 10, entry_id=key)).sale_id

    def give_back(key):
        return return_sale(terminal, ReturnRequest(sale.invoice_ref, 1_000_000, entry_id=key)).entry_ids[0]

    def reverse(key):
        return reverse_entry(terminal, sale.sale_id, "void", manager, request_id=key).entry_id

    def adjust(key):
        return adjust_points(terminal, member.id, 5, "gift", manager, request_id=key).entry_id

    return {"sale": sell, "return": give_back, "reversal": reverse, "adjust": adjust}


def _entry_ids(terminal):
    from sqlalchemy import text

    with terminal.db.read() as conn:
        return set(conn.execute(text("SELECT id FROM ledger_entry")).scalars())


@pytest.mark.parametrize("use_case", ["sale", "return", "reversal", "adjust"])
@pytest.mark.parametrize(
    "bad", ["sale-42", "", "01900000-0000-7000-8000-00000000000", "Z1900000-0000-7000-8000-000000000001"]
)
def test_an_entry_id_that_is_not_a_uuid_is_refused(terminal, member, use_case, bad):
    run = _use_cases(terminal, member)[use_case]
    before = _entry_ids(terminal)
    with pytest.raises(ClubError) as error:
        run(bad)
    assert error.value.code == "invalid_entry_id" and error.value.params == {"entry": bad}
    assert _entry_ids(terminal) == before  # nothing written


@pytest.mark.parametrize("use_case", ["sale", "return", "reversal", "adjust"])
@pytest.mark.parametrize("spelling", SPELLINGS_OF_ONE_UUID)
def test_an_entry_id_is_kept_as_the_wire_carries_it(terminal, member, use_case, spelling):
    run = _use_cases(terminal, member)[use_case]
    assert run(spelling) == WIRE_FORM
    assert WIRE_FORM in _entry_ids(terminal)
    before = _entry_ids(terminal)
    assert run(WIRE_FORM) == WIRE_FORM  # the same key in another spelling is a retry
    assert _entry_ids(terminal) == before


@pytest.mark.parametrize("spelling", SPELLINGS_OF_ONE_UUID)
def test_a_member_id_is_kept_as_the_wire_carries_it(terminal, spelling):
    request = EnrollRequest(name="Nima", phone="09350000000", member_id=spelling)
    assert enroll_member(terminal, request).member.id == WIRE_FORM
    assert enroll_member(terminal, request).replayed


@pytest.mark.parametrize("bad", ["nima-1", ""])
def test_a_member_id_that_is_not_a_uuid_is_refused(terminal, bad):
    with refused("invalid_member_id"):
        enroll_member(terminal, EnrollRequest(name="Nima", phone="09350000000", member_id=bad))
