# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's messages (sync.server.club.messages, pages/messages.py) on PostgreSQL and SQLite:
templates edited and previewed, campaigns counted and costed before they go (figures worked out by hand
below), queued set-based, scheduled and cancelled; the stop switch; a member's history and contact data;
the month's cost per channel; roles, CSRF and escaping."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app import format as fmt
from sync.server import club, members
from sync.server.club import member_file, messages, privacy
from sync.server.club.access import CONSOLE, Actor
from sync.server.club.act import Call
from sync.server.db import Database, dialect_insert
from sync.server.errors import ApiError
from sync.server.models import AUDIT, MEMBER, MESSAGE, MESSAGE_CAMPAIGN, MESSAGE_TEMPLATE, REPORT_MEMBER_DAY
from sync.server.reports.aggregates import DAY_US, day_of
from sync.server.sequence import Publisher
from tests.server.club import BRANCH_1, BRANCH_2, T0, Terminal, member, member_item, new_id, push
from tests.server.office import add_every_role, sign_in

SMS_PART = 2_500  # rials a part (the default setting)
EMAIL = 1_000  # rials an email (set below)


@pytest.fixture
def office(club_db: Database) -> Database:
    add_every_role(club_db)  # owner, manager, branchmanager (BRANCH_1), marketing, auditor
    club_db.write(lambda conn: club.put_setting(conn, Publisher(T0), "messages_email_rials", str(EMAIL)))
    return club_db


def _call(db: Database, actor: Actor = CONSOLE, now_us: int = T0) -> Call:
    return Call(db, now_us, actor)


def _member(db: Database, *, email: str | None = None, channel: str = "sms", **fields: Any) -> str:
    m = member(**({"consent_marketing": True} | fields))

    def work(conn: Any) -> None:
        pub = Publisher(T0)
        members.put_member(conn, pub, m)
        conn.execute(update(MEMBER).where(MEMBER.c.id == m.id).values(email=email, preferred_channel=channel))
        pub.flush(conn)

    db.write(work)
    return m.id


def _erase(db: Database, member_id: str) -> None:
    erase = update(MEMBER).where(MEMBER.c.id == member_id).values(erased_at_us=T0)
    db.write(lambda conn: conn.execute(erase))


def _rows(db: Database, table: Any, *where: Any) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(select(table).where(*where)))


def _audit(db: Database, action: str) -> list[Any]:
    return [json.loads(r.detail) | {"target": r.target} for r in _rows(db, AUDIT, AUDIT.c.action == action)]


def _post(client: TestClient, path: str, csrf: str, **data: Any) -> Any:
    return client.post(path, data=data | {"csrf_token": csrf}, follow_redirects=False)


def _english(client: TestClient, csrf: str) -> None:
    assert client.post("/admin/lang", data={"lang": "en", "csrf_token": csrf}).status_code == 200


def _audience(db: Database) -> dict[str, str]:
    """Five members: three who may receive marketing (two by SMS, one by email), one who did not consent,
    one erased."""
    return {
        "sms_1": _member(db, name="Ali"),
        "sms_2": _member(db, name="Sara", tier_code="silver", branch_id=BRANCH_2),
        "email": _member(db, name="Reza", email="reza@example.com", channel="email"),
        "refused": _member(db, name="Nima", consent_marketing=False),
        "erased": _erase_later(db),
    }


def _erase_later(db: Database) -> str:
    member_id = _member(db, name="Gone")
    _erase(db, member_id)
    return member_id


# ---- count and cost -----------------------------------------------------------------------------------


