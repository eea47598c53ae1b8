# SPDX-License-Identifier: GPL-3.0-or-later
"""What the member page shows and changes (sync.server.portal.view, api): the member's standing, history
in pages, invitations with their signed passes, the programme's catalogue, consent given from the page
(source member_page, published, audited) and the privacy export as a download; on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.cards.invitation_qr import verify_invitation_qr
from app.domain.programme import MembershipPlan, Reward
from sync.protocol import WireEvent, WireInvitation, b64decode
from sync.server import events
from sync.server import rules as rule_sets
from sync.server.app import create_app
from sync.server.models import AUDIT, MEMBER
from sync.server.portal import texts, view
from sync.server.sequence import Publisher
from tests.server.club import T0, new_id, push
from tests.server.portal_support import ORIGIN, H, add_member, changes, sign_in
from tests.support.sms_receiver import sms_receiver

PHONE = "+989121234567"
HOUR_US = 3_600_000_000


@pytest.fixture
def receiver():
    with sms_receiver() as r:
        yield r


@pytest.fixture
def sara(club_db, clock, receiver):
    m = add_member(club_db, name="Sara", phone=PHONE)
    app = create_app(club_db, clock)
    app.state.portal_answer_floor_s = 0.0
    with TestClient(app, base_url=ORIGIN) as client:
        sign_in(client, club_db, receiver, clock, PHONE)
        yield m, client


def test_me_shows_points_tier_and_the_server_s_clock(sara, club_db, clock, client, terminal):
    m, page = sara
    answer = push(client, terminal, [terminal.entry(m.id, points=120)])
    assert not answer.get("rejected"), answer
    me = page.get("/m/api/me", headers={"Accept-Language": "en"}).json()
    assert me["points"] == 120 and me["wallet_rials"] == 0
    assert me["tier"]["code"] == "bronze" and me["tier"]["name"]
    assert isinstance(me["tier"]["privileges"], list)
    assert me["server_time_ms"] == clock.now_us() // 1000
    assert me["consent"] == {"marketing": False, "given_at_ms": T0 // 1000, "source": "terminal"}
    assert set(me) == {"member", "points", "wallet_rials", "tier", "next_tier", "expiring", "consent",
                       "server_time_ms"}  # fmt: skip
    if me["next_tier"] is not None:
        assert set(me["next_tier"]) == {"name", "points_needed", "spend_needed_rials"}
    assert page.get("/m/api/me").headers["cache-control"] == "no-store"


def test_history_comes_in_pages_of_twenty_newest_first(sara, client, terminal):
    m, page = sara
    entries = [terminal.entry(m.id, points=i + 1) for i in range(25)]
    answer = push(client, terminal, entries)
    assert not answer.get("rejected"), answer
    first = page.get("/m/api/history").json()
    assert len(first["entries"]) == 20 and first["more"] is True
    assert [e["points"] for e in first["entries"][:2]] == [25, 24]
    assert set(first["entries"][0]) == {"id", "at_ms", "kind", "points", "cash_rials", "sale_rials", "branch"}
    rest = page.get("/m/api/history", params={"before": first["entries"][-1]["id"]}).json()
    assert [e["points"] for e in rest["entries"]] == [5, 4, 3, 2, 1] and rest["more"] is False


def test_invitations_still_standing_carry_a_pass_the_door_verifies(sara, club_db, clock):
    m, page = sara
    now = clock.now_us()
    coming = WireEvent(id=new_id(), name="Yalda night", venue="Tehran", starts_at_us=now + HOUR_US,
                       ends_at_us=now + 3 * HOUR_US, plus_ones=1)  # fmt: skip
    over = WireEvent(id=new_id(), name="Nowruz", starts_at_us=now - 3 * HOUR_US, ends_at_us=now - HOUR_US)

    def invite(conn):
        pub = Publisher(now)
        for event in (coming, over):
            events.put_event(conn, pub, event)
            invitation = WireInvitation(id=new_id(), event_id=event.id, member_id=m.id)
            events.put_invitation(conn, pub, invitation)
        pub.flush(conn)

    club_db.write(invite)
    [shown] = page.get("/m/api/invitations").json()["invitations"]
    assert (shown["event"], shown["venue"], shown["plus_ones"]) == ("Yalda night", "Tehran", None)
    assert shown["starts_ms"] == coming.starts_at_us // 1000 and shown["ends_ms"] == coming.ends_at_us // 1000
    keys = {c["key"]["key_id"]: b64decode(c["key"]["public_key"]) for c in changes(club_db, "club_key")}
    signed = verify_invitation_qr(shown["qr_text"], keys, now)
    assert signed.member_id == m.id and signed.event_id == coming.id


def test_the_catalogue_is_the_programme_s_rewards_and_plans(sara, club_db):
    _, page = sara

    def publish(conn):
        pub = Publisher(T0)
        rules = replace(
            rule_sets.legacy(conn),
            rewards=(Reward("mug", "ماگ", "Mug", points=300),),
            memberships=(
                MembershipPlan(
                    "gold-year", "طلایی سالانه", "Gold year", 50_000_000, 365, benefits=("Free parking",)
                ),
            ),
        )
        rule_sets.save(conn, pub, rules, "test")
        pub.flush(conn)

    club_db.write(publish)
    english = page.get("/m/api/catalogue", headers={"Accept-Language": "en"}).json()
    assert english["rewards"] == [{"name": "Mug", "points": 300, "description": "A gift"}]
    assert english["plans"] == [{"name": "Gold year", "price_rials": 50_000_000, "days": 365,
                                 "privileges": ["Free parking"]}]  # fmt: skip
    persian = page.get("/m/api/catalogue").json()
    assert persian["rewards"][0]["name"] == "ماگ" and persian["plans"][0]["name"] == "طلایی سالانه"


def test_consent_given_on_the_page_is_recorded_with_its_source(sara, club_db, clock):
    m, page = sara
    clock.advance(10)
    given = page.put("/m/api/consent", json={"marketing": True}, headers=H)
    assert given.status_code == 200
    assert given.json() == {"marketing": True, "given_at_ms": clock.now_us() // 1000, "source": "member_page"}
    with club_db.read() as conn:
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == m.id)).one()
        audit = conn.execute(select(AUDIT).where(AUDIT.c.action == "member.consent")).one()
    assert row.consent_marketing and row.consent_marketing_source == "member_page"
    assert row.consent_marketing_at_us == clock.now_us()
    assert audit.actor.startswith("member:") and m.id in audit.actor
    published = [c["member"] for c in changes(club_db, "member") if c["member"]["id"] == m.id]
    assert published[-1]["consent_marketing"] is True
    assert page.get("/m/api/me").json()["consent"]["source"] == "member_page"
    assert page.put("/m/api/consent", json={"marketing": "maybe"}, headers=H).status_code == 400


def test_the_export_downloads_everything_held_about_the_member(sara, club_db):
    m, page = sara
    answer = page.get("/m/api/export")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].startswith("attachment;")
    data = answer.json()
    assert m.id in answer.text and "Sara" in answer.text
    assert isinstance(data, dict) and data
    pdf = page.get("/m/api/export", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with club_db.read() as conn:
        actions = [r.action for r in conn.execute(select(AUDIT).where(AUDIT.c.target == m.id))]
    assert "member.export" in actions and "member.export_pdf" in actions


def test_the_data_is_closed_without_a_session(club_db, clock):
    with TestClient(create_app(club_db, clock), base_url=ORIGIN) as anonymous:
        for path in (
            "/m/api/me",
            "/m/api/history",
            "/m/api/invitations",
            "/m/api/catalogue",
            "/m/api/export",
        ):
            answer = anonymous.get(path)
            assert answer.status_code == 401 and answer.json()["error"] == "signed_out", path


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, "fa"), ("en", "en"), ("en-GB,en;q=0.9", "en"), ("fa-IR,en;q=0.8", "fa"), ("de,en;q=0.5", "en"),
     ("en;q=0.5,fa;q=0.9", "fa"), ("de", "fa"), ("en;q=x", "fa")],
)  # fmt: skip
def test_the_language_is_the_browser_s_preference_between_persian_and_english(header, expected):
    assert texts.language(header) == expected


@pytest.mark.parametrize(
    ("phone", "masked"), [("+989121234567", "0912***4567"), ("+441234567890", "+441*****7890")]
)
def test_a_number_is_shown_masked(phone, masked):
    assert view.mask_phone(phone) == masked
