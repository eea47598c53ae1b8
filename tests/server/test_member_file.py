# SPDX-License-Identifier: GPL-3.0-or-later
"""The member file's use cases (sync.server.club.member_file), called directly: they are the one path the
back office's pages and the admin API take."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from app.cards.verify import verify_card
from app.domain.card import is_valid_card_number
from app.domain.errors import ClubError
from app.domain.ledger import EntryKind, LedgerEntry, find_chain_break
from app.services.enroll import CARD_VALIDITY_US
from sync.protocol import WireEntry, WireEvent, WireInvitation, b64decode
from sync.server import card_key, events
from sync.server.club import member_file
from sync.server.club.access import Actor
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import AUDIT, BALANCE, CARD, CLUB_KEY, DEVICE, ENTRY, MEMBER, REVOCATION
from sync.server.programme import SERVER_DEVICE_ID
from sync.server.sequence import Publisher
from tests.server.club import BRANCH_1, BRANCH_2, T0, enroll, member, member_item, new_id, pull_all, push

OWNER = Actor(id="u-owner", name="owner", role="owner")
MANAGER = Actor(id="u-manager", name="manager", role="manager")
THR_MANAGER = Actor(id="u-bm", name="thr", role="branch-manager", branch_ids=frozenset({BRANCH_1}))
AUDITOR = Actor(id="u-aud", name="aud", role="auditor")
MARKETING = Actor(id="u-mkt", name="mkt", role="marketing")
_ENTRY_FIELDS = [f for f in LedgerEntry.__dataclass_fields__ if f != "kind"]


def call(db: Database, actor: Actor = OWNER, now_us: int = T0 + 1_000_000) -> Call:
    return Call(db, now_us, actor)


def pushed_member(client, terminal, points: int = 0, **fields: Any) -> str:
    m = member(**fields)
    entries = [terminal.entry(m.id, EntryKind.EARN, points)] if points else []
    push(client, terminal, entries, [member_item(m)])
    return m.id


def points_of(db: Database, member_id: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(select(BALANCE.c.points).where(BALANCE.c.member_id == member_id)).scalar_one()
        )


def server_chain(db: Database) -> tuple[list[LedgerEntry], tuple[int, str]]:
    with db.read() as conn:
        rows = conn.execute(
            select(ENTRY).where(ENTRY.c.device_id == SERVER_DEVICE_ID).order_by(ENTRY.c.device_seq)
        ).all()
        device = conn.execute(select(DEVICE).where(DEVICE.c.id == SERVER_DEVICE_ID)).one()
    entries = [LedgerEntry(**{f: getattr(r, f) for f in _ENTRY_FIELDS}, kind=EntryKind(r.kind)) for r in rows]
    return entries, (device.last_seq, device.head_hash)


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def last_audit(db: Database) -> Any:
    with db.read() as conn:
        return conn.execute(select(AUDIT).order_by(AUDIT.c.id.desc()).limit(1)).one()


# ---- points adjustments --------------------------------------------------------------------------------


def test_an_adjustment_is_an_entry_in_the_servers_chain_that_terminals_pull(client, club_db, terminal):
    m = pushed_member(client, terminal, points=40)
    done = member_file.adjust_points(call(club_db), m, 25, "  goodwill   for a late delivery ", BRANCH_1)
    again = member_file.adjust_points(call(club_db, now_us=T0 + 2_000_000), m, -15, "typo", BRANCH_1)
    assert (done.points, again.points) == (65, 50) and points_of(club_db, m) == 50
    written, head = server_chain(club_db)
    assert [(e.kind, e.points_delta, e.reason, e.branch_id) for e in written] == [
        (EntryKind.ADJUST, 25, "goodwill for a late delivery", BRANCH_1),
        (EntryKind.ADJUST, -15, "typo", BRANCH_1),
    ]
    assert find_chain_break(SERVER_DEVICE_ID, written, head=head) is None
    audit = last_audit(club_db)
    assert (audit.action, audit.target) == ("member.adjust", m)
    detail = json.loads(audit.detail)
    assert detail["before"] == {"points": 65} and detail["after"]["points"] == 50
    other = enroll(club_db, "ISF")  # a terminal that pulls everything
    pulled = [
        WireEntry.model_validate(c["entry"])
        for c in pull_all(client, other)
        if c["kind"] == "entry" and c["entry"]["device_id"] == SERVER_DEVICE_ID
    ]
    assert [e.id for e in pulled] == [done.entry_id, again.entry_id]
    assert all(e.hash_holds() for e in pulled)


def test_an_adjustment_never_takes_more_than_the_member_holds(client, club_db, terminal):
    m = pushed_member(client, terminal, points=10)
    with pytest.raises(ApiError) as refused:
        member_file.adjust_points(call(club_db), m, -11, "too much", BRANCH_1)
    assert (refused.value.status, refused.value.code) == (409, "insufficient_points")
    assert points_of(club_db, m) == 10 and count(club_db, ENTRY) == 1
    assert member_file.adjust_points(call(club_db), m, -10, "all of it", BRANCH_1).points == 0


def test_an_adjustment_needs_a_reason_a_size_and_a_known_branch(client, club_db, terminal):
    m = pushed_member(client, terminal)
    with pytest.raises(ClubError, match="reason_required"):
        member_file.adjust_points(call(club_db), m, 5, "   ", BRANCH_1)
    for delta, code in ((0, "invalid_points"), (100_001, "adjust_over_limit")):
        with pytest.raises(ApiError) as refused:
            member_file.adjust_points(call(club_db), m, delta, "why", BRANCH_1)
        assert refused.value.code == code
    with pytest.raises(ApiError) as unknown:
        member_file.adjust_points(call(club_db), m, 5, "why", new_id())
    assert unknown.value.code == "unknown_branch"
    with pytest.raises(ApiError) as nobody:
        member_file.adjust_points(call(club_db), new_id(), 5, "why", BRANCH_1)
    assert nobody.value.status == 404
    assert member_file.adjust_points(call(club_db), m, 100_000, "the office may", BRANCH_1).points == 100_000
    assert count(club_db, ENTRY) == 1


def test_a_branch_manager_adjusts_only_at_their_branch_and_within_a_managers_limit(client, club_db, terminal):
    m = pushed_member(client, terminal)
    with pytest.raises(ApiError) as elsewhere:
        member_file.adjust_points(call(club_db, THR_MANAGER), m, 5, "why", BRANCH_2)
    assert (elsewhere.value.status, elsewhere.value.code) == (403, "forbidden")
    with pytest.raises(ApiError) as too_many:
        member_file.adjust_points(call(club_db, THR_MANAGER), m, 1_001, "why", BRANCH_1)
    assert too_many.value.code == "adjust_over_limit"
    assert member_file.adjust_points(call(club_db, THR_MANAGER), m, 1_000, "why", BRANCH_1).points == 1_000
    assert member_file.adjust_points(call(club_db, MANAGER), m, 5, "why", BRANCH_2).points == 1_005


@pytest.mark.parametrize("actor", [AUDITOR, MARKETING], ids=["auditor", "marketing"])
def test_roles_without_the_permission_cannot_adjust(client, club_db, terminal, actor):
    m = pushed_member(client, terminal)
    with pytest.raises(ApiError) as refused:
        member_file.adjust_points(call(club_db, actor), m, 5, "why", BRANCH_1)
    assert refused.value.status == 403
    assert count(club_db, ENTRY) == 0 and points_of(club_db, m) == 0


def test_a_form_sent_twice_is_one_adjustment(client, club_db, terminal):
    m = pushed_member(client, terminal)
    request_id = str(uuid.uuid4())
    first = member_file.adjust_points(call(club_db), m, 7, "why", BRANCH_1, request_id=request_id)
    second = member_file.adjust_points(call(club_db), m, 7, "why", BRANCH_1, request_id=request_id)
    assert second.replayed and second.entry_id == first.entry_id and points_of(club_db, m) == 7
    with pytest.raises(ApiError) as other:
        member_file.adjust_points(call(club_db), m, 8, "why", BRANCH_1, request_id=request_id)
    assert other.value.code == "entry_conflict"


def test_points_are_read_as_people_type_them():
    assert [member_file.parse_points(t) for t in ("50", "-20", "+۱۲", "−۵", "1,000", " ۳٬۰۰۰ ")] == [
        50, -20, 12, -5, 1000, 3000,
    ]  # fmt: skip
    for bad in ("", "abc", "1.5", "--3", "1e3", "9" * 13):
        with pytest.raises(ApiError):
            member_file.parse_points(bad)


# ---- the ledger ----------------------------------------------------------------------------------------


def test_the_ledger_pages_newest_first_each_entry_once(client, club_db, terminal):
    m = pushed_member(client, terminal)
    push(client, terminal, [terminal.entry(m, EntryKind.EARN, p) for p in range(1, 8)])
    member_file.adjust_points(call(club_db), m, 3, "why", BRANCH_1)
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = member_file.ledger_page(call(club_db, AUDITOR), m, after, limit=3)
        seen += [line.server_seq for line in page.lines]
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    assert pages == 3 and len(seen) == 8 and seen == sorted(set(seen), reverse=True)
    first = member_file.ledger_page(call(club_db), m, None, limit=3).lines[0]
    assert (first.kind, first.points_delta, first.device_code) == ("adjust", 3, "SERVER")
    with pytest.raises(ApiError):
        member_file.ledger_page(call(club_db), m, None, limit=0)


# ---- the profile and the tier -------------------------------------------------------------------------


def test_a_profile_edit_is_checked_published_and_audited(client, club_db, terminal):
    m = pushed_member(client, terminal, name="Old Name")
    taken = pushed_member(client, terminal)
    fields = {"name": "  Sara   Ahmadi ", "phone": "0912 111 2233", "birth_date": date(1990, 3, 21)}
    edited = member_file.edit_profile(call(club_db, MARKETING), m, fields)
    assert (edited.name, edited.phone, edited.birth_date) == (
        "Sara Ahmadi",
        "+989121112233",
        date(1990, 3, 21),
    )
    published = [c["member"] for c in pull_all(client, terminal) if c["kind"] == "member"]
    assert published[-1]["name"] == "Sara Ahmadi"
    detail = json.loads(last_audit(club_db).detail)
    assert detail["before"]["name"] == "Old Name" and detail["after"]["phone"] == "+989121112233"
    with club_db.read() as conn:
        phone = conn.execute(select(MEMBER.c.phone).where(MEMBER.c.id == taken)).scalar_one()
    with pytest.raises(ApiError) as duplicate:
        member_file.edit_profile(call(club_db), m, {"phone": phone})
    assert duplicate.value.code == "duplicate_phone"
    with pytest.raises(ApiError) as unborn:
        member_file.edit_profile(call(club_db), m, {"birth_date": date(2099, 1, 1)})
    assert unborn.value.code == "invalid_birth_date"
    with pytest.raises(ClubError, match="invalid_phone"):
        member_file.edit_profile(call(club_db), m, {"phone": "12"})
    with pytest.raises(ApiError) as auditor:
        member_file.edit_profile(call(club_db, AUDITOR), m, {"name": "X"})
    assert auditor.value.status == 403


def test_birth_dates_are_read_in_jalali_or_gregorian():
    assert member_file.parse_birth_date("۱۳۶۹/۰۱/۰۱") == date(1990, 3, 21)
    assert member_file.parse_birth_date("1990-03-21") == date(1990, 3, 21)
    assert member_file.parse_birth_date("  ") is None
    for bad in ("1369/13/01", "21/03/1990", "yesterday"):
        with pytest.raises(ApiError):
            member_file.parse_birth_date(bad)


def test_a_tier_placement_is_a_server_entry_with_its_reason(client, club_db, terminal):
    m = pushed_member(client, terminal)
    placed = member_file.place_tier(call(club_db), m, "silver", "ambassador of the month")
    assert placed.tier_code == "silver"
    written, head = server_chain(club_db)
    assert [(e.kind, e.invoice_ref, e.reason) for e in written] == [
        (EntryKind.TIER_CHANGE, "silver", "ambassador of the month")
    ]
    assert find_chain_break(SERVER_DEVICE_ID, written, head=head) is None
    published = [c["member"] for c in pull_all(client, terminal) if c["kind"] == "member"]
    assert published[-1]["tier_code"] == "silver"
    for tier, code in (("silver", "same_tier"), ("platinum", "unknown_tier")):
        with pytest.raises(ApiError) as refused:
            member_file.place_tier(call(club_db), m, tier, "why")
        assert refused.value.code == code
    standing = member_file.member_file(call(club_db), m).standing
    assert standing.tier.code == "silver" and standing.since_us == T0 + 1_000_000
    assert standing.keep_by_us is not None and standing.keep_by_us > standing.since_us


# ---- cards --------------------------------------------------------------------------------------------


def _keys(db: Database) -> dict[int, bytes]:
    with db.read() as conn:
        return {r.key_id: b64decode(r.public_key) for r in conn.execute(select(CLUB_KEY))}


def test_a_server_qr_card_has_its_own_series_and_verifies_as_a_terminals_card(client, club_db, terminal):
    m = pushed_member(client, terminal, national_id_last4="0899")
    issued = member_file.issue_qr_card(call(club_db, THR_MANAGER), m)
    with club_db.read() as conn:
        server = conn.execute(select(DEVICE).where(DEVICE.c.id == SERVER_DEVICE_ID)).one()
    assert server.number == 2 and server.card_prefix == "9826002"  # after the terminal's 001
    assert issued.number.startswith("9826002") and is_valid_card_number(issued.number) and not issued.reused
    verdict = verify_card(
        issued.qr_text, uid=None, keys=_keys(club_db), now_us=T0 + 2_000_000, is_revoked=lambda _n: False,
        revocations_as_of_us=T0 + 2_000_000, max_revocation_age_us=10**12, member_exists=lambda _m: True,
    )  # fmt: skip
    assert verdict.valid and verdict.payload is not None
    assert (verdict.payload.card_number, verdict.payload.member_id) == (issued.number, m)
    assert verdict.payload.national_id_last4 == "0899"
    # the member holds one: asked again, the same card and the same text
    again = member_file.issue_qr_card(call(club_db), m)
    assert (again.number, again.qr_text, again.reused) == (issued.number, issued.qr_text, True)
    assert member_file.card_qr(call(club_db), m, issued.number) == issued.qr_text
    # terminals get the card and the key; the next terminal enrolled does not get the server's number
    changes = pull_all(client, terminal)
    assert [c["card"]["number"] for c in changes if c["kind"] == "card"] == [issued.number]
    assert any(c["kind"] == "club_key" for c in changes)
    assert enroll(club_db, "ISF").card_prefix == "9826003"
    second = member_file.issue_qr_card(call(club_db), pushed_member(client, terminal))
    assert int(second.number[7:15]) == int(issued.number[7:15]) + 1


def test_revoking_a_card_publishes_it_once(client, club_db, terminal):
    m = pushed_member(client, terminal)
    issued = member_file.issue_qr_card(call(club_db), m)
    with pytest.raises(ApiError) as not_theirs:
        member_file.revoke_card(call(club_db), issued.number, "lost", "", member_id=new_id())
    assert not_theirs.value.status == 404
    with pytest.raises(ApiError) as marketing:
        member_file.revoke_card(call(club_db, MARKETING), issued.number, "lost")
    assert marketing.value.status == 403
    revoked = member_file.revoke_card(call(club_db), issued.number, "lost", "", member_id=m)
    assert (revoked.status, revoked.reason) == ("lost", "lost")
    with club_db.read() as conn:
        assert (
            conn.execute(select(CARD.c.status).where(CARD.c.number == issued.number)).scalar_one() == "lost"
        )
    with pytest.raises(ApiError) as twice:
        member_file.revoke_card(call(club_db), issued.number, "revoked", "again")
    assert twice.value.code == "card_not_active" and count(club_db, REVOCATION) == 1
    assert [
        c["revocation"]["status"] for c in pull_all(client, terminal) if c["kind"] == "card_revocation"
    ] == ["lost"]
    with pytest.raises(ApiError) as gone:
        member_file.card_qr(call(club_db), m, issued.number)
    assert gone.value.code == "card_not_active"
    assert member_file.issue_qr_card(call(club_db), m).number != issued.number  # a new one, not the lost


def test_the_server_cards_last_as_long_as_a_terminals():
    assert card_key.CARD_VALIDITY_US == CARD_VALIDITY_US


# ---- the file -----------------------------------------------------------------------------------------


def _event(db: Database, name: str, tiers: list[str], invite: str | None = None) -> str:
    event = WireEvent(id=new_id(), name=name, starts_at_us=T0 + 10**9, ends_at_us=T0 + 2 * 10**9,
                      invited_tiers=tiers)  # fmt: skip

    def work(conn: Any) -> None:
        pub = Publisher(T0)
        events.put_event(conn, pub, event)
        if invite:
            events.put_invitation(conn, pub, WireInvitation(id=new_id(), event_id=event.id, member_id=invite))
        pub.flush(conn)

    db.write(work)
    return event.id


def test_the_file_shows_the_member_and_is_audited(client, club_db, terminal):
    m = pushed_member(client, terminal, points=120)
    _event(club_db, "Gala night", [], invite=m)
    _event(club_db, "Bronze breakfast", ["bronze"])
    _event(club_db, "Silver only", ["silver"])
    member_file.issue_qr_card(call(club_db), m)
    found = member_file.member_file(call(club_db, AUDITOR), m)
    assert (found.points, found.wallet_rials, found.restricted, found.photo_sha256) == (120, 0, False, None)
    assert found.standing.tier.code == "bronze" and found.standing.qualifying == 120
    assert found.standing.next_tier is not None and found.standing.to_next == 380
    assert [(i.name, i.by_tier) for i in found.invitations] == [
        ("Gala night", False),
        ("Bronze breakfast", True),
    ]
    assert [(c.kind, c.server_issued, c.active) for c in found.cards] == [("qr", True, True)]
    assert [line.points_delta for line in found.ledger.lines] == [120] and found.ledger.next_after is None
    assert [t.code for t in found.tiers] == ["bronze", "silver"] and len(found.branches) == 2
    assert (last_audit(club_db).action, last_audit(club_db).target) == ("member.view", m)
    with pytest.raises(ApiError) as unknown:
        member_file.member_file(call(club_db), new_id())
    assert unknown.value.status == 404
