# SPDX-License-Identifier: GPL-3.0-or-later
"""The sender (sync.server.messages.sender) through the webhook adapter to a real HTTP receiver on
loopback, on SQLite and a real PostgreSQL: what is sent, what is held, retried, failed or cancelled, and a
message a killed sender left `sending` sent again under the same key."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import select, update

from sync.server import members
from sync.server.messages import outbox, templates
from sync.server.messages.outbox import Queued
from sync.server.messages.providers.config import configured
from sync.server.messages.sender import Sender, SenderChore, backoff_s
from sync.server.models import MEMBER, MESSAGE, MESSAGE_CAMPAIGN, MESSAGE_TEMPLATE, SETTING
from sync.server.sequence import Publisher
from tests.server.club import T0, FakeClock, member
from tests.support.sms_receiver import sms_receiver

HOUR_US = 3_600_000_000


@pytest.fixture
def receiver():
    with sms_receiver() as r:
        yield r


def sender(db, receiver, clock, **options):
    env = {"BASHGAH_SMS_WEBHOOK_URL": receiver.url, "BASHGAH_SMS_WEBHOOK_SECRET": receiver.secret,
           "BASHGAH_SMS_WEBHOOK_PER_SECOND": "1000"}  # fmt: skip
    return Sender(db, configured(env), clock, rng=random.Random(7), **options)


def add_member(db, **fields):
    m = member(**fields)

    def work(conn):
        pub = Publisher(T0)
        members.put_member(conn, pub, m)
        pub.flush(conn)

    db.write(work)
    return m


def enqueue(db, *messages, now_us=T0):
    return db.write(lambda conn: outbox.queue(conn, list(messages), now_us))


def row(db, member_id, cause):
    with db.read() as conn:
        return conn.execute(
            select(MESSAGE).where(MESSAGE.c.member_id == member_id, MESSAGE.c.cause == cause)
        ).one()


def put_setting(db, key, value):
    from sync.server.club import _upsert

    db.write(lambda conn: _upsert(conn, SETTING, "key", {"key": key, "value": value}))


SALE = {"earned": 150, "spent": 0, "balance": 1250, "amount": 15_000_000, "invoice": "A-1", "at_us": T0}


def test_a_member_who_reads_english_gets_the_english_text(club_db, receiver):
    clock = FakeClock()
    m = add_member(club_db, name="Sara")
    club_db.write(lambda conn: conn.execute(update(MEMBER).where(MEMBER.c.id == m.id).values(language="en")))
    enqueue(club_db, Queued(m.id, "sale:en", "points_earned", T0, SALE))
    assert sender(club_db, receiver, clock).run_once().sent == 1
    sent = row(club_db, m.id, "sale:en")
    assert sent.language == "en" and "150" in sent.body and "1,250" in sent.body and "Sara" in sent.body
    assert sent.parts == 1  # GSM-7: 160 characters a part


def test_a_sale_message_is_sent_in_persian_with_its_cost(club_db, receiver):
    clock = FakeClock()
    m = add_member(club_db, name="سارا")
    enqueue(club_db, Queued(m.id, "sale:1", "points_earned", T0, SALE))
    done = sender(club_db, receiver, clock).run_once()
    assert done.sent == 1
    sent = row(club_db, m.id, "sale:1")
    assert (sent.status, sent.channel, sent.recipient, sent.provider) == ("sent", "sms", m.phone, "webhook")
    assert sent.attempts == 1 and sent.sent_at_us == T0 and sent.provider_id == f"p-{sent.id[:8]}"
    assert "۱۵۰" in sent.body and "۱٬۲۵۰" in sent.body and "سارا" in sent.body
    assert sent.parts == 2 and sent.cost_rials == 2 * 2500  # UCS-2: 67 characters a part once split
    assert list(receiver.delivered) == [sent.id]
    assert receiver.delivered[sent.id] == {
        "to": m.phone,
        "text": sent.body,
        "sender": "باشگاه",
        "id": sent.id,
    }


def test_marketing_needs_consent_and_keeps_out_of_quiet_hours(club_db, receiver):
    clock = FakeClock()
    yes, no = add_member(club_db, consent_marketing=True), add_member(club_db)

    def campaign(conn):
        conn.execute(
            MESSAGE_CAMPAIGN.insert().values(
                id="c1", name="Yalda", segment="{}", body_fa="{name} عزیز، یلدا ۲۰٪ تخفیف", body_en="Yalda",
                status="queued", members=2, created_by="test", created_at_us=T0, updated_at_us=T0,
            )
        )  # fmt: skip

    club_db.write(campaign)
    for m in (yes, no):
        enqueue(club_db, Queued(m.id, "campaign:c1", "campaign", T0, {}, marketing=True, campaign_id="c1"))
    # 23:00 in Tehran (UTC+03:30): quiet hours until 09:00
    night = T0 - T0 % (24 * HOUR_US) + 19 * HOUR_US + 30 * 60_000_000
    clock.now = night
    done = sender(club_db, receiver, clock).run_once()
    assert (done.sent, done.cancelled, done.waiting) == (0, 1, 1)
    assert row(club_db, no.id, "campaign:c1").status == "cancelled"
    waiting = row(club_db, yes.id, "campaign:c1")
    assert (waiting.status, waiting.attempts) == ("queued", 0)
    assert waiting.due_at_us == night - night % (24 * HOUR_US) + 29 * HOUR_US + 30 * 60_000_000  # 09:00 club
    clock.now = waiting.due_at_us
    assert sender(club_db, receiver, clock).run_once().sent == 1
    sent = row(club_db, yes.id, "campaign:c1")
    assert sent.body.endswith(templates.OPT_OUT["fa"]) and sent.body.startswith(yes.name)


def test_consent_withdrawn_after_queueing_cancels_the_campaign_message(club_db, receiver):
    m = add_member(club_db, consent_marketing=True)
    club_db.write(lambda conn: conn.execute(MESSAGE_CAMPAIGN.insert().values(
        id="c2", name="x", segment="{}", body_fa="سلام", body_en="Hi", status="queued", members=1,
        created_by="t", created_at_us=T0, updated_at_us=T0)))  # fmt: skip
    enqueue(club_db, Queued(m.id, "campaign:c2", "campaign", T0, {}, marketing=True, campaign_id="c2"))
    club_db.write(
        lambda conn: conn.execute(update(MEMBER).where(MEMBER.c.id == m.id).values(consent_marketing=False))
    )
    assert sender(club_db, receiver, FakeClock()).run_once().cancelled == 1
    assert row(club_db, m.id, "campaign:c2").provider_answer == "no_consent"
    assert receiver.posts == []


def test_a_passing_error_is_retried_after_its_retry_after_and_a_refusal_fails(club_db, receiver):
    clock = FakeClock()
    m = add_member(club_db)
    enqueue(club_db, Queued(m.id, "sale:a", "points_earned", T0, SALE))
    receiver.script += [(429, {"Retry-After": "120"}), (503, {})]
    s = sender(club_db, receiver, clock, backoff_base_s=1, backoff_cap_s=10)
    assert s.run_once().retried == 1
    first = row(club_db, m.id, "sale:a")
    assert (first.status, first.attempts, first.due_at_us) == ("queued", 1, T0 + 120_000_000)
    assert first.provider_answer.startswith("429")
    assert s.run_once().sent == 0  # not due yet
    clock.advance(120)
    assert s.run_once().retried == 1  # the 503
    clock.advance(10)
    assert s.run_once().sent == 1
    assert row(club_db, m.id, "sale:a").attempts == 3
    enqueue(
        club_db,
        Queued(m.id, "sale:b", "points_earned", clock.now, SALE | {"at_us": clock.now}),
        now_us=clock.now,
    )
    receiver.script.append((400, {}))
    assert s.run_once().failed == 1
    assert row(club_db, m.id, "sale:b").status == "failed"


def test_retries_stop_at_the_limit(club_db, receiver):
    clock = FakeClock()
    m = add_member(club_db)
    enqueue(club_db, Queued(m.id, "sale:c", "points_earned", T0, SALE))
    receiver.script += [(500, {})] * 3
    s = sender(club_db, receiver, clock, max_attempts=3, backoff_base_s=1, backoff_cap_s=1)
    for _ in range(3):
        s.run_once()
        clock.advance(2)
    failed = row(club_db, m.id, "sale:c")
    assert (failed.status, failed.attempts) == ("failed", 3)


def test_full_jitter_stays_under_its_cap():
    rng = random.Random(1)
    waits = [backoff_s(n, rng, base_s=30, cap_s=600) for n in range(1, 12) for _ in range(50)]
    assert all(0 <= w <= 600 for w in waits) and max(waits) > 300


def test_the_stop_switch_holds_everything_and_erasure_a_kind_off_or_no_channel_cancel(club_db, receiver):
    clock = FakeClock()
    m, gone, unreachable = add_member(club_db), add_member(club_db), add_member(club_db)
    enqueue(
        club_db, Queued(m.id, "tier:1", "tier_upgrade", T0, {"tier": "silver", "balance": 600, "at_us": T0})
    )
    enqueue(club_db, Queued(m.id, "birthday:2025", "birthday", T0, {"bonus": 50, "at_us": T0}))
    enqueue(club_db, Queued(gone.id, "sale:g", "points_earned", T0, SALE))
    enqueue(club_db, Queued(unreachable.id, "sale:u", "points_earned", T0, SALE))
    put_setting(club_db, "messages_stopped", "1")
    s = sender(club_db, receiver, clock)
    assert s.run_once().as_dict() == dict.fromkeys(
        ("sent", "failed", "retried", "cancelled", "skipped", "waiting"), 0
    )
    assert row(club_db, m.id, "tier:1").status == "queued"
    put_setting(club_db, "messages_stopped", "0")

    def change(conn):
        conn.execute(update(MEMBER).where(MEMBER.c.id == gone.id).values(erased_at_us=T0))
        conn.execute(update(MEMBER).where(MEMBER.c.id == unreachable.id).values(phone="erased", email=None))
        conn.execute(MESSAGE_TEMPLATE.insert().values(kind="birthday", language="fa", body="x", enabled=False,
                                                      updated_by="t", updated_at_us=T0))  # fmt: skip

    club_db.write(change)
    done = s.run_once()
    assert (done.sent, done.cancelled, done.skipped) == (1, 2, 1)
    assert "نقره‌ای" in row(club_db, m.id, "tier:1").body  # the tier's name, not its code
    assert row(club_db, m.id, "birthday:2025").provider_answer == "kind_off"
    assert row(club_db, gone.id, "sale:g").provider_answer == "member_erased"
    assert row(club_db, unreachable.id, "sale:u").status == "skipped"


def test_a_message_left_sending_by_a_killed_sender_goes_again_under_the_same_key(club_db, receiver):
    """The provider took it but the sender died before it recorded so: the lease runs out, another sender
    posts it again with the same Idempotency-Key, and the receiver (a provider) keeps it once."""
    clock = FakeClock()
    m = add_member(club_db)
    enqueue(club_db, Queued(m.id, "sale:k", "points_earned", T0, SALE))
    held = receiver.hold = threading.Event()
    first = sender(club_db, receiver, clock, lease_s=60)
    killed = threading.Thread(target=first.run_once, daemon=True)
    killed.start()
    assert receiver.wait_for_posts(1)  # the provider has it; the sender waits for the answer
    receiver.hold = None
    claimed = row(club_db, m.id, "sale:k")
    assert (claimed.status, claimed.attempts) == ("sending", 1)
    second = sender(club_db, receiver, clock, lease_s=60)
    assert second.run_once().sent == 0  # the lease holds
    clock.advance(61)
    assert second.run_once().sent == 1
    held.set()  # the first sender's late answer records nothing: its claim is not the message's any more
    killed.join(10)
    done = row(club_db, m.id, "sale:k")
    assert (done.status, done.attempts) == ("sent", 2)
    assert receiver.posts == [done.id, done.id] and list(receiver.delivered) == [done.id]


def test_the_serve_thread_sends_and_stops(club_db, receiver):
    m = add_member(club_db)
    enqueue(club_db, Queued(m.id, "sale:t", "points_earned", T0, SALE))
    env = {"BASHGAH_SMS_WEBHOOK_URL": receiver.url, "BASHGAH_SMS_WEBHOOK_SECRET": receiver.secret}
    chore = SenderChore(club_db, configured(env), FakeClock(), every_s=0.05)
    chore.start()
    try:
        assert receiver.wait_for_delivered(1)
    finally:
        chore.stop()
    assert not chore._thread.is_alive()


def test_the_command_refuses_without_a_provider_and_sends_with_one(
    db_url, club_db, receiver, monkeypatch, capsys
):
    from sync.server import cli

    monkeypatch.delenv("BASHGAH_SMS_WEBHOOK_URL", raising=False)
    assert cli.main(["--db", db_url, "messages", "send", "--once"]) == cli.EXIT_REFUSED
    assert "no provider is configured" in capsys.readouterr().err
    m = add_member(club_db)
    enqueue(club_db, Queued(m.id, "sale:cli", "points_earned", T0, SALE | {"at_us": 0}))  # too old by now
    monkeypatch.setenv("BASHGAH_SMS_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("BASHGAH_SMS_WEBHOOK_SECRET", receiver.secret)
    assert cli.main(["--db", db_url, "messages", "send", "--once"]) == 0
    assert "cancelled 1" in capsys.readouterr().out


def test_two_senders_share_the_outbox_without_sending_anything_twice(club_db, receiver):
    """Two senders (as two server processes would) drain one outbox at once: on PostgreSQL each claim skips
    the rows the other holds (FOR UPDATE SKIP LOCKED); every message goes once."""
    people = [add_member(club_db) for _ in range(4)]
    enqueue(
        club_db, *(Queued(m.id, f"sale:{n}", "points_earned", T0, SALE) for m in people for n in range(10))
    )
    clock = FakeClock()
    senders = [sender(club_db, receiver, clock, claim=3) for _ in range(2)]
    threads = [threading.Thread(target=s.run_once) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(receiver.posts) == len(set(receiver.posts)) == 40
    with club_db.read() as conn:
        statuses = conn.execute(select(MESSAGE.c.status, MESSAGE.c.attempts)).all()
    assert set(statuses) == {("sent", 1)}


def test_the_cost_the_back_office_shows_is_the_cost_the_sender_records(club_db, receiver):
    """A campaign naming each member's name and balance, to members who read Persian and English, with
    names long and short: the parts and rials the back office counts before sending are exactly those the
    sender records after sending through a real channel (one renderer, one opt-out line, one language
    choice)."""
    from sync.server.club import messages as office
    from sync.server.club.access import CONSOLE
    from sync.server.club.act import Call

    people = [
        add_member(club_db, name="م" * 45, consent_marketing=True),
        add_member(club_db, name="Ali", consent_marketing=True),
        add_member(club_db, name="Sara " + "x" * 110, consent_marketing=True),
        add_member(club_db, name="Reza", consent_marketing=True),
    ]
    for m in people[2:]:
        club_db.write(
            lambda conn, m=m: conn.execute(update(MEMBER).where(MEMBER.c.id == m.id).values(language="en"))
        )
    call = Call(club_db, T0, CONSOLE)
    draft = office.CampaignDraft(
        name="Yalda", body_fa="{name} عزیز، موجودی شما {balance} امتیاز است.",
        body_en="Dear {name}, your balance is {balance} points.",
    )  # fmt: skip
    made = office.create_campaign(call, draft)
    shown = office.campaign(call, made.id).reach
    office.send(call, made.id)
    assert sender(club_db, receiver, FakeClock()).run_once().sent == len(people)
    with club_db.read() as conn:
        sent = conn.execute(select(MESSAGE.c.parts, MESSAGE.c.cost_rials, MESSAGE.c.language)).all()
    assert sorted(r.language for r in sent) == ["en", "en", "fa", "fa"]
    assert sum(r.parts for r in sent) == shown.parts
    assert sum(r.cost_rials for r in sent) == shown.cost_rials
    assert shown.parts == 2 + 1 + 2 + 1  # the long names cross a part, in UCS-2 and in GSM-7


def test_a_text_the_club_edits_in_the_back_office_is_the_text_sent(club_db, receiver):
    """The club rewrites the sale's message and switches birthday greetings off, through the back office's
    use cases: the sender sends the club's words, and no greeting."""
    from sync.server.club import messages as office
    from sync.server.club.access import CONSOLE
    from sync.server.club.act import Call

    call = Call(club_db, T0, CONSOLE)
    office.save_template(call, "points_earned", "fa", "", "{name}، {earned} امتیاز گرفتید؛ موجودی {balance}.")
    office.switch_kind(call, "birthday", False)
    m = add_member(club_db, name="سارا")
    enqueue(
        club_db,
        Queued(m.id, "sale:club", "points_earned", T0, SALE),
        Queued(m.id, "birthday:2026", "birthday", T0, {"bonus": 200, "at_us": T0}),
    )
    sender(club_db, receiver, FakeClock()).run_once()
    assert row(club_db, m.id, "sale:club").body == "سارا، ۱۵۰ امتیاز گرفتید؛ موجودی ۱٬۲۵۰."
    greeting = row(club_db, m.id, "birthday:2026")
    assert (greeting.status, greeting.provider_answer) == ("cancelled", "kind_off")