def test_the_count_and_cost_are_the_hand_computed_figures(office: Database):
    _audience(office)
    # 49 Persian letters + "\n" + "برای لغو، ۱۱ بفرستید" (20) = 70 UCS-2 units: one part
    short = messages.reach(_call(office), messages.Segment(), "ت" * 49, "Hello")
    assert (short.members, short.sms, short.email) == (3, 2, 1)
    assert (short.sms_parts, short.parts) == (1, 2)
    assert short.cost_rials == 2 * 1 * SMS_PART + 1 * EMAIL == 6_000
    # 50 letters + 21 = 71 units: over 70, so split in parts of 67: two parts each
    long = messages.reach(_call(office), messages.Segment(), "ت" * 50, "")
    assert (long.sms_parts, long.parts) == (2, 4)
    assert long.cost_rials == 2 * 2 * SMS_PART + EMAIL == 11_000
    # English in GSM-7: 143 + "\nReply 11 to stop" (17) = 160 septets, one part; 144 + 17 = 161, two of 153
    assert messages.reach(_call(office), messages.Segment(), "ت", "A" * 143).sms_parts_en == 1
    assert messages.reach(_call(office), messages.Segment(), "ت", "A" * 144).sms_parts_en == 2


def test_a_text_naming_the_member_is_costed_with_each_members_own_name(office: Database):
    _member(office, name="م" * 60)  # "سلام " (5) + 60 + 21 = 86: two parts
    _member(office, name="Ali")  # "سلام Ali" + 21 = 29: one part
    found = messages.reach(_call(office), messages.Segment(), "سلام {name}", "")
    assert (found.sms, found.parts) == (2, 3)
    assert found.cost_rials == 3 * SMS_PART


def test_segments_narrow_by_tier_branch_lapse_birthday_and_a_list(office: Database):
    who = _audience(office)
    call = _call(office)

    def count(**segment: Any) -> int:
        return messages.reach(call, messages.Segment(**segment), "سلام").members

    assert count(tier="silver") == 1
    assert count(branch_id=BRANCH_2) == 1
    # consent and erasure still apply to a list
    assert count(member_ids=(who["sms_1"], who["refused"], who["erased"])) == 1
    # T0 is 2025-06-15, Jalali 1404/03/25: Khordad (3) runs 2025-05-22 to 2025-06-21
    born_khordad = _member(office, birth_date=date(1990, 6, 1))
    _member(office, birth_date=date(1990, 6, 25))  # Tir
    assert count(birth_month=3) == 1
    assert messages.reach(call, messages.Segment(birth_month=3), "x").members == 1
    # lapsed: no purchase in 30 days (the reports' per-member days); members joined at T0 are too new
    later = _call(office, now_us=T0 + 60 * DAY_US)
    with office.read() as conn:
        today = day_of(messages.rule_sets.current(conn), T0 + 60 * DAY_US)
    office.write(
        lambda conn: conn.execute(
            dialect_insert(conn, REPORT_MEMBER_DAY).values(
                member_id=born_khordad, day=today - 5, branch_id=BRANCH_1, purchases=1
            )
        )
    )
    assert messages.reach(_call(office), messages.Segment(lapsed_days=30), "x").members == 0
    assert messages.reach(later, messages.Segment(lapsed_days=30), "x").members == 4  # all but born_khordad
    with pytest.raises(ApiError) as refused:
        messages.reach(call, messages.Segment(lapsed_days=0), "x")
    assert refused.value.code == "invalid_lapsed_days"


# ---- sending, scheduling, cancelling ------------------------------------------------------------------


def _draft(name: str = "Yalda offer", **fields: Any) -> messages.CampaignDraft:
    values = {"body_fa": "تخفیف یلدا برای {name}", "body_en": "Yalda offer for {name}"} | fields
    return messages.CampaignDraft(name=name, **values)


def test_sending_queues_one_message_a_reachable_member_set_based(office: Database):
    who = _audience(office)
    made = messages.create_campaign(_call(office), _draft())
    sent = messages.send(_call(office), made.id)
    assert (sent.status, sent.members) == ("queued", 3)
    rows = _rows(office, MESSAGE, MESSAGE.c.campaign_id == made.id)
    assert sorted(r.member_id for r in rows) == sorted([who["sms_1"], who["sms_2"], who["email"]])
    for row in rows:
        assert (row.kind, row.cause, row.marketing, row.params, row.status) == (
            "campaign", f"campaign:{made.id}", True, "{}", "queued"
        )  # fmt: skip
        assert row.due_at_us == row.created_at_us == T0
        assert len(row.id) == 36
    assert len({r.id for r in rows}) == 3
    with pytest.raises(ApiError) as again:
        messages.send(_call(office), made.id)
    assert again.value.code == "campaign_not_draft"
    # the statement itself adds nothing for a member already queued (a retry of the transaction)
    with office.read() as conn:
        campaign = messages._campaign(messages._require_campaign(conn, made.id))
    assert office.write(lambda conn: messages._queue(conn, campaign, T0, T0)) == 0
    assert len(_rows(office, MESSAGE)) == 3
    view = messages.campaign(_call(office), made.id)
    assert view.statuses == {"queued": 3}
    assert _audit(office, "message.campaign.send")[0]["target"] == made.id


