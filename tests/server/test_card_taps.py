# SPDX-License-Identifier: GPL-3.0-or-later
"""Chip cards the terminals report (sync.server.card_taps): kept once by item id; one card at two branches
too soon, or a chip counter going backwards, raises one alert per pair of taps for the review queue,
whatever the retries and whatever order offline terminals push in."""

from __future__ import annotations

import json
import threading

from sqlalchemy import func, select

from app.domain.card import card_number
from sync.protocol import CardTapItem, WireCard
from sync.server import members
from sync.server.alerts import ALERT_KINDS
from sync.server.backoffice.pages.review import ALERTS
from sync.server.backoffice.texts import FA, SETTING_NAMES
from sync.server.card_taps import COUNTER_BACKWARDS, TWO_BRANCHES
from sync.server.models import ALERT, CARD_TAP, SETTING
from sync.server.sequence import Publisher
from tests.server.club import T0, enroll, member, member_item, new_id, push
from tests.server.office import add_every_role, sign_in
from tests.server.test_backoffice_review import use_english

CARD = card_number("9826", 55)
MINUTE = 60 * 1_000_000


def chip_card(db, member_id: str, number: str = CARD) -> None:
    def put(conn) -> None:
        pub = Publisher(T0)
        card = WireCard(number=number, member_id=member_id, issued_at_us=T0, uid="04a1b2c3d4e5f6")
        members.put_card(conn, pub, card)
        pub.flush(conn)

    db.write(put)


def tap(member_id: str, minutes: float = 0, counter: int | None = None, **fields) -> CardTapItem:
    values = {
        "id": new_id(),
        "card_number": CARD,
        "member_id": member_id,
        "used_at_us": T0 + int(minutes * MINUTE),
        "purpose": "member",
        "chip": "challenge" if counter is not None else "signature",
        "read_counter": counter,
    }
    return CardTapItem.model_validate(values | fields)


def alerts(db, kind: str) -> list:
    with db.read() as conn:
        return list(conn.execute(select(ALERT).where(ALERT.c.kind == kind).order_by(ALERT.c.id)))


def taps(db) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(CARD_TAP)).scalar_one()


def outcomes(answer) -> list[str]:
    return [r["outcome"] for r in answer["items"]]


def setup(client, db):
    tehran, isfahan = enroll(db), enroll(db, "ISF")
    sara = member(name="Sara")
    push(client, tehran, [], [member_item(sara)])
    chip_card(db, sara.id)
    return tehran, isfahan, sara


def test_one_card_at_two_branches_within_the_travel_time_alerts_once_whatever_the_retries(client, club_db):
    tehran, isfahan, sara = setup(client, club_db)
    here = tap(sara.id, 0)
    assert outcomes(push(client, tehran, [], [here])) == ["accepted"]
    there = tap(sara.id, 20)  # Isfahan, twenty minutes later: no one drives that
    assert outcomes(push(client, isfahan, [], [there])) == ["accepted"]
    assert outcomes(push(client, isfahan, [], [there])) == ["duplicate"]
    push(client, tehran, [], [here])
    assert taps(club_db) == 2
    (alert,) = alerts(club_db, TWO_BRANCHES)
    assert (alert.member_id, alert.subject, alert.device_id) == (sara.id, CARD, isfahan.device_id)
    detail = json.loads(alert.detail)
    assert detail["card_number"] == CARD and detail["minutes_apart"] == 20 and detail["travel_minutes"] == 30
    assert [(t["id"], t["branch_code"], t["device_code"], t["used_at_us"]) for t in detail["taps"]] == [
        (here.id, "THR", tehran.device_code, here.used_at_us),
        (there.id, "ISF", isfahan.device_code, there.used_at_us),
    ]  # fmt: skip
    assert alerts(club_db, COUNTER_BACKWARDS) == []


def test_taps_far_apart_in_time_or_at_one_branch_do_not_alert(client, club_db):
    tehran, isfahan, sara = setup(client, club_db)
    other_till = enroll(club_db)
    push(client, tehran, [], [tap(sara.id, 0), tap(sara.id, 5)])
    push(client, other_till, [], [tap(sara.id, 10)])  # another till at the same branch
    push(client, isfahan, [], [tap(sara.id, 6 * 60), tap(sara.id, -31)])  # hours later; half an hour before
    assert taps(club_db) == 5 and alerts(club_db, TWO_BRANCHES) == []


def test_the_travel_time_is_the_clubs_setting(client, club_db):
    tehran, isfahan, sara = setup(client, club_db)
    club_db.write(lambda conn: conn.execute(SETTING.insert().values(key="card_travel_minutes", value="240")))
    push(client, tehran, [], [tap(sara.id, 0)])
    push(client, isfahan, [], [tap(sara.id, 3 * 60)])
    assert len(alerts(club_db, TWO_BRANCHES)) == 1
    club_db.write(lambda conn: conn.execute(SETTING.update().values(value="0")))  # off
    push(client, tehran, [], [tap(sara.id, 1)])
    assert len(alerts(club_db, TWO_BRANCHES)) == 1


