# SPDX-License-Identifier: GPL-3.0-or-later
"""Phone codes the terminals report (sync.server.phone_codes): kept once per terminal, and one code
accepted at two terminals raises one alert for the review queue, whatever the retries."""

from __future__ import annotations

import json
import threading

from sqlalchemy import func, select

from app.domain.card import card_number
from sync.protocol import PhoneCodeItem, WireCard
from sync.server import members
from sync.server.alerts import ALERT_KINDS
from sync.server.backoffice.pages.review import ALERTS
from sync.server.backoffice.texts import FA
from sync.server.models import ALERT, PHONE_CODE_USE
from sync.server.phone_codes import TWO_TERMINALS
from sync.server.sequence import Publisher
from tests.server.club import T0, enroll, member, member_item, new_id, push

STEP = T0 // 30_000_000
PHONE = card_number("9826", 77)


def phone_card(db, member_id: str, number: str = PHONE) -> None:
    """The member page certified a phone: a card of kind "phone" (what sync.server.portal makes)."""

    def put(conn) -> None:
        pub = Publisher(T0)
        members.put_card(
            conn, pub, WireCard(number=number, kind="phone", member_id=member_id, issued_at_us=T0)
        )
        pub.flush(conn)

    db.write(put)


def code_item(
    member_id: str, step: int = STEP, purpose: str = "member", number: str = PHONE
) -> PhoneCodeItem:
    return PhoneCodeItem(
        id=new_id(), card_number=number, member_id=member_id, step=step, used_at_us=step * 30_000_000 + 1,
        purpose=purpose,
    )  # fmt: skip


def flagged(db) -> list:
    with db.read() as conn:
        return list(conn.execute(select(ALERT).where(ALERT.c.kind == TWO_TERMINALS).order_by(ALERT.c.id)))


def uses(db) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(PHONE_CODE_USE)).scalar_one()


def outcomes(answer) -> list[str]:
    return [r["outcome"] for r in answer["items"]]


def test_one_code_at_two_terminals_raises_one_alert_and_retries_add_nothing(client, club_db):
    till, door = enroll(club_db), enroll(club_db, "ISF")
    sara = member(name="Sara")
    push(client, till, [], [member_item(sara)])
    phone_card(club_db, sara.id)

    at_till = code_item(sara.id)
    assert outcomes(push(client, till, [], [at_till])) == ["accepted"]
    assert outcomes(push(client, till, [], [at_till])) == ["duplicate"]  # a retried push
    assert outcomes(push(client, till, [], [code_item(sara.id, STEP + 1)])) == ["accepted"]  # the next code
    assert flagged(club_db) == [] and uses(club_db) == 2

    at_door = code_item(sara.id, purpose="door")  # the same code, copied, at another terminal
    assert outcomes(push(client, door, [], [at_door])) == ["accepted"]  # what happened is kept
    push(client, door, [], [at_door])
    push(client, till, [], [at_till])
    (alert,) = flagged(club_db)
    assert (alert.member_id, alert.subject, alert.device_id) == (sara.id, PHONE, door.device_id)
    detail = json.loads(alert.detail)
    assert detail["step"] == STEP and detail["card_number"] == PHONE
    assert {(u["device_code"], u["purpose"]) for u in detail["uses"]} == {
        (till.device_code, "member"), (door.device_code, "door"),
    }  # fmt: skip
    assert uses(club_db) == 3


def test_a_report_of_a_card_the_club_did_not_give_the_member_is_refused(client, club_db, terminal):
    sara, reza = member(name="Sara"), member(name="Reza")
    push(client, terminal, [], [member_item(sara), member_item(reza)])
    phone_card(club_db, sara.id)
    answer = push(
        client, terminal, [], [code_item(reza.id), code_item(sara.id, number=card_number("9826", 78))]
    )
    assert [(r["outcome"], r["reason"]) for r in answer["items"]] == [("rejected", "unknown_card")] * 2
    assert uses(club_db) == 0


def test_two_terminals_pushing_one_code_at_the_same_moment_raise_one_alert(client, club_db):
    doors = [enroll(club_db), enroll(club_db, "ISF")]
    sara = member(name="Sara")
    push(client, doors[0], [], [member_item(sara)])
    phone_card(club_db, sara.id)
    steps = [STEP + i for i in range(5)]
    start = threading.Barrier(2)

    def report(terminal) -> None:
        for step in steps:
            item = code_item(sara.id, step)
            start.wait(10)
            push(client, terminal, [], [item])

    threads = [threading.Thread(target=report, args=(d,)) for d in doors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(json.loads(a.detail)["step"] for a in flagged(club_db)) == steps


def test_the_alert_is_named_in_the_review_queue_in_both_languages():
    assert TWO_TERMINALS in ALERT_KINDS
    english = ALERTS[TWO_TERMINALS]
    assert "two terminals" in english and "گوشی" in FA[english]