def test_a_scheduled_campaign_is_cancelled_with_its_queued_messages(office: Database):
    _audience(office)
    made = messages.create_campaign(_call(office), _draft())
    at = T0 + DAY_US
    scheduled = messages.send(_call(office), made.id, at)
    assert (scheduled.status, scheduled.scheduled_at_us) == ("scheduled", at)
    assert {r.due_at_us for r in _rows(office, MESSAGE)} == {at}
    # before its time it shows as scheduled; from its time on, as queued (the sender is sending it)
    assert messages.campaign(_call(office, now_us=at - 1), made.id).campaign.status == "scheduled"
    assert messages.campaign(_call(office, now_us=at), made.id).campaign.status == "queued"
    assert [c.status for c in messages.campaigns(_call(office, now_us=at))] == ["queued"]
    cancelled = messages.cancel(_call(office, now_us=T0 + 5), made.id)
    assert cancelled.status == "cancelled"
    assert {(r.status, r.status_at_us) for r in _rows(office, MESSAGE)} == {("cancelled", T0 + 5)}
    with pytest.raises(ApiError) as past:
        messages.send(_call(office), messages.create_campaign(_call(office), _draft()).id, T0 - 1)
    assert past.value.code == "schedule_in_past"


def test_a_campaign_names_only_what_it_can_fill(office: Database):
    with pytest.raises(ApiError) as refused:
        messages.create_campaign(_call(office), _draft(body_fa="{points} امتیاز"))
    assert refused.value.code == "unknown_field"
    with pytest.raises(ApiError) as unnamed:
        messages.create_campaign(_call(office), _draft(name="  "))
    assert unnamed.value.code == "invalid_campaign_name"


# ---- the pages ----------------------------------------------------------------------------------------


def test_a_campaign_is_previewed_saved_and_sent_through_the_pages(office: Database, client: TestClient):
    _audience(office)
    csrf = sign_in(client, "marketing")
    form = {"name": "Yalda", "body_fa": "ت" * 65, "body_en": "Yalda offer", "subject_fa": ""}
    shown = _post(client, "/admin/messages/campaigns/new", csrf, action="preview", **form)
    assert shown.status_code == 200
    assert 'data-testid="reach-members">۳<' in shown.text
    assert f'data-testid="reach-cost">{fmt.toman(11_000, "fa")}<' in shown.text
    assert not _rows(office, MESSAGE_CAMPAIGN)
    saved = _post(client, "/admin/messages/campaigns/new", csrf, action="save", **form)
    assert saved.status_code == 303
    campaign_url = saved.headers["location"].split("?")[0]
    page = client.get(campaign_url)
    assert 'data-testid="reach-parts">۴<' in page.text
    unconfirmed = _post(client, campaign_url + "/send", csrf, when="now")
    assert unconfirmed.status_code == 422
    assert not _rows(office, MESSAGE)
    sent = _post(client, campaign_url + "/send", csrf, when="now", confirm="yes")
    assert sent.status_code == 303
    assert len(_rows(office, MESSAGE, MESSAGE.c.status == "queued")) == 3
    after = client.get(campaign_url)
    assert 'data-testid="delivery-queued">۳<' in after.text
    _english(client, csrf)
    assert 'data-testid="delivery-queued">3<' in client.get(campaign_url).text