def test_a_counter_going_backwards_alerts_once(client, club_db):
    tehran, _, sara = setup(client, club_db)
    first, second = tap(sara.id, 0, counter=10), tap(sara.id, 60, counter=11)
    push(client, tehran, [], [first, second])
    assert alerts(club_db, COUNTER_BACKWARDS) == []
    clone = tap(sara.id, 120, counter=7)  # later, but counted fewer reads: a copy's counter
    push(client, tehran, [], [clone])
    push(client, tehran, [], [clone])
    (alert,) = alerts(club_db, COUNTER_BACKWARDS)
    detail = json.loads(alert.detail)
    assert [(t["id"], t["read_counter"]) for t in detail["taps"]] == [(second.id, 11), (clone.id, 7)]
    assert (alert.subject, alert.member_id) == (CARD, sara.id)


def test_a_repeated_counter_is_a_replay(client, club_db):
    tehran, _, sara = setup(client, club_db)
    push(client, tehran, [], [tap(sara.id, 0, counter=40)])
    push(client, tehran, [], [tap(sara.id, 90, counter=40)])
    assert len(alerts(club_db, COUNTER_BACKWARDS)) == 1


def test_forward_counters_arriving_out_of_order_do_not_alert(client, club_db):
    """An offline terminal pushes its morning's taps after the afternoon's reached the server from another:
    by the time of the taps the counter only went up."""
    tehran, _, sara = setup(client, club_db)
    offline = enroll(club_db)
    push(client, tehran, [], [tap(sara.id, 300, counter=20), tap(sara.id, 360, counter=21)])
    push(client, offline, [], [tap(sara.id, 60, counter=12), tap(sara.id, 0, counter=11)])
    push(client, offline, [], [tap(sara.id, 120, counter=13)])
    assert taps(club_db) == 5 and alerts(club_db, COUNTER_BACKWARDS) == []
    # but a late tap whose counter is above a later one's is the copy (or the original after a copy)
    push(client, offline, [], [tap(sara.id, 180, counter=25)])
    (alert,) = alerts(club_db, COUNTER_BACKWARDS)
    assert [t["read_counter"] for t in json.loads(alert.detail)["taps"]] == [25, 20]


def test_two_terminals_clocks_a_moment_apart_are_not_a_counter_going_backwards(client, club_db):
    tehran, _, sara = setup(client, club_db)
    other_till = enroll(club_db)
    push(client, tehran, [], [tap(sara.id, 1, counter=5)])
    push(client, other_till, [], [tap(sara.id, 0.5, counter=6)])  # its clock is a little behind
    assert alerts(club_db, COUNTER_BACKWARDS) == []


def test_a_tap_of_someone_elses_card_is_refused(client, club_db):
    tehran, _, sara = setup(client, club_db)
    reza = member(name="Reza")
    push(client, tehran, [], [member_item(reza)])
    answer = push(client, tehran, [], [tap(reza.id, 0), tap(sara.id, 0, card_number=card_number("9826", 56))])
    assert outcomes(answer) == ["rejected", "rejected"]
    assert {r["reason"] for r in answer["items"]} == {"unknown_card"} and taps(club_db) == 0


def test_the_alerts_and_the_setting_have_words_in_both_languages():
    for kind in (TWO_BRANCHES, COUNTER_BACKWARDS):
        assert kind in ALERT_KINDS and ALERTS[kind] in FA
    assert SETTING_NAMES["card_travel_minutes"] in FA


def test_the_review_queue_lists_them_with_card_branches_and_times(client, club_db):
    tehran, isfahan, sara = setup(client, club_db)
    push(client, tehran, [], [tap(sara.id, 0, counter=9)])
    push(client, isfahan, [], [tap(sara.id, 15, counter=8)])
    add_every_role(club_db)
    csrf = sign_in(client, "owner")
    page = client.get("/admin/review?tab=other")
    assert page.status_code == 200
    assert "یک کارت در دو شعبه زودتر از آنکه کسی بتواند میان آن‌ها برود به کار رفت" in page.text
    assert "شمارندهٔ تراشهٔ کارت میان دو بار استفاده عقب رفت یا تکرار شد" in page.text
    assert page.text.count(f'data-testid="tap-card">{CARD}<') == 2
    assert "تهران" in page.text and "اصفهان" in page.text and "به فاصلهٔ ۱۵ دقیقه" in page.text
    use_english(client, csrf)
    page = client.get("/admin/review?tab=other").text
    assert "One card was used at two branches sooner than anyone travels between them" in page
    assert "A card&#39;s chip counter went backwards or repeated" in page
    assert "Tehran" in page and "Isfahan" in page and "15 minutes apart" in page
    assert "counter 9" in page and "counter 8" in page and isfahan.device_code in page


def test_two_branches_pushing_one_cards_taps_at_the_same_moment_raise_one_alert_each_time(client, club_db):
    """Whichever push commits second sees the first's tap (a lock per card on PostgreSQL): never none."""
    tehran, isfahan, sara = setup(client, club_db)
    rounds = range(5)
    start = threading.Barrier(2)

    def report(terminal) -> None:
        for n in rounds:
            item = tap(sara.id, n * 120)  # hours apart from the other rounds
            start.wait(10)
            push(client, terminal, [], [item])

    threads = [threading.Thread(target=report, args=(t,)) for t in (tehran, isfahan)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert taps(club_db) == 10
    assert sorted(json.loads(a.detail)["taps"][0]["used_at_us"] for a in alerts(club_db, TWO_BRANCHES)) == [
        T0 + n * 120 * MINUTE for n in rounds
    ]
