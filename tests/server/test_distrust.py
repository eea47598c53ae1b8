# SPDX-License-Identifier: GPL-3.0-or-later
"""What one terminal's token is worth: no more than one till. An attacker holding it pushes what a till
would never write, and the server sets it aside with its reason (counted nowhere, published, alerted),
refuses changes to members that are not the terminal's to change, and changes nothing on a GET.

Each test here failed before the server checked what terminals push (issue 12, item 6).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from app.domain.companions import Companion
from app.domain.ids import derived_id
from app.domain.ledger import EntryKind
from sync.protocol import CardItem, RevocationItem, WireCard, WireRevocation
from sync.server.models import ALERT, AUDIT, BALANCE, MEMBER, MEMBER_PHOTO
from tests.server.club import (
    BRANCH_2,
    T0,
    Terminal,
    add_staff,
    enroll,
    member,
    member_item,
    new_id,
    pull_all,
    push,
)

JPEG = b"\xff\xd8\xff\xe0" + b"a face" * 40


def outcomes(answer: dict[str, Any], part: str = "entries") -> list[tuple[str, str | None]]:
    return [(r["outcome"], r["reason"]) for r in answer[part]]


def points(db, member_id: str) -> int:
    with db.read() as conn:
        query = select(BALANCE.c.points).where(BALANCE.c.member_id == member_id)
        return int(conn.execute(query).scalar_one())


def alert_kinds(db) -> list[str]:
    with db.read() as conn:
        return [r.kind for r in conn.execute(select(ALERT.c.kind).order_by(ALERT.c.id))]


def pushed(client, terminal: Terminal, **fields: Any) -> str:
    m = member(**fields)
    push(client, terminal, [], [member_item(m)])
    return m.id


# ---- entries: minted points -----------------------------------------------------------------------


def test_ten_billion_points_on_a_small_sale_are_set_aside_and_counted_nowhere(client, club_db, terminal):
    m = pushed(client, terminal)
    forged = terminal.entry(m, EntryKind.EARN, 10_000_000_000, sale_amount=1_000_000)
    honest = terminal.entry(m, points=10)
    answer = push(client, terminal, [forged, honest])
    assert outcomes(answer) == [("rejected", "price_mismatch"), ("accepted", None)]
    assert points(club_db, m) == 10
    changes = pull_all(client, enroll(club_db))
    set_aside = [c for c in changes if c["kind"] == "entry_set_aside"]
    assert [(c["entry"]["id"], c["reason"]) for c in set_aside] == [(forged.id, "price_mismatch")]
    assert forged.id not in {c["entry"]["id"] for c in changes if c["kind"] == "entry"}
    assert "entry_rejected" in alert_kinds(club_db)
    # a terminal older than these changes does not ask for them, and is not sent what it cannot read
    older = client.get("/v1/sync/pull?since=0&limit=1000", headers=terminal.auth).json()["changes"]
    assert [c for c in older if c["kind"] == "entry_set_aside"] == []


def test_a_sale_priced_right_but_too_big_for_an_hour_is_set_aside(client, club_db, terminal):
    m = pushed(client, terminal)
    huge = terminal.entry(m, points=10_000_000)  # 10**12 rials: the rules agree, the hour does not
    answer = push(client, terminal, [huge, terminal.entry(m, points=10)])
    assert outcomes(answer) == [("rejected", "velocity_limit"), ("accepted", None)]
    assert points(club_db, m) == 10
    # a busy hour of honest sales reaches the ceiling too: what is beyond it waits for review
    answer = push(client, terminal, [terminal.entry(m, points=20_000) for _ in range(3)])
    assert outcomes(answer) == [("accepted", None), ("accepted", None), ("rejected", "velocity_limit")]
    assert alert_kinds(club_db).count("velocity_limit") == 1  # one alert for the hour, not one per entry
    # a sale set aside so takes its companions along (here its redeem and a manager's override)
    manager = add_staff(club_db)
    sale = terminal.sale(m, 2_000_000_000, redeem=5, override_by=manager)
    assert outcomes(push(client, terminal, sale)) == [("rejected", "velocity_limit")] + [
        ("rejected", "primary_set_aside")
    ] * 2


def test_a_terminal_writes_for_its_own_branch_only(client, club_db, terminal):
    m = pushed(client, terminal)
    elsewhere = terminal.entry(m, points=20, branch_id=BRANCH_2, sale_amount=1_000_000)  # ISF: 2 a unit
    assert outcomes(push(client, terminal, [elsewhere])) == [("rejected", "wrong_branch")]
    assert points(club_db, m) == 0


def test_a_bonus_beyond_the_rules_and_an_expiry_are_set_aside(client, club_db, terminal):
    m = pushed(client, terminal)
    bonus = terminal.entry(m, EntryKind.BONUS, 5_000, invoice_ref="signup")  # version 0 gives none
    expiry = terminal.entry(m, EntryKind.EXPIRE, -1)  # a rival till wiping a member out
    assert outcomes(push(client, terminal, [bonus, expiry])) == [
        ("rejected", "price_mismatch"),
        ("rejected", "server_only_kind"),
    ]


def test_cashback_and_a_tier_only_come_with_a_sale_that_earns_them(client, club_db, terminal):
    m = pushed(client, terminal)
    gold = terminal.entry(m, EntryKind.TIER_CHANGE, 0, invoice_ref="silver", reason="upgrade")
    wallet = terminal.entry(m, EntryKind.CASHBACK_CREDIT, 0, cash_delta=5_000_000)
    sale = terminal.sale(m, 1_000_000)
    lifted = terminal.entry(m, EntryKind.TIER_CHANGE, 0, invoice_ref="silver", reason="upgrade",
                            id=str(derived_id(sale[0].id, Companion.TIER)))  # fmt: skip
    answer = push(client, terminal, [gold, wallet, *sale, lifted])
    assert outcomes(answer) == [
        ("rejected", "no_primary_entry"),
        ("rejected", "no_primary_entry"),
        ("accepted", None),
        ("rejected", "price_mismatch"),  # version 0 moves tiers by no sale: the rule set's upgrade only
    ]
    with club_db.read() as conn:
        assert conn.execute(select(MEMBER.c.tier_code).where(MEMBER.c.id == m)).scalar_one() == "bronze"


def test_a_companion_of_a_set_aside_sale_goes_with_it(client, club_db, terminal):
    m = pushed(client, terminal)
    manager = add_staff(club_db)
    sale = terminal.sale(m, 1_000_000, redeem=5, points=999, override_by=manager)  # the sale is forged
    assert outcomes(push(client, terminal, sale)) == [
        ("rejected", "price_mismatch"),
        ("rejected", "primary_set_aside"),
        ("rejected", "primary_set_aside"),
    ]


# ---- entries: who did it --------------------------------------------------------------------------


def test_a_managers_act_must_name_a_manager_who_could_have_done_it(client, club_db, terminal):
    m = pushed(client, terminal)
    cashier = add_staff(club_db, "cashier")
    manager = add_staff(club_db)
    retired = add_staff(club_db, active=False)
    isfahan = add_staff(club_db, branch_id=BRANCH_2)
    adjustments = [
        terminal.entry(m, EntryKind.ADJUST, 500, reason="sorry"),  # nobody named
        terminal.entry(m, EntryKind.ADJUST, 500, reason="sorry", staff_id=new_id()),  # made up
        terminal.entry(m, EntryKind.ADJUST, 500, reason="sorry", staff_id=cashier),
        terminal.entry(m, EntryKind.ADJUST, 500, reason="sorry", staff_id=retired),
        terminal.entry(m, EntryKind.ADJUST, 500, reason="sorry", staff_id=isfahan),
        terminal.entry(m, EntryKind.ADJUST, 5_000, reason="sorry", staff_id=manager),  # over 1,000
        terminal.entry(m, EntryKind.ADJUST, 500, reason="a real correction", staff_id=manager),
    ]
    assert outcomes(push(client, terminal, adjustments)) == [
        ("rejected", "staff_required"),
        ("rejected", "staff_unknown"),
        ("rejected", "staff_not_permitted"),
        ("rejected", "staff_inactive"),
        ("rejected", "staff_other_branch"),
        ("rejected", "staff_not_permitted"),
        ("accepted", None),
    ]
    assert points(club_db, m) == 500


def test_a_reversal_never_gives_back_more_than_was_taken(client, club_db, terminal):
    m = pushed(client, terminal)
    manager = add_staff(club_db)
    push(client, terminal, [terminal.entry(m, points=100)])
    sale = terminal.sale(m, 200_000, redeem=100)  # spends 100, earns 1
    push(client, terminal, sale)
    redeem = sale[1]
    undo = {"reason": "oops", "staff_id": manager}
    too_much = terminal.entry(m, EntryKind.REVERSAL, 1_000, reverses=redeem.id, **undo)
    unknown = terminal.entry(m, EntryKind.REVERSAL, 50, reverses=new_id(), **undo)
    right = terminal.entry(m, EntryKind.REVERSAL, 100, reverses=redeem.id, **undo)
    again = terminal.entry(m, EntryKind.REVERSAL, 100, reverses=redeem.id, **undo)
    assert outcomes(push(client, terminal, [too_much, unknown, right, again])) == [
        ("rejected", "reversal_exceeds"),
        ("rejected", "reverses_unknown"),
        ("accepted", None),
        ("rejected", "reversal_exceeds"),
    ]
    assert points(club_db, m) == 101


# ---- members, cards, photos -----------------------------------------------------------------------


def test_a_terminal_cannot_rewrite_a_member_it_did_not_enrol(client, club_db, terminal):
    other = enroll(club_db)
    m = member(name="Sara Karimi", phone="+989121111111")
    push(client, other, [], [member_item(m)])
    hijack = member(id=m.id, name="Mallory", phone="+989129999999", tier_code="silver")
    answer = push(client, terminal, [], [member_item(hijack)])
    assert outcomes(answer, "items") == [("rejected", "member_not_yours")]
    with club_db.read() as conn:
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == m.id)).one()
    assert (row.name, row.phone, row.tier_code) == ("Sara Karimi", "+989121111111", "bronze")
    assert "item_rejected" in alert_kinds(club_db)
    # the terminal that enrolled the member may correct the record, but not its tier or branch; audited
    fixed = member(id=m.id, name="Sara Karimi-Nouri", phone="+989121111111", tier_code="silver",
                   branch_id=BRANCH_2)  # fmt: skip
    assert outcomes(push(client, other, [], [member_item(fixed)]), "items") == [("accepted", None)]
    with club_db.read() as conn:
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == m.id)).one()
        audited = conn.execute(select(AUDIT.c.action, AUDIT.c.target)).all()
    assert (row.name, row.tier_code, row.branch_id) == ("Sara Karimi-Nouri", "bronze", terminal.branch_id)
    assert ("member_edited_by_terminal", m.id) in [(a.action, a.target) for a in audited]


def test_a_new_member_joins_at_the_terminals_branch_in_the_entry_tier(client, club_db, terminal):
    m = member(tier_code="silver", branch_id=BRANCH_2)
    assert outcomes(push(client, terminal, [], [member_item(m)]), "items") == [("accepted", None)]
    with club_db.read() as conn:
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == m.id)).one()
    kept = (row.tier_code, row.branch_id, row.enrolled_by)
    assert kept == ("bronze", terminal.branch_id, terminal.device_id)
    assert "member_corrected" in alert_kinds(club_db)


def test_cards_come_from_the_terminals_own_series_and_revocations_from_a_manager(client, club_db, terminal):
    m = pushed(client, terminal)
    foreign = CardItem(id=new_id(), card=WireCard(number="9826999000000017", member_id=m, issued_at_us=T0))
    own_number = terminal.card_prefix + "0" * (15 - len(terminal.card_prefix)) + "0"
    own = CardItem(id=new_id(), card=WireCard(number=own_number, member_id=m, issued_at_us=T0))
    answer = push(client, terminal, [], [foreign, own])
    assert outcomes(answer, "items") == [("rejected", "card_not_in_series"), ("accepted", None)]
    manager = add_staff(club_db)
    revocations = [
        RevocationItem(
            id=new_id(),
            revocation=WireRevocation(
                id=new_id(),
                card_number=own_number,
                status="revoked",
                reason="stolen",
                staff_id=staff,
                at_us=T0,
            ),
        )
        for staff in (None, add_staff(club_db, "cashier"), manager)
    ]
    answer = push(client, terminal, [], revocations)
    assert outcomes(answer, "items") == [
        ("rejected", "staff_required"),
        ("rejected", "staff_not_permitted"),
        ("accepted", None),
    ]


def test_asking_about_a_photo_changes_nothing_and_photos_are_set_for_members_the_terminal_may_touch(
    client, club_db, terminal
):
    elsewhere = enroll(club_db, "ISF")
    victim = pushed(client, elsewhere, branch_id=BRANCH_2)
    own = pushed(client, terminal)
    sha = hashlib.sha256(JPEG).hexdigest()
    headers = terminal.auth | {"Content-Range": f"bytes 0-{len(JPEG) - 1}/{len(JPEG)}"}
    # the victim's own photo, uploaded by their branch
    done = client.put(f"/v1/photos/{sha}?member_id={victim}", content=JPEG,
                      headers=elsewhere.auth | {"Content-Range": headers["Content-Range"]})  # fmt: skip
    assert done.status_code == 200 and done.json()["complete"]
    attacker = b"\xff\xd8\xff\xe0" + b"another face" * 30
    attacker_sha = hashlib.sha256(attacker).hexdigest()
    whole = {"Content-Range": f"bytes 0-{len(attacker) - 1}/{len(attacker)}"}
    put = client.put(
        f"/v1/photos/{attacker_sha}?member_id={own}", content=attacker, headers=terminal.auth | whole
    )
    assert put.status_code == 200 and put.json()["complete"]
    # a GET that names another member changes nobody's photo
    asked = client.get(f"/v1/photos/{attacker_sha}/upload?member_id={victim}", headers=terminal.auth)
    assert asked.status_code == 200 and asked.json()["complete"]
    # nor may this terminal give the victim (another branch's member, with a photo) its photo by POST
    refused = client.post(f"/v1/photos/{attacker_sha}/member?member_id={victim}", headers=terminal.auth)
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "photo_not_permitted"
    with club_db.read() as conn:
        held = dict(conn.execute(select(MEMBER_PHOTO.c.member_id, MEMBER_PHOTO.c.sha256)).all())
        audited = [a.action for a in conn.execute(select(AUDIT.c.action))]
    assert held == {victim: sha, own: attacker_sha}
    assert audited.count("photo_set_by_terminal") == 2
    # a photo the server already holds becomes another member's by POST, for a member it may touch
    linked = client.post(f"/v1/photos/{sha}/member?member_id={own}", headers=terminal.auth)
    assert linked.status_code == 200 and linked.json()["complete"]
    assert client.post(f"/v1/photos/{sha}/upload?member_id={own}", headers=terminal.auth).status_code == 405