def test_a_campaign_is_scheduled_in_jalali_and_cancelled_through_the_pages(office, client):
    _audience(office)
    made = messages.create_campaign(_call(office), _draft())
    csrf = sign_in(client, "owner")
    url = f"/admin/messages/campaigns/{made.id}"
    bad = _post(client, url + "/send", csrf, when="later", schedule_date="tomorrow", confirm="yes")
    assert bad.status_code == 422 and 'data-testid="schedule-error"' in bad.text
    tomorrow = fmt.date_text(date.fromordinal(fmt.local_datetime(T0).date().toordinal() + 1), "fa")
    ok = _post(
        client,
        url + "/send",
        csrf,
        when="later",
        schedule_date=tomorrow,
        schedule_time="10:00",
        confirm="yes",
    )
    assert ok.status_code == 303
    assert {r.status for r in _rows(office, MESSAGE_CAMPAIGN)} == {"scheduled"}
    assert _post(client, url + "/cancel", csrf, confirm="yes").status_code == 303
    assert {r.status for r in _rows(office, MESSAGE)} == {"cancelled"}


def test_a_reports_drill_down_fills_a_campaigns_list(office: Database, client: TestClient):
    thr = {_member(office, branch_id=BRANCH_1) for _ in range(3)}
    _member(office, branch_id=BRANCH_2)
    csrf = sign_in(client, "marketing")
    drilled = client.get("/admin/reports/overview/drill?branch=THR&drill=members&d_named=joined")
    link = re.search(
        r'href="(/admin/messages/campaigns/new\?[^"]+)" data-testid="drill-campaign"', drilled.text
    )
    assert link is not None
    form = client.get(html.unescape(link[1]))
    assert form.status_code == 200
    listed = re.search(r'<textarea[^>]*id="members"[^>]*>([^<]*)</textarea>', form.text)
    assert listed is not None and set(listed[1].split()) == thr
    made = _post(
        client, "/admin/messages/campaigns/new", csrf, action="preview", name="x", body_fa="سلام",
        members=listed[1],
    )  # fmt: skip
    assert 'data-testid="reach-members">۳<' in made.text
    bad = client.get("/admin/messages/campaigns/new?drill=members&d_named=nonsense")
    assert bad.status_code == 200 and "خوانده نشد" in bad.text


def test_a_draft_is_changed_and_a_sent_campaign_is_not(office: Database, client: TestClient):
    _audience(office)
    made = messages.create_campaign(_call(office), _draft())
    csrf = sign_in(client, "marketing")
    url = f"/admin/messages/campaigns/{made.id}"
    form = {"name": "Nowruz", "body_fa": "نوروز {name}", "tier": "silver", "lapsed_days": "x"}
    refused = _post(client, url + "/edit", csrf, **form)
    assert refused.status_code == 422 and "Nowruz" in refused.text
    assert _post(client, url + "/edit", csrf, **(form | {"lapsed_days": ""})).status_code == 303
    changed = messages.campaign(_call(office), made.id)
    assert (changed.campaign.name, changed.campaign.segment.tier, changed.reach.members) == (
        "Nowruz",
        "silver",
        1,
    )
    messages.send(_call(office), made.id)
    late = _post(client, url + "/edit", csrf, **(form | {"lapsed_days": ""}))
    assert late.status_code == 409 and 'data-testid="form-error"' in late.text
    assert messages.campaign(_call(office), made.id).campaign.status == "queued"
    assert 'data-testid="edit-form"' not in client.get(url).text


def test_every_messages_page_renders_in_persian_and_english(office: Database, client: TestClient):
    made = messages.create_campaign(_call(office), _draft())
    csrf = sign_in(client, "owner")
    paths = [
        "/admin/messages", "/admin/messages/templates/points_earned", "/admin/messages/campaigns/new",
        f"/admin/messages/campaigns/{made.id}",
    ]  # fmt: skip
    for lang in ("fa", "en"):
        if lang == "en":
            _english(client, csrf)
        for path in paths:
            page = client.get(path)
            assert page.status_code == 200, (path, page.text[:500])
            assert f'<html lang="{lang}"' in page.text
    assert client.get("/admin/messages/templates/nothing").status_code == 404
    assert client.get(f"/admin/messages/campaigns/{new_id()}").status_code == 404


