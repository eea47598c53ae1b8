# SPDX-License-Identifier: GPL-3.0-or-later
"""Entries the server writes itself (points that expire, tiers lost at review) in its own hash chain, and
what the server holds terminals to: a bonus granted once per member and key, tiers moved by the ledger."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry, find_chain_break, seal
from app.domain.programme import US_PER_DAY, Bonuses, Qualification, RuleSet, TierRule
from sync.protocol import WireEntry
from sync.rules import to_body
from sync.server import programme
from sync.server import push as push_module
from sync.server.cli import main
from sync.server.models import BALANCE, DEVICE, ENTRY, MEMBER, REJECTED
from sync.server.programme import SERVER_DEVICE_CODE, SERVER_DEVICE_ID
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

DAY = US_PER_DAY
RULES = RuleSet(
    version=0,
    tiers=(
        TierRule("bronze", "برنزی", "Bronze", 0),
        TierRule("silver", "نقره‌ای", "Silver", 1, threshold=500, multiplier_percent=125),
        TierRule("gold", "طلایی", "Gold", 2, threshold=2_000, multiplier_percent=150),
    ),
    qualification=Qualification(window_days=365, grace_days=30),
    expiry_days=365,
    bonuses=Bonuses(signup_points=50, birthday_points=50),
)


def save_rules(client, admin, rules: RuleSet = RULES) -> int:
    response = client.put("/v1/admin/rules", json=to_body(rules), headers=admin)
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def at(
    terminal: Terminal, member_id: str, kind: EntryKind, points: int, when: int, **fields: Any
) -> WireEntry:
    """The device's next entry, made at `when` (device clock)."""
    draft = EntryDraft(
        id=fields.pop("id", None) or new_id(),
        created_at_us=when,
        branch_id=fields.pop("branch_id", terminal.branch_id),
        member_id=member_id,
        kind=kind,
        points_delta=points,
        **fields,
    )
    sealed = WireEntry.of(seal(draft, terminal.device_id, terminal.last_seq + 1, terminal.head_hash))
    terminal.last_seq, terminal.head_hash = sealed.device_seq, sealed.hash
    return sealed


def earn(terminal: Terminal, member_id: str, points: int, when: int) -> WireEntry:
    return at(terminal, member_id, EntryKind.EARN, points, when, sale_amount=points * 100_000)


def new_member(client, terminal: Terminal, **fields: Any) -> str:
    m = member(**fields)
    push(client, terminal, [], [member_item(m)])
    return m.id


def run(db, now_us: int) -> programme.Summary:
    return db.write(lambda conn: programme.run(conn, now_us))


def server_entries(db) -> list[LedgerEntry]:
    fields = [f for f in LedgerEntry.__dataclass_fields__ if f != "kind"]
    with db.read() as conn:
        rows = conn.execute(
            select(ENTRY).where(ENTRY.c.device_id == SERVER_DEVICE_ID).order_by(ENTRY.c.device_seq)
        ).all()
    return [LedgerEntry(**{f: getattr(r, f) for f in fields}, kind=EntryKind(r.kind)) for r in rows]


def points_of(db, member_id: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(select(BALANCE.c.points).where(BALANCE.c.member_id == member_id)).scalar_one()
        )


def member_row(db, member_id: str) -> Any:
    with db.read() as conn:
        return conn.execute(select(MEMBER).where(MEMBER.c.id == member_id)).one()


# ---- expiry ---------------------------------------------------------------------------------------------


