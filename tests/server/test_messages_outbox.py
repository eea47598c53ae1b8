# SPDX-License-Identifier: GPL-3.0-or-later
"""The outbox (sync.server.messages): a message per cause, queued in the cause's transaction, on SQLite and
a real PostgreSQL — a push's sales, returns and upgrades, the daily run's reminders, campaigns' rows."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.domain.ids import derived_id
from app.domain.ledger import EntryKind
from app.domain.returns import RETURN_REASON
from sync.server.messages import outbox
from sync.server.messages.outbox import Queued
from sync.server.models import MESSAGE
from sync.server.sequence import Publisher
from tests.server.club import T0, member, member_item, new_id, push

DAY_US = 86_400_000_000


def messages(db, member_id=None):
    with db.read() as conn:
        query = select(MESSAGE).order_by(MESSAGE.c.created_at_us, MESSAGE.c.cause)
        if member_id is not None:
            query = query.where(MESSAGE.c.member_id == member_id)
        return [r._asdict() | {"params": json.loads(r.params)} for r in conn.execute(query)]


def test_a_sale_queues_one_message_with_its_points_and_the_balance_after(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    first = terminal.sale(m.id, 4_000_000)
    second = terminal.sale(m.id, 5_000_000, redeem=20, created_at_us=T0 + 100)
    push(client, terminal, first + second)
    found = sorted(messages(club_db, m.id), key=lambda x: x["params"]["at_us"])
    assert [(x["kind"], x["cause"], x["status"], x["marketing"]) for x in found] == [
        ("points_earned", f"sale:{first[0].id}", "queued", False),
        ("points_earned", f"sale:{second[0].id}", "queued", False),
    ]
    assert found[0]["params"] | {"at_us": 0} == {
        "earned": 40, "spent": 0, "balance": 40, "amount": 4_000_000, "invoice": "", "at_us": 0,
    }  # fmt: skip
    second_params = found[1]["params"]
    assert (second_params["earned"], second_params["spent"], second_params["balance"]) == (49, 20, 69)
    assert found[0]["due_at_us"] == T0  # urgent: at once, whatever the hour


def test_a_retried_push_queues_nothing_twice(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    sale = terminal.sale(m.id, 1_000_000, points=10)
    push(client, terminal, sale)
    push(client, terminal, sale)  # the answer was lost: the terminal sends the batch again
    assert len(messages(club_db, m.id)) == 1


def test_an_upgrade_and_a_return_each_have_their_message(client, club_db, terminal):
    from sync.server.messages import causes

    m = member()
    push(client, terminal, [], [member_item(m)])
    sale = terminal.sale(m.id, 60_000_000, upgrade_to="silver", created_at_us=T0)
    back = terminal.entry(m.id, EntryKind.REVERSAL, -60, reason=RETURN_REASON, reverses=sale[0].id,
                          invoice_ref="INV-1", created_at_us=T0 + 500)  # fmt: skip
    given = terminal.entry(m.id, EntryKind.REVERSAL, 5, reason=RETURN_REASON, id=str(derived_id(back.id, 1)),
                           invoice_ref="INV-1", created_at_us=T0 + 500)  # fmt: skip
    # as the push calls it with what it accepted (the server vets an upgrade against a saved rule set:
    # here the cause alone is under test)
    assert club_db.write(lambda conn: causes.from_push(conn, T0, [*sale, back, given])) == 3
    found = {x["kind"]: x for x in messages(club_db, m.id)}
    assert set(found) == {"points_earned", "tier_upgrade", "return"}
    assert found["tier_upgrade"]["cause"] == f"tier:{sale[1].id}"
    assert found["tier_upgrade"]["params"]["tier"] == "silver"
    assert found["points_earned"]["params"]["earned"] == 600
    assert found["return"]["cause"] == f"return:{back.id}"
    assert (found["return"]["params"]["taken"], found["return"]["params"]["given_back"]) == (60, 5)
    # the balance after each: the member's balance now (nothing pushed: 0) less what came after
    assert (found["points_earned"]["params"]["balance"], found["return"]["params"]["balance"]) == (55, 0)


def test_an_entry_older_than_the_limit_when_it_arrives_causes_nothing(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    old = terminal.sale(m.id, 1_000_000, points=10, created_at_us=T0 - 4 * DAY_US)  # limit: 3 days
    recent = terminal.sale(m.id, 1_000_000, points=10, created_at_us=T0 - 2 * DAY_US)
    push(client, terminal, old + recent)
    assert [x["cause"] for x in messages(club_db, m.id)] == [f"sale:{recent[0].id}"]


def test_a_push_without_sales_queues_nothing(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    push(client, terminal, [terminal.entry(m.id, EntryKind.ADJUST, 5, reason="goodwill")])
    assert messages(club_db) == []


def test_queue_is_one_row_per_member_and_cause_in_a_batch(club_db, terminal):
    m = member()

    def work(conn):
        from sync.server import members

        members.put_member(conn, Publisher(T0), m)
        batch = [Queued(m.id, "campaign:x", "campaign", T0, marketing=True)] * 2
        batch += [Queued(m.id, "birthday:2026", "birthday", T0, {"bonus": 5})]
        outbox.queue(conn, batch, T0)
        outbox.queue(conn, batch, T0 + 1)

    club_db.write(work)
    assert sorted(x["cause"] for x in messages(club_db)) == ["birthday:2026", "campaign:x"]


def test_the_daily_run_queues_expiring_points_membership_end_and_birthday_once(club_db, terminal):
    from sync.server import members
    from sync.server import rules as rule_sets
    from sync.server.messages import causes

    today = datetime.fromtimestamp(T0 / 1e6, UTC).date()
    born = member(birth_date=today.replace(year=1990))

    def seed(conn):
        pub = Publisher(T0)
        members.put_member(conn, pub, born)
        pub.flush(conn)

    club_db.write(seed)

    def run(conn):
        rules = rule_sets.current(conn)
        from dataclasses import replace

        rules = replace(rules, bonuses=replace(rules.bonuses, birthday_points=50))
        return causes.from_daily_batch(conn, rules, [born.id], T0)

    assert club_db.write(run) == 1
    assert club_db.write(run) == 0  # a resumed batch queues nothing again
    (greeting,) = messages(club_db, born.id)
    assert (greeting["kind"], greeting["cause"]) == ("birthday", "birthday:2025")
    assert greeting["params"]["bonus"] == 50
    assert greeting["due_at_us"] >= T0  # a reminder waits for the end of quiet hours


def test_a_members_messages_are_in_their_export_and_emptied_by_their_erasure(
    client, club_db, terminal, admin
):
    m = member(name="مریم")
    push(client, terminal, [], [member_item(m)])
    sold, later = terminal.sale(m.id, 4_000_000), terminal.sale(m.id, 3_000_000)
    push(client, terminal, sold + later)
    # one of them was sent already: its text and recipient are on the row
    club_db.write(lambda conn: conn.execute(
        MESSAGE.update().where(MESSAGE.c.cause == f"sale:{sold[0].id}")
        .values(status="sent", recipient=m.phone, body="مریم عزیز، …", cost_rials=5000)
    ))  # fmt: skip
    data = client.get(f"/v1/admin/members/{m.id}/export", headers=admin).json()
    assert sorted(x["cause"] for x in data["messages"]) == sorted(
        [f"sale:{sold[0].id}", f"sale:{later[0].id}"]
    )
    assert any(x["recipient"] == m.phone and x["body"] == "مریم عزیز، …" for x in data["messages"])

    response = client.post(f"/v1/admin/members/{m.id}/erase", json={"why": "asked"}, headers=admin)
    assert response.status_code == 200, response.text
    rows = {x["cause"]: x for x in messages(club_db, m.id)}
    sent, queued = rows[f"sale:{sold[0].id}"], rows[f"sale:{later[0].id}"]
    assert (sent["status"], sent["recipient"], sent["body"], sent["cost_rials"]) == ("sent", None, "", 5000)
    assert (queued["status"], queued["params"]) == ("cancelled", {})


def test_an_invitation_queues_its_message_with_the_signed_qr_as_a_link(
    client, club_db, admin, terminal, monkeypatch
):
    from urllib.parse import parse_qs, urlparse

    from app.cards.invitation_qr import verify_invitation_qr
    from sync.protocol import b64decode
    from tests.server.test_events import club_keys, create_event, pushed_member

    monkeypatch.setenv("BASHGAH_PUBLIC_URL", "https://club.example/")
    event = create_event(client, admin)
    guest = pushed_member(client, terminal)
    invite = {"member_ids": [guest]}
    for _ in range(2):  # inviting again sends nothing again
        answer = client.post(f"/v1/admin/events/{event['id']}/invitations", json=invite, headers=admin)
        assert answer.status_code == 200, answer.text
    (message,) = messages(club_db, guest)
    assert (message["kind"], message["cause"], message["due_at_us"]) == (
        "invitation",
        f"invitation:{event['id']}",
        T0,
    )
    link = urlparse(message["params"]["link"])
    assert (link.scheme, link.netloc, link.path) == ("https", "club.example", "/invitation")
    keys = {k["key_id"]: b64decode(k["public_key"]) for k in club_keys(client, terminal)}
    found = verify_invitation_qr(parse_qs(link.query)["code"][0], keys, T0)
    assert (found.event_id, found.member_id) == (event["id"], guest)
    assert message["params"]["event"] == event["name"]
    # the link opens the member's entry pass: the QR the door scans, and the event, in fa and en
    code = parse_qs(link.query)["code"][0]
    page = client.get("/invitation", params={"code": code})
    assert page.status_code == 200 and 'src="data:image/png;base64,' in page.text
    assert page.text.count(html.escape(event["name"])) >= 2 and "Show this code at the door" in page.text
    # a code the club did not sign, or one whose invitation was cancelled, draws nothing
    forged = code[:-6] + ("AAAAAA" if not code.endswith("AAAAAA") else "BBBBBB")
    assert client.get("/invitation", params={"code": forged}).status_code == 404
    assert client.get("/invitation", params={"code": "<script>x</script>"}).status_code == 404
    answer = client.delete(f"/v1/admin/events/{event['id']}/invitations/{guest}", headers=admin)
    assert answer.status_code == 200, answer.text
    gone = client.get("/invitation", params={"code": code})
    assert gone.status_code == 404 and "not valid" in gone.text and "data:image" not in gone.text


def test_the_daily_run_reminds_of_expiring_points_and_greets_birthdays_once(client, club_db, admin, terminal):
    from sync.server import programme
    from tests.server.test_programme import RULES, earn, save_rules

    save_rules(client, admin, RULES)
    today = datetime.fromtimestamp(T0 / 1e6 + 210 * 60, UTC).date()  # the club's day (Tehran)
    m, other = member(birth_date=today.replace(year=1990)), member()
    push(client, terminal, [], [member_item(m), member_item(other)])
    # earned 355 days ago: they expire in 10 days (expiry 365), within the 14 the club reminds of
    push(client, terminal, [earn(terminal, m.id, 80, T0 - 355 * DAY_US), earn(terminal, other.id, 20, T0)])
    assert messages(club_db, m.id) == []  # the old sale itself: too old to be told when it arrived
    for _ in range(2):  # a second run of the day (the command's `again`) queues nothing twice
        programme.run_daily(club_db, T0, batch=1)
    found = {x["kind"]: x for x in messages(club_db, m.id)}
    assert set(found) == {"points_expiring", "birthday"}
    expiring = found["points_expiring"]
    assert expiring["cause"] == f"expiring:{(today + timedelta(days=10)).isoformat()}"
    assert (expiring["params"]["points"], expiring["params"]["balance"]) == (80, 80)
    assert (found["birthday"]["cause"], found["birthday"]["params"]["bonus"]) == (
        f"birthday:{today.year}",
        50,
    )
    assert [x["kind"] for x in messages(club_db, other.id)] == ["points_earned"]  # nothing expiring soon


def test_an_invitation_made_at_a_terminal_queues_its_message_once(client, club_db, terminal, monkeypatch):
    """A manager invites a member at the door's terminal, offline; the push brings the invitation and, in
    its transaction, the member's message with the signed pass, as an invitation from head office does."""
    from sync.protocol import EventItem, InvitationItem, WireEvent, WireInvitation
    from tests.server.test_events import HOUR, pushed_member

    monkeypatch.setenv("BASHGAH_PUBLIC_URL", "https://club.example")
    guest = pushed_member(client, terminal)
    event = WireEvent(id=new_id(), name="Yalda night", starts_at_us=T0, ends_at_us=T0 + 5 * HOUR)
    invitation = WireInvitation(id=new_id(), event_id=event.id, member_id=guest)
    items = [EventItem(id=new_id(), event=event), InvitationItem(id=new_id(), invitation=invitation)]
    for _ in range(2):  # the push sent again (its answer lost): one message still
        push(client, terminal, [], items)
    (message,) = messages(club_db, guest)
    assert (message["kind"], message["cause"]) == ("invitation", f"invitation:{event.id}")
    assert message["params"]["event"] == "Yalda night"
    assert message["params"]["link"].startswith("https://club.example/invitation?code=BGI1")