def test_hostile_names_and_texts_are_shown_as_text(office: Database, client: TestClient):
    hostile = "<script>alert(1)</script>"
    made = messages.create_campaign(_call(office), _draft(name=hostile, body_fa=f"{hostile} {{name}}"))
    messages.save_template(_call(office), "birthday", "fa", hostile, "<img src=x onerror=alert(1)> {name}")
    _member(office, name=hostile, phone="+989121234567")
    sign_in(client, "owner")
    paths = ("/admin/messages", f"/admin/messages/campaigns/{made.id}", "/admin/messages/templates/birthday")
    for path in paths:
        page = client.get(path)
        assert "<script>alert(1)" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;" in page.text or "&lt;img" in page.text
    csrf = sign_in(client, "owner")
    shown = _post(
        client, "/admin/messages/templates/birthday/fa", csrf, action="preview", subject="",
        body="سلام {name}", member="09121234567",
    )  # fmt: skip
    assert shown.status_code == 200
    assert "سلام &lt;script&gt;alert(1)&lt;/script&gt;" in shown.text


def test_a_template_is_saved_previewed_with_a_member_and_switched_off(office: Database, client: TestClient):
    m = _member(office, name="Sara Ahmadi", phone="+989121112233")
    csrf = sign_in(client, "marketing")
    url = "/admin/messages/templates/points_earned"
    shown = _post(
        client, url + "/fa", csrf, action="preview", subject="امتیاز", body="{name}: {balance} امتیاز",
        member="۰۹۱۲۱۱۱۲۲۳۳",
    )  # fmt: skip
    assert shown.status_code == 200
    assert "Sara Ahmadi: ۰ امتیاز" in shown.text
    assert _audit(office, "message.preview")[0]["target"] == m
    refused = _post(client, url + "/fa", csrf, action="save", subject="", body="{name} {secret}")
    assert refused.status_code == 422 and "{secret}" in refused.text
    assert not _rows(office, MESSAGE_TEMPLATE)
    saved = _post(client, url + "/en", csrf, action="save", subject="Points", body="Hi {name}")
    assert saved.status_code == 303
    (row,) = _rows(office, MESSAGE_TEMPLATE)
    assert (row.kind, row.language, row.subject, row.body, row.enabled) == (
        "points_earned", "en", "Points", "Hi {name}", True
    )  # fmt: skip
    assert _post(client, url + "/switch", csrf, enabled="no").status_code == 303
    assert not messages.template(_call(office), "points_earned").enabled
    assert _audit(office, "message.switch")[0]["after"] == {"enabled": False}


def test_the_stop_switch_is_confirmed_audited_and_stops_campaigns(office: Database, client: TestClient):
    _audience(office)
    made = messages.create_campaign(_call(office), _draft())
    csrf = sign_in(client, "marketing")
    assert _post(client, "/admin/messages/stop", csrf, stop="1").status_code == 422
    assert messages.stopped(_call(office)) is False
    assert _post(client, "/admin/messages/stop", csrf, stop="1", confirm="yes").status_code == 303
    assert messages.stopped(_call(office)) is True
    assert 'data-testid="sending-state"' in client.get("/admin/messages").text
    (audited,) = _audit(office, "message.stop")
    assert audited["after"] == {"messages_stopped": "1"} and audited["role"] == "marketing"
    refused = _post(client, f"/admin/messages/campaigns/{made.id}/send", csrf, when="now", confirm="yes")
    assert refused.status_code == 409 and 'data-testid="send-error"' in refused.text
    assert not _rows(office, MESSAGE)
    assert _post(client, "/admin/messages/stop", csrf, stop="0", confirm="yes").status_code == 303
    assert messages.stopped(_call(office)) is False