def test_points_expire_oldest_first_once_in_the_servers_chain(client, club_db, admin, terminal):
    version = save_rules(client, admin)
    m = new_member(client, terminal)
    push(
        client,
        terminal,
        [
            earn(terminal, m, 100, T0),
            earn(terminal, m, 70, T0 + 200 * DAY),
            # a sale that spends 30 (from the oldest lot) and earns nothing
            *terminal.sale(m, 60_000, redeem=30, created_at_us=T0 + 300 * DAY),
        ],
    )
    assert points_of(club_db, m) == 140

    first = run(club_db, T0 + 366 * DAY)
    assert (first.expired_members, first.expired_points, first.rules_version) == (1, 70, version)
    assert run(club_db, T0 + 366 * DAY).entries == []  # the same moment again: nothing more is due
    assert run(club_db, T0 + 400 * DAY).entries == []  # the second lot is not due yet
    assert points_of(club_db, m) == 70
    second = run(club_db, T0 + 566 * DAY)
    assert second.expired_points == 70
    assert points_of(club_db, m) == 0

    written = server_entries(club_db)
    assert [(e.kind, e.points_delta, e.reason, e.rules_version) for e in written] == [
        (EntryKind.EXPIRE, -70, "expired", version),
        (EntryKind.EXPIRE, -70, "expired", version),
    ]
    assert {e.branch_id for e in written} == {terminal.branch_id}  # the member's enrolment branch
    with club_db.read() as conn:
        device = conn.execute(select(DEVICE).where(DEVICE.c.id == SERVER_DEVICE_ID)).one()
    assert device.code == SERVER_DEVICE_CODE
    assert find_chain_break(SERVER_DEVICE_ID, written, head=(device.last_seq, device.head_hash)) is None


def test_a_device_pulls_the_server_device_then_its_entries(client, club_db, admin, terminal):
    save_rules(client, admin)
    isfahan = enroll(club_db, "ISF")  # a member of branch 2, enrolled there
    m = new_member(client, isfahan, branch_id=BRANCH_2)
    push(client, terminal, [earn(terminal, m, 100, T0)])
    run(club_db, T0 + 400 * DAY)
    other = enroll(club_db, "ISF")
    changes = pull_all(client, other)
    devices = [
        i for i, c in enumerate(changes) if c["kind"] == "device" and c["device"]["id"] == SERVER_DEVICE_ID
    ]
    entries = [
        i
        for i, c in enumerate(changes)
        if c["kind"] == "entry" and c["entry"]["device_id"] == SERVER_DEVICE_ID
    ]
    assert len(devices) == 1 and len(entries) == 1 and devices[0] < entries[0]
    pulled = WireEntry.model_validate(changes[entries[0]]["entry"])
    assert pulled.hash_holds() and pulled.kind is EntryKind.EXPIRE and pulled.branch_id == BRANCH_2
    assert changes[devices[0]]["device"]["code"] == "SERVER"


def test_nothing_runs_before_a_rule_set_is_saved(client, club_db, terminal):
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0)])
    assert run(club_db, T0 + 4_000 * DAY).entries == []
    with club_db.read() as conn:
        assert conn.execute(select(DEVICE).where(DEVICE.c.id == SERVER_DEVICE_ID)).first() is None


def test_no_expiry_in_the_rule_set_means_none(client, club_db, admin, terminal):
    save_rules(client, admin, replace(RULES, expiry_days=None))
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0)])
    assert run(club_db, T0 + 4_000 * DAY).entries == []


# ---- tiers -------------------------------------------------------------------------------------------------


def test_a_tier_is_lost_only_after_the_window_and_grace(client, club_db, admin, terminal):
    version = save_rules(client, admin, replace(RULES, expiry_days=None))
    lapsed, loyal = new_member(client, terminal), new_member(client, terminal)
    upgrade = {"upgrade_to": "silver", "rules_version": version, "created_at_us": T0}
    push(
        client,
        terminal,
        [
            *terminal.sale(lapsed, 50_000_000, **upgrade),  # 500 points: silver at the sale
            *terminal.sale(loyal, 50_000_000, **upgrade),
            earn(terminal, loyal, 600, T0 + 300 * DAY),  # still qualifies at review
        ],
    )
    assert member_row(club_db, lapsed).tier_code == "silver"
    assert run(club_db, T0 + 394 * DAY).tier_changes == []  # period and grace not over
    cursor = max(c["seq"] for c in pull_all(client, terminal))
    done = run(club_db, T0 + 396 * DAY)
    assert done.tier_changes == [(lapsed, "silver", "bronze")]
    row = member_row(club_db, lapsed)
    assert (row.tier_code, row.tier_since_us) == ("bronze", T0 + 396 * DAY)
    assert member_row(club_db, loyal).tier_code == "silver"
    [change] = server_entries(club_db)
    assert (change.kind, change.invoice_ref, change.reason, change.rules_version) == (
        EntryKind.TIER_CHANGE,
        "bronze",
        "review",
        version,
    )
    later = pull_all(client, terminal, since=cursor)
    moved = [c["member"] for c in later if c["kind"] == "member"]
    assert [(m["id"], m["tier_code"]) for m in moved] == [(lapsed, "bronze")]
    assert run(club_db, T0 + 397 * DAY).entries == []


