# SPDX-License-Identifier: GPL-3.0-or-later
"""The fraud signals report on both backends, with worked numbers: small ledgers pushed through the real
push path, counted by the aggregates, and the report's tables read back cell by cell."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import select

from app.domain.fraud_signals import MAD_SCALE, MEAN_AD_SCALE
from app.domain.ledger import EntryKind
from app.domain.programme import Reward, RuleSet, TierRule
from app.domain.returns import RETURN_REASON
from sync.protocol import WireEntry
from sync.server import rules as rule_sets
from sync.server.club.access import CONSOLE, Actor
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import AUDIT
from sync.server.reports import catalogue, fraud
from sync.server.reports.aggregates import catch_up
from sync.server.reports.table import Cell, Drill, Filters, Table
from sync.server.sequence import Publisher
from tests.server.club import (
    BRANCH_1,
    BRANCH_2,
    T0,
    Terminal,
    add_staff,
    enroll,
    member,
    member_item,
    push,
)

MINUTE = 60_000_000
DAY = 86_400_000_000
CLUB = RuleSet(version=0, tiers=(TierRule("bronze", "b", "b", 0),))  # its calendar: Tehran, +03:30
TODAY = CLUB.local_date(T0)  # T0 is 18:36 there: every entry below is made within the next 3 hours


def report(db: Database, *, branch: str | None = None, actor: Actor = CONSOLE, **kw: Any) -> dict[str, Table]:
    catch_up(db, T0 + DAY)
    result = fraud.build(Call(db, T0 + DAY, actor), Filters(TODAY, TODAY, branch), **kw)
    assert result.as_of is not None and result.as_of.behind == 0
    return {t.code: t for t in result.tables}


def value(cell: Any) -> Any:
    return cell.value if isinstance(cell, Cell) else cell


def drill(cell: Any) -> Drill:
    assert isinstance(cell, Cell) and cell.drill is not None
    return cell.drill


def column(table: Table, key: str) -> int:
    return [c.key for c in table.columns].index(key)


def row_of(table: Table, **match: Any) -> tuple[Any, ...]:
    """The one row whose cells in the named columns hold these values (or drill to this staff/device)."""
    found = []
    for row in table.rows:
        ok = True
        for key, wanted in match.items():
            cell = row[column(table, key)]
            ok &= value(cell) == wanted or (
                isinstance(cell, Cell)
                and cell.drill is not None
                and wanted in (cell.drill.staff_id, cell.drill.device_id)
            )
        if ok:
            found.append(row)
    assert len(found) == 1, (match, table.rows)
    return found[0]


def pushed_member(client: Any, terminal: Terminal, **fields: Any) -> str:
    m = member(joined_at_us=T0 - 30 * DAY, **fields)
    push(client, terminal, [], [member_item(m)])
    return m.id


def full_return(terminal: Terminal, sale: WireEntry, at_us: int, staff: str | None = None) -> WireEntry:
    return terminal.entry(
        sale.member_id,
        EntryKind.REVERSAL,
        -sale.points_delta,
        sale_amount=-sale.sale_amount,
        reverses=sale.id,
        reason=RETURN_REASON,
        created_at_us=at_us,
        staff_id=staff,
    )


def accepted(response: dict[str, Any]) -> None:
    outcomes = {e["outcome"] for e in response["entries"]}
    assert outcomes <= {"accepted", "duplicate"}, response["entries"]


# ---- 1. staff and terminals against their branch peers ----------------------------------------------------


def test_staff_and_terminals_against_their_branch_peers(client, club_db):
    t1, t2, t3 = enroll(club_db), enroll(club_db), enroll(club_db)
    a, b, c, d = (add_staff(club_db, "cashier", BRANCH_1) for _ in range(4))
    m = pushed_member(client, t1)
    # each cashier makes 10 sales of 1,000,000 rials (10 points); A and B at till 1, C at 2, D at 3
    returns = {a: 1, b: 1, c: 2, d: 8}
    at = T0
    for staff, till in ((a, t1), (b, t1), (c, t2), (d, t3)):
        written = []
        for i in range(10):
            at += MINUTE
            sale = till.sale(m, 1_000_000, staff_id=staff, created_at_us=at)[0]
            written.append(sale)
            if i < returns[staff]:
                written.append(full_return(till, sale, at + 1, staff))
        accepted(push(client, till, written))
    # ISF: two cashiers only, too few to judge against each other
    isf = enroll(club_db, "ISF")
    e, f = add_staff(club_db, "cashier", BRANCH_2), add_staff(club_db, "cashier", BRANCH_2)
    accepted(
        push(
            client,
            isf,
            [
                *isf.sale(m, 1_000_000, staff_id=e, created_at_us=T0 + MINUTE),
                *isf.sale(m, 1_000_000, staff_id=f, created_at_us=T0 + 2 * MINUTE),
            ],
        )
    )

    tables = report(club_db)
    staff = tables["staff"]
    # returns per 100 sales: 10, 10, 20, 80; median 15; deviations 5, 5, 5, 65: MAD 5
    row_d = row_of(staff, sales=d)
    assert (value(row_d[column(staff, "sales")]), value(row_d[column(staff, "returns")])) == (10, 8)
    assert row_d[column(staff, "returns_per_100")] == 80
    assert row_d[column(staff, "returns_z")] == Fraction(65) / (MAD_SCALE * 5)  # 8.77
    assert value(row_d[column(staff, "reversals")]) == 8  # every reversal here is a return
    assert value(row_d[column(staff, "flags")]) == 2  # returns and reversals
    row_a = row_of(staff, sales=a)
    assert row_a[column(staff, "returns_z")] == Fraction(-5) / (MAD_SCALE * 5)
    assert value(row_a[column(staff, "flags")]) == 0
    # nobody overrode: every rate 0, MAD 0 and mean absolute deviation 0: every z is 0
    assert row_a[column(staff, "overrides_per_100")] == 0 and row_a[column(staff, "overrides_z")] == 0
    assert staff.rows[0] == row_d  # the most flagged first
    # the number drills to the entries behind it: D's returns, listed
    back = drill(row_d[column(staff, "returns")])
    with club_db.read() as conn:
        from sync.server.models import ENTRY

        kinds = {r.kind for r in conn.execute(select(ENTRY.c.kind).where(ENTRY.c.id.in_(back.entry_ids)))}
    assert len(back.entry_ids) == 8 and kinds == {"reversal"}
    sales = drill(row_d[column(staff, "sales")])
    assert (sales.staff_id, sales.kinds, sales.branch, sales.first, sales.last) == (
        d,
        ("earn",),
        "THR",
        TODAY,
        TODAY,
    )
    # ISF: two peers, no z-score
    for who in (e, f):
        row = row_of(staff, sales=who)
        assert row[column(staff, "returns_per_100")] == 0 and row[column(staff, "returns_z")] is None

    terminals = tables["terminals"]
    # till 1: 20 sales, 2 returns (10); till 2: 20 (sic: 10 sales, 2 returns); till 3: 80
    row_t3 = row_of(terminals, sales=t3.device_id)
    assert row_t3[column(terminals, "terminal")] == t3.device_code
    rates = {
        t.device_id: row_of(terminals, sales=t.device_id)[column(terminals, "returns_per_100")]
        for t in (t1, t2, t3)
    }
    assert rates == {t1.device_id: 10, t2.device_id: 20, t3.device_id: 80}
    # median 20, deviations 10, 0, 60: MAD 10
    assert row_t3[column(terminals, "returns_z")] == Fraction(60) / (MAD_SCALE * 10)  # 4.05: flagged
    assert value(row_t3[column(terminals, "flags")]) == 2
    assert row_of(terminals, sales=isf.device_id)[column(terminals, "returns_z")] is None  # one terminal

    # a branch's own report sees its own staff only
    thr = report(club_db, branch="THR")["staff"]
    assert {drill(r[column(thr, "sales")]).staff_id for r in thr.rows} == {a, b, c, d}


def test_overrides_and_adjustments_name_the_manager(client, club_db):
    till = enroll(club_db)
    boss = add_staff(club_db, "manager", BRANCH_1)
    cashiers = [add_staff(club_db, "cashier", BRANCH_1) for _ in range(3)]
    m = pushed_member(client, till)
    accepted(push(client, till, [till.entry(m, points=100, created_at_us=T0)]))
    written = []
    for i, cashier in enumerate(cashiers):
        written += till.sale(m, 1_000_000, staff_id=cashier, created_at_us=T0 + (i + 1) * MINUTE)
    written += till.sale(m, 1_000_000, staff_id=boss, created_at_us=T0 + 5 * MINUTE)
    written.append(
        till.entry(m, EntryKind.ADJUST, 7, reason="typo", staff_id=boss, created_at_us=T0 + 6 * MINUTE)
    )
    accepted(push(client, till, written))
    staff = report(club_db)["staff"]
    row = row_of(staff, sales=boss)
    assert value(row[column(staff, "adjustments")]) == 1 and row[column(staff, "adjustments_per_100")] == 100
    # the cashiers adjusted nothing: 0, 0, 0, 100 → MAD 0, mean absolute deviation 25
    assert row[column(staff, "adjustments_z")] == Fraction(100) / (MEAN_AD_SCALE * 25)  # 3.19: not flagged
    assert drill(row[column(staff, "adjustments")]).kinds == ("adjust",)


# ---- 2. redemptions soon after earning --------------------------------------------------------------------


def test_redemptions_soon_after_earning(client, club_db):
    till = enroll(club_db)
    a, b, c = (add_staff(club_db, "cashier", BRANCH_1) for _ in range(3))
    m = pushed_member(client, till)
    accepted(push(client, till, [till.entry(m, points=500, created_at_us=T0 - DAY)]))  # yesterday
    earn = till.sale(m, 1_000_000, staff_id=a, created_at_us=T0)[0]
    soon = till.sale(m, 1_000_000, redeem=5, staff_id=a, created_at_us=T0 + 9 * MINUTE)
    late = till.sale(m, 1_000_000, redeem=5, staff_id=a, created_at_us=T0 + 30 * MINUTE)  # 21 minutes on
    alone = till.sale(m, 1_000_000, redeem=5, staff_id=b, created_at_us=T0 + 120 * MINUTE)
    other = till.sale(m, 1_000_000, redeem=5, staff_id=c, created_at_us=T0 + 180 * MINUTE)
    accepted(push(client, till, [earn, *soon, *late, *alone, *other]))
    table = report(club_db)["soon_after"]
    row = row_of(table, redemptions=a)
    assert value(row[column(table, "redemptions")]) == 2
    assert value(row[column(table, "soon")]) == 1 and row[column(table, "soon_per_100")] == 50
    assert set(drill(row[column(table, "soon")]).entry_ids) == {earn.id, soon[1].id}
    # 50, 0, 0: median 0, MAD 0, mean absolute deviation 50/3
    assert row[column(table, "soon_z")] == Fraction(50) / (MEAN_AD_SCALE * Fraction(50, 3))
    assert value(row_of(table, redemptions=b)[column(table, "soon")]) == 0
    assert row_of(table, redemptions=b)[column(table, "soon")].drill is None


# ---- 3. members with unusual return patterns --------------------------------------------------------------


def test_members_with_unusual_return_patterns(client, club_db):
    till = enroll(club_db)
    members = [pushed_member(client, till, name=f"M{i}") for i in range(6)]
    written, at = [], T0
    plan = {0: 1, 1: 1, 2: 1, 3: 1, 4: 4}  # of 5 sales each; member 5 makes 4 sales and returns them all
    for i, m in enumerate(members):
        for k in range(5 if i < 5 else 4):
            at += MINUTE
            sale = till.sale(m, 1_000_000, created_at_us=at)[0]
            written.append(sale)
            if k < plan.get(i, 4):
                if i == 4 and k == 3:  # half of one sale: 500,000 rials, 5 points back
                    written.append(
                        till.entry(
                            m,
                            EntryKind.REVERSAL,
                            -5,
                            sale_amount=-500_000,
                            reverses=sale.id,
                            reason=RETURN_REASON,
                            created_at_us=at + 1,
                        )
                    )
                else:
                    written.append(full_return(till, sale, at + 1))
    accepted(push(client, till, written))
    table = report(club_db)["member_returns"]
    # shares 1/5 four times and 4/5: median 1/5, MAD 0; mean absolute deviation (3/5) / 5
    assert len(table.rows) == 1
    row = table.rows[0]
    assert (value(row[0]), drill(row[0]).member_ids) == ("M4", (members[4],))
    assert value(row[column(table, "sales")]) == 5 and value(row[column(table, "returned")]) == 4
    assert row[column(table, "share")] == Fraction(4, 5)
    assert row[column(table, "share_rials")] == Fraction(3_500_000, 5_000_000)
    assert row[column(table, "z")] == Fraction(3, 5) / (MEAN_AD_SCALE * Fraction(3, 25))  # 3.99
    assert drill(row[column(table, "sales")]).member_id == members[4]


# ---- 4. sales split to cross a tier threshold -------------------------------------------------------------


def test_sales_split_to_cross_a_tier_threshold(client, club_db):
    till = enroll(club_db)

    def publish(conn: Any) -> int:
        pub = Publisher(T0 - DAY)
        saved = rule_sets.save(conn, pub, replace(rule_sets.legacy(conn), version=0), "test")
        pub.flush(conn)
        return saved.version

    version = club_db.write(publish)
    split, whole = pushed_member(client, till, name="Split"), pushed_member(client, till, name="Whole")
    # silver is 500 points: 300 + 250 cross it at the second sale, 9 minutes after the first
    first = till.sale(split, 30_000_000, created_at_us=T0, rules_version=version)
    second = till.sale(
        split, 25_000_000, created_at_us=T0 + 9 * MINUTE, rules_version=version, upgrade_to="silver"
    )
    # one sale of 600 points crosses it alone
    alone = till.sale(
        whole, 60_000_000, created_at_us=T0 + 9 * MINUTE, rules_version=version, upgrade_to="silver"
    )
    accepted(push(client, till, [*first, *second, *alone]))
    table = report(club_db)["split_sales"]
    assert len(table.rows) == 1
    row = table.rows[0]
    assert (value(row[0]), drill(row[0]).member_ids) == ("Split", (split,))
    assert value(row[column(table, "sales")]) == 2
    assert (row[column(table, "points")], row[column(table, "crossing_points")]) == (550, 250)
    assert (row[column(table, "tier")], row[column(table, "threshold")]) == ("silver", 500)
    assert row[column(table, "minutes")] == 9
    assert set(drill(row[column(table, "sales")]).entry_ids) == {first[0].id, second[0].id, second[1].id}


# ---- 5. double admissions ---------------------------------------------------------------------------------


def check_in(terminal: Terminal, member_id: str, event_id: str, at_us: int) -> WireEntry:
    return terminal.entry(
        member_id, EntryKind.CHECK_IN, 0, sale_amount=0, invoice_ref=event_id, created_at_us=at_us
    )


def test_double_admissions(client, club_db, admin):
    door_a, door_b = enroll(club_db), enroll(club_db, "ISF")
    event = {
        "name": "Yalda night",
        "starts_at_us": T0,
        "ends_at_us": T0 + 6 * 3600 * 1_000_000,
        "invited_tiers": ["bronze"],
    }
    event_id = client.post("/v1/admin/events", json=event, headers=admin).json()["id"]
    sara, reza, nima = (pushed_member(client, door_a, name=n) for n in ("Sara", "Reza", "Nima"))
    at_a = check_in(door_a, sara, event_id, T0 + MINUTE)
    twice = check_in(door_a, reza, event_id, T0 + 2 * MINUTE)
    accepted(push(client, door_a, [at_a, twice, check_in(door_a, nima, event_id, T0 + 3 * MINUTE)]))
    at_b = check_in(door_b, sara, event_id, T0 + 4 * MINUTE)
    again = check_in(door_b, reza, event_id, T0 + 5 * MINUTE)
    accepted(push(client, door_b, [at_b, again]))
    manager = add_staff(club_db, "manager", BRANCH_2)
    undo = door_b.entry(
        reza,
        EntryKind.REVERSAL,
        0,
        sale_amount=0,
        reverses=again.id,
        staff_id=manager,
        invoice_ref=event_id,
        reason="let in twice",
        created_at_us=T0 + 6 * MINUTE,
    )
    accepted(push(client, door_b, [undo]))
    table = report(club_db)["double_admissions"]
    assert len(table.rows) == 1  # Reza's second admission was undone
    row = table.rows[0]
    assert (row[0], value(row[1]), drill(row[1]).member_ids) == ("Yalda night", "Sara", (sara,))
    assert value(row[2]) == 2 and set(drill(row[2]).entry_ids) == {at_a.id, at_b.id}
    assert set(row[3].split("، ")) == {door_a.device_code, door_b.device_code}


# ---- 6. negative balances ---------------------------------------------------------------------------------


def test_negative_balances(client, club_db):
    till = enroll(club_db)
    poor, fine = pushed_member(client, till, name="Poor"), pushed_member(client, till, name="Fine")
    accepted(push(client, till, [till.entry(poor, points=10, created_at_us=T0), till.entry(fine, points=10)]))
    accepted(push(client, till, till.sale(poor, 40_000, redeem=20, created_at_us=T0 + MINUTE)))  # spends 20
    table = report(club_db)["negative_balances"]
    assert [(value(r[0]), r[1], value(r[2]), value(r[3])) for r in table.rows] == [("Poor", "THR", -10, 0)]
    entries = drill(table.rows[0][2])
    assert (entries.member_id, entries.first) == (poor, CLUB.local_date(T0 - 30 * DAY))
    assert report(club_db, branch="ISF")["negative_balances"].rows == []  # a THR member


# ---- 7. a reward's last unit given by two terminals offline -----------------------------------------------


def test_a_rewards_last_unit_given_by_two_terminals_offline(client, club_db):
    till_1, till_2, isf = enroll(club_db), enroll(club_db), enroll(club_db, "ISF")

    def publish(conn: Any) -> int:
        pub = Publisher(T0 - DAY)
        mug = Reward("mug", "ماگ", "Mug", points=50, stock=(("THR", 2), ("ISF", 5)))
        saved = rule_sets.save(conn, pub, replace(rule_sets.legacy(conn), rewards=(mug,)), "test")
        pub.flush(conn)
        return saved.version

    version = club_db.write(publish)
    m = pushed_member(client, till_1)
    accepted(push(client, till_1, [till_1.entry(m, points=1_000, created_at_us=T0 - DAY)]))

    def give(till: Terminal, at_us: int) -> list[WireEntry]:
        unit = till.entry(
            m,
            EntryKind.REWARD,
            0,
            sale_amount=0,
            invoice_ref="reward:mug",
            rules_version=version,
            created_at_us=at_us,
        )
        from app.domain.companions import Companion
        from app.domain.ids import derived_id

        spend = till.entry(
            m,
            EntryKind.REDEEM,
            -50,
            id=str(derived_id(unit.id, Companion.REDEEM)),
            rules_version=version,
            created_at_us=at_us,
        )
        return [unit, spend]

    first = give(till_1, T0 + MINUTE)
    accepted(push(client, till_1, first))
    # both tills offline: each sees one unit left and gives it
    last_1, last_2 = give(till_1, T0 + 2 * MINUTE), give(till_2, T0 + 3 * MINUTE)
    accepted(push(client, till_1, last_1))
    accepted(push(client, till_2, last_2))
    accepted(push(client, isf, give(isf, T0 + 4 * MINUTE)))  # within ISF's stock
    table = report(club_db)["beyond_stock"]
    assert len(table.rows) == 1
    row = table.rows[0]
    assert row[:4] == ("mug", "THR", 2, 3)
    assert value(row[column(table, "beyond")]) == 1
    assert drill(row[column(table, "beyond")]).entry_ids == (last_2[0].id,)  # the server took it last
    assert value(row[column(table, "terminals")]) == 2
    assert drill(row[column(table, "terminals")]).entry_ids == (last_1[0].id, last_2[0].id)
    assert set(row[column(table, "terminal_codes")].split("، ")) == {till_1.device_code, till_2.device_code}

    # a unit given back (reversed) frees the stock: nothing beyond it any more
    manager = add_staff(club_db, "manager", BRANCH_1)
    accepted(
        push(
            client,
            till_2,
            [
                till_2.entry(
                    m,
                    EntryKind.REVERSAL,
                    0,
                    sale_amount=0,
                    reverses=last_2[0].id,
                    staff_id=manager,
                    reason="gave it back",
                )
            ],
        )
    )
    assert report(club_db)["beyond_stock"].rows == []


# ---- who may read it, paging and progress -----------------------------------------------------------------


def test_who_may_read_the_fraud_signals(client, club_db):
    assert catalogue.by_code("fraud") is fraud.REPORTS[0] and fraud.REPORTS[0].slow
    auditor = Actor("u-a", "audit", "auditor")
    assert set(report(club_db, actor=auditor)) >= {"staff", "terminals", "beyond_stock"}
    with pytest.raises(ApiError) as refused:
        report(club_db, actor=Actor("u-m", "mkt", "marketing"))
    assert refused.value.status == 403
    thr = Actor("u-b", "thr", "branch-manager", branch_ids=frozenset({BRANCH_1}))
    report(club_db, actor=thr, branch="THR")
    for branch in (None, "ISF"):  # the whole club, or another branch
        with pytest.raises(ApiError):
            report(club_db, actor=thr, branch=branch)
    with club_db.read() as conn:
        audited = conn.execute(
            select(AUDIT.c.action, AUDIT.c.target).where(AUDIT.c.action == "report.fraud")
        ).all()
    assert [tuple(r) for r in audited] == [("report.fraud", None), ("report.fraud", "THR")]


def test_paging_and_progress(client, club_db, monkeypatch):
    till = enroll(club_db)
    a = add_staff(club_db, "cashier", BRANCH_1)
    m = pushed_member(client, till)
    accepted(push(client, till, [till.entry(m, points=500, created_at_us=T0 - DAY)]))
    written = []
    for i in range(6):
        written += till.sale(
            m, 1_000_000, redeem=5 if i % 2 else 0, staff_id=a, created_at_us=T0 + i * MINUTE
        )
    accepted(push(client, till, written))
    whole = report(club_db)
    monkeypatch.setattr(fraud, "PAGE", 2)
    seen: list[int] = []
    paged = report(club_db, progress=seen.append)
    assert paged == whole
    assert seen == sorted(seen) and seen[-1] == 100 and len(seen) > 3
    row = row_of(paged["soon_after"], redemptions=a)
    assert value(row[column(paged["soon_after"], "soon")]) == 3


def test_an_unknown_branch_is_refused(club_db):
    from app.domain.errors import ClubError

    with pytest.raises(ClubError):
        report(club_db, branch="NOPE")