@pytest.mark.parametrize("name", ["auditor", "branchmanager"])
def test_readers_see_the_pages_but_may_not_change_anything(office: Database, client: TestClient, name: str):
    made = messages.create_campaign(_call(office), _draft())
    csrf = sign_in(client, name)
    assert client.get("/admin/messages").status_code == 200
    assert 'href="/admin/messages/campaigns/new"' not in client.get("/admin/messages").text
    for path, data in [
        ("/admin/messages/stop", {"stop": "1", "confirm": "yes"}),
        ("/admin/messages/campaigns/new", {"action": "save", "name": "x", "body_fa": "x"}),
        (f"/admin/messages/campaigns/{made.id}/send", {"when": "now", "confirm": "yes"}),
        (f"/admin/messages/campaigns/{made.id}/cancel", {"confirm": "yes"}),
        ("/admin/messages/templates/birthday/fa", {"action": "save", "body": "x"}),
        ("/admin/messages/templates/birthday/switch", {"enabled": "no"}),
    ]:
        assert _post(client, path, csrf, **data).status_code == 403, path
    assert messages.stopped(_call(office)) is False
    assert len(_rows(office, MESSAGE_CAMPAIGN)) == 1 and not _rows(office, MESSAGE_TEMPLATE)


def test_a_form_without_the_csrf_token_changes_nothing(office: Database, client: TestClient):
    made = messages.create_campaign(_call(office), _draft())
    _audience(office)
    sign_in(client, "owner")
    for path, data in [
        ("/admin/messages/stop", {"stop": "1", "confirm": "yes"}),
        (f"/admin/messages/campaigns/{made.id}/send", {"when": "now", "confirm": "yes"}),
    ]:
        answer = client.post(path, data=data, follow_redirects=False)
        assert answer.status_code == 403
    assert messages.stopped(_call(office)) is False and not _rows(office, MESSAGE)


# ---- a member's messages ------------------------------------------------------------------------------


def _sent(
    db: Database, member_id: str, *, channel: str = "sms", cost: int = 5_000, at_us: int = T0, **more: Any
):
    values = {
        "id": new_id(), "member_id": member_id, "cause": f"entry:{new_id()}", "kind": "points_earned",
        "status": "sent", "due_at_us": at_us, "created_at_us": at_us, "status_at_us": at_us,
        "channel": channel,
        "recipient": "09120000000", "body": "۱۵۰ امتیاز افزوده شد", "parts": 1, "cost_rials": cost,
        "provider": "kavenegar", "provider_answer": "200 OK", "sent_at_us": at_us,
    } | more  # fmt: skip
    db.write(lambda conn: conn.execute(MESSAGE.insert().values(**values)))


def test_a_members_history_is_on_their_page_for_their_branches(office: Database, client: TestClient):
    here = _member(office, branch_id=BRANCH_1)
    there = _member(office, branch_id=BRANCH_2)
    _sent(office, here, provider_answer="delivered: 10004")
    _sent(office, there)
    _sent(
        office,
        here,
        status="failed",
        channel="email",
        cost=0,
        provider_answer="550 <no such user>",
        at_us=T0 + 1,
    )
    sign_in(client, "owner")
    page = client.get(f"/admin/members/{here}")
    assert page.text.count('data-testid="message-status"') == 2
    assert "delivered: 10004" in page.text and "550 &lt;no such user&gt;" in page.text
    sign_in(client, "branchmanager")
    assert client.get(f"/admin/members/{here}").text.count('data-testid="message-status"') == 2
    other = client.get(f"/admin/members/{there}")
    assert other.status_code == 200 and 'data-testid="message-history"' not in other.text
    history = messages.member_history(_call(office), here)
    assert [m.status for m in history or []] == ["failed", "sent"]  # the newest first
    manager = Actor("x", "x", "branch-manager", branch_ids=frozenset({BRANCH_1}))
    assert messages.member_history(_call(office, manager), there) is None