def test_a_tier_the_club_dropped_falls_to_the_entry_tier_at_once(client, club_db, admin, terminal):
    version = save_rules(client, admin)
    m = new_member(client, terminal)
    push(client, terminal, terminal.sale(m, 200_000_000, upgrade_to="gold", rules_version=version))
    save_rules(client, admin, replace(RULES, tiers=RULES.tiers[:2]))  # no gold any more
    assert run(club_db, T0 + DAY).tier_changes == [(m, "gold", "bronze")]


def test_the_newest_tier_change_sets_the_tier_whatever_the_order_pushed(client, club_db, admin, terminal):
    version = save_rules(client, admin)
    other = enroll(club_db, "ISF")
    m = new_member(client, terminal)
    silver = {"upgrade_to": "silver", "rules_version": version}
    push(client, terminal, terminal.sale(m, 50_000_000, created_at_us=T0 + 10, **silver))
    cursor = max(c["seq"] for c in pull_all(client, terminal))
    # another till's upgrade made earlier (offline), pushed later: the newer tier change stands
    gold = {"upgrade_to": "gold", "rules_version": version, "points": 2_000}
    push(client, other, other.sale(m, 200_000_000, created_at_us=T0 + 5, **gold))
    assert member_row(club_db, m).tier_code == "silver"
    assert [c for c in pull_all(client, terminal, since=cursor) if c["kind"] == "member"] == []
    late = other.sale(m, 200_000_000, created_at_us=T0 + 20, **gold)
    push(client, other, late)
    row = member_row(club_db, m)
    assert (row.tier_code, row.tier_since_us, row.tier_entry_id) == ("gold", T0 + 20, late[-1].id)
    # a member record from a terminal that had not seen it keeps the ledger's tier
    stale = member(id=m, tier_code="silver")
    push(client, terminal, [], [member_item(stale)])
    assert member_row(club_db, m).tier_code == "gold"
    published = [c["member"] for c in pull_all(client, terminal) if c["kind"] == "member"]
    assert published[-1]["tier_code"] == "gold"


def test_a_tier_change_to_an_unknown_tier_is_set_aside(client, club_db, terminal):
    m = new_member(client, terminal)
    answer = push(client, terminal, [at(terminal, m, EntryKind.TIER_CHANGE, 0, T0, invoice_ref="platinum")])
    assert (answer["entries"][0]["outcome"], answer["entries"][0]["reason"]) == ("rejected", "unknown_tier")
    assert member_row(club_db, m).tier_code == "bronze"


def test_an_admins_tier_placement_is_a_server_entry(client, club_db, admin, terminal):
    m = new_member(client, terminal)
    edited = client.patch(f"/v1/admin/members/{m}", json={"tier_code": "silver"}, headers=admin)
    assert edited.status_code == 200 and edited.json()["tier_code"] == "silver"
    [entry] = server_entries(club_db)
    assert (entry.kind, entry.invoice_ref, entry.reason) == (EntryKind.TIER_CHANGE, "silver", "admin")
    assert member_row(club_db, m).tier_entry_id == entry.id


# ---- a bonus once per member and key ---------------------------------------------------------------------


def bonus(terminal: Terminal, member_id: str, key: str | None, points: int = 50, **fields: Any) -> WireEntry:
    """A bonus as a till grants it under the saved rule set (version 1 in these tests)."""
    return at(terminal, member_id, EntryKind.BONUS, points, T0, invoice_ref=key, rules_version=1, **fields)


def ambassador(terminal: Terminal, member_id: str, points: int, manager: str) -> WireEntry:
    """A manager's grant: its key is its own entry id."""
    entry_id = new_id()
    return bonus(terminal, member_id, f"ambassador:{entry_id}", points, id=entry_id, staff_id=manager)


def test_a_second_devices_bonus_with_the_same_key_is_set_aside(client, club_db, admin, terminal):
    save_rules(client, admin)
    manager = add_staff(club_db)
    other = enroll(club_db, "ISF")
    m = new_member(client, terminal)
    first = push(client, terminal, [bonus(terminal, m, "signup")])
    assert first["entries"][0]["outcome"] == "accepted"
    repeated = bonus(other, m, "signup")
    answer = push(
        client, other, [repeated, ambassador(other, m, 20, manager), ambassador(other, m, 20, manager)]
    )
    assert [(r["outcome"], r["reason"]) for r in answer["entries"]] == [
        ("rejected", "bonus_already_granted"),
        ("accepted", None),
        ("accepted", None),  # a manager's grants are each their own key
    ]
    assert answer["contiguous_seq"] == 3  # set aside, its slot in the chain filled
    assert points_of(club_db, m) == 90
    again = push(client, other, [repeated])  # a retry gets the same answer
    assert (again["entries"][0]["outcome"], again["entries"][0]["reason"]) == (
        "rejected",
        "bonus_already_granted",
    )
    with club_db.read() as conn:
        kept = conn.execute(select(REJECTED).where(REJECTED.c.id == repeated.id)).one()
    assert kept.reason == "bonus_already_granted" and json.loads(kept.body)["invoice_ref"] == "signup"
    pulled = [c["entry"]["id"] for c in pull_all(client, terminal) if c["kind"] == "entry"]
    assert repeated.id not in pulled


def test_two_bonuses_with_one_key_in_one_batch(client, club_db, admin, terminal):
    save_rules(client, admin)
    m = new_member(client, terminal, birth_date="1990-06-15")  # T0 is 15 June 2025
    answer = push(
        client, terminal, [bonus(terminal, m, "birthday:2025"), bonus(terminal, m, "birthday:2025")]
    )
    assert [r["outcome"] for r in answer["entries"]] == ["accepted", "rejected"]
    assert points_of(club_db, m) == 50


def test_another_members_key_is_their_own_and_a_keyless_bonus_is_set_aside(client, club_db, admin, terminal):
    save_rules(client, admin)
    m, n = new_member(client, terminal), new_member(client, terminal)
    answer = push(
        client,
        terminal,
        [
            bonus(terminal, m, "signup"),
            bonus(terminal, n, "signup"),
            bonus(terminal, m, None),  # no till grants a bonus without a key: nothing prices it
        ],
    )
    assert [(r["outcome"], r["reason"]) for r in answer["entries"]] == [
        ("accepted", None), ("accepted", None), ("rejected", "price_mismatch"),
    ]  # fmt: skip