def test_the_months_cost_per_channel(office: Database, client: TestClient):
    m = _member(office)
    with office.read() as conn:
        month = messages.this_month(conn, T0)
        first_us, end_us = messages.month_bounds(conn, month)
    assert first_us <= T0 < end_us
    _sent(office, m, cost=7_500)
    _sent(office, m, cost=2_500, at_us=first_us)
    _sent(office, m, channel="email", cost=1_000, at_us=end_us - 1)
    _sent(office, m, cost=99_999, at_us=first_us - 1)  # the month before
    _sent(office, m, cost=99_999, at_us=end_us)  # the month after
    cost = messages.month_cost(_call(office))
    assert cost.by_channel == {"sms": (2, 10_000), "email": (1, 1_000)}
    assert cost.total_rials == 11_000
    assert messages.month_cost(_call(office), month - 1).by_channel == {"sms": (1, 99_999), "email": (0, 0)}
    sign_in(client, "auditor")
    page = client.get("/admin/messages")
    assert f'data-testid="cost-total">{fmt.toman(11_000, "fa")}<' in page.text
    assert "خرداد ۱۴۰۴" in page.text  # T0 is in Khordad 1404


def test_contact_data_and_consent_are_recorded_from_the_members_page(
    office: Database, client: TestClient, terminal: Terminal
):
    m = member(consent_marketing=False)
    push(client, terminal, [], [member_item(m)])
    assert _rows(office, MEMBER, MEMBER.c.id == m.id)[0].consent_marketing_source == "terminal"
    csrf = sign_in(client, "marketing")
    url = f"/admin/members/{m.id}/contact"
    bad = _post(client, url, csrf, email="not an email", preferred_channel="email")
    assert bad.status_code == 422 and 'data-testid="contact-error"' in bad.text
    needs = _post(client, url, csrf, email="", preferred_channel="email")
    assert needs.status_code == 422
    client.app.state.clock.advance(60)  # type: ignore[attr-defined]
    wrong = _post(client, url, csrf, email="sara@example.com", preferred_channel="email", language="xx")
    assert wrong.status_code == 422
    ok = _post(
        client, url, csrf, email="sara@example.com", preferred_channel="email", consent="yes", language="en"
    )
    assert ok.status_code == 303
    row = _rows(office, MEMBER, MEMBER.c.id == m.id)[0]
    assert (row.email, row.preferred_channel, row.consent_marketing) == ("sara@example.com", "email", True)
    assert row.language == "en"
    assert (row.consent_marketing_source, row.consent_marketing_at_us) == ("back_office", T0 + 60_000_000)
    (audited,) = _audit(office, "member.contact")
    assert audited["before"]["consent_marketing"] is False
    page = client.get(f"/admin/members/{m.id}")
    assert "sara@example.com" in page.text and "در پنل مدیریت" in page.text
    # the terminal pushes the member again (a new name, consent withdrawn there): email and channel stay
    again = m.model_copy(update={"name": "Sara A", "consent_marketing": False})
    push(client, terminal, [], [member_item(again)])
    row = _rows(office, MEMBER, MEMBER.c.id == m.id)[0]
    assert (row.name, row.email, row.preferred_channel) == ("Sara A", "sara@example.com", "email")
    assert (row.consent_marketing, row.consent_marketing_source, row.language) == (False, "terminal", "en")


def test_erasing_a_member_erases_their_email(office: Database):
    m = _member(office, email="sara@example.com", channel="email")
    exported = privacy.export(_call(office), m)
    contact = {"email": "sara@example.com", "preferred_channel": "email", "language": "fa"}
    assert exported["contact"] == contact
    assert exported["consent"]["given_at"] == "terminal"
    privacy.erase(_call(office), m, "the member asked, 1404/03/25")
    row = _rows(office, MEMBER, MEMBER.c.id == m)[0]
    assert (row.email, row.preferred_channel) == (None, "sms")
    with pytest.raises(ApiError) as refused:
        member_file.edit_contact(
            _call(office), m, email="x@example.com", preferred_channel="sms", consent_marketing=True
        )
    assert refused.value.code == "member_erased"


def test_the_members_messages_count_in_the_outbox(office: Database):
    m = _member(office)
    _sent(office, m)
    _sent(office, m, status="queued", sent_at_us=None, channel=None)
    counts = messages.outbox_counts(_call(office))
    assert (counts["sent"], counts["queued"], counts["failed"]) == (1, 1, 0)
    with office.read() as conn:
        assert conn.execute(select(func.count()).select_from(MESSAGE)).scalar_one() == 2