def test_a_bonus_that_loses_a_race_is_set_aside_not_a_conflict(client, club_db, admin, terminal, monkeypatch):
    """Two devices push one key at once: the database's unique index decides, and the loser is set aside
    like any repeated bonus (on PostgreSQL both pushes have checked before either inserts)."""
    save_rules(client, admin)
    other = enroll(club_db, "ISF")
    m = new_member(client, terminal)
    if club_db.dialect == "postgresql":
        both_checked = threading.Barrier(2)
        check = push_module._refuse_repeated_bonuses
        seen = threading.local()

        def check_then_meet(*args, **kwargs):
            # The first check of each push meets the other's; the loser's insert is kept out and its batch is
            # decided again (sync.server.push), where this check stays blind so that the index decides again
            if getattr(seen, "checked", False):
                return
            seen.checked = True
            check(*args, **kwargs)
            both_checked.wait(10)

        monkeypatch.setattr(push_module, "_refuse_repeated_bonuses", check_then_meet)
    else:  # one writer: the later push would see the first's bonus; skip its check to reach the index
        monkeypatch.setattr(push_module, "_refuse_repeated_bonuses", lambda *args: None)
    lost: list[str] = []
    settle = push_module._lost_bonus_races

    def settle_and_note(conn, entries, missed, refusals) -> None:
        settle(conn, entries, missed, refusals)
        lost.extend(r for i, r in enumerate(refusals) if r and i in missed)

    monkeypatch.setattr(push_module, "_lost_bonus_races", settle_and_note)
    answers: dict[str, Any] = {}

    def device(terminal_: Terminal) -> None:
        answers[terminal_.device_id] = push(client, terminal_, [bonus(terminal_, m, "signup")])

    threads = [threading.Thread(target=device, args=(t,)) for t in (terminal, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    outcomes = sorted((a["entries"][0]["outcome"], a["entries"][0]["reason"]) for a in answers.values())
    assert outcomes == [("accepted", None), ("rejected", "bonus_already_granted")]
    assert lost == ["bonus_already_granted"]  # decided by the index, after the insert
    assert points_of(club_db, m) == 50


# ---- the command line and the daily run ------------------------------------------------------------------


def test_programme_run_from_the_command_line(client, club_db, admin, terminal, capsys):
    save_rules(client, admin)
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0)])
    url = club_db.url.render_as_string(hide_password=False)
    assert main(["--db", url, "--json", "programme", "run", "--now", "2027-01-01T00:00+00:00"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["expired_points"], result["entries"]) == (100, 1)
    assert main(["--db", url, "programme", "run", "--now", "2027-01-01T00:00+00:00"]) == 0
    assert "0 points expired" in capsys.readouterr().out
    assert main(["--db", url, "programme", "run", "--now", "soon"]) == 2


def test_the_daily_run_waits_for_the_clubs_midnight(client, club_db, admin, terminal, clock):
    save_rules(client, admin)
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0)])
    clock.now = T0 + 400 * DAY
    daily = programme.Daily(club_db, clock)
    assert daily.run_once().expired_points == 100
    wait = daily.seconds_to_next_run()
    local = RULES.local(clock.now + int(wait * 1_000_000))
    assert (local.hour, local.minute) == (0, 5)  # just after the club's midnight
    assert 0 < wait <= 86_400


def test_a_run_the_command_line_resumes_says_so_and_the_next_one_takes_the_current_rule_set(
    client, club_db, admin, terminal, capsys
):
    """A day's run left unfinished under rule set 1 (serve's chore stopped in it, or still at it) is what
    `programme run` finishes first, with the rule set and moment it was begun with: the command says so
    rather than report rule set 1 as if it were the current one; run again, it takes the current one."""
    first = save_rules(client, admin)
    m = new_member(client, terminal)
    push(client, terminal, [earn(terminal, m, 100, T0)])
    begun_at = T0 + 400 * DAY
    club_db.write(lambda conn: programme._begin(conn, begun_at, begun_at, again=False))  # left unfinished
    later = save_rules(client, admin, replace(RULES, expiry_days=200))
    assert later > first
    url = club_db.url.render_as_string(hide_password=False)
    asked = ["--db", url, "programme", "run", "--now", _iso(begun_at + 60_000_000)]  # the same club day
    assert main([*asked[:2], "--json", *asked[2:]]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert (resumed["rules_version"], resumed["resumed"]) == (first, True)
    assert resumed["resumed_as_of_us"] == begun_at and resumed["expired_points"] == 100
    assert main(asked) == 0  # the run is over: this one is made again, under the current rule set
    text = capsys.readouterr().out
    assert f"rule set {later}:" in text and "finished the run" not in text


def _iso(at_us: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at_us / 1_000_000, UTC).isoformat(timespec="minutes")
