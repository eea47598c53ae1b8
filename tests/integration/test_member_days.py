# SPDX-License-Identifier: GPL-3.0-or-later
"""The day buckets a sale reads (app.domain.member_days, app.store.ledger) through the real SQLite store.

The reference is the fold a sale made before them (app.services.checkout.standing_by_entries: the member's
entries of the window read and folded): for any sequence of entries (sales, returns, wallet spends,
expiry, tier changes, bonuses, paid memberships), arriving in any order and batching from this terminal
and another device, some set aside by the server and accepted again, and at any moment, the standing a
sale prices with from the buckets equals it whole; the buckets equal a fold of the ledger and a rebuild;
and sales priced either way write the same entries, byte for byte.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.domain import member_days
from app.domain.errors import ClubError
from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, LedgerEntry, seal_all
from app.domain.programme import CashbackRule, Qualification
from app.services import checkout
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.ledger_check import rebuild_projections, verify_ledger
from app.services.returns import ReturnRequest, return_sale
from app.services.terminal import open_terminal
from app.store import club, ledger, members, sync_state
from app.store.club import Device
from app.store.database import driver
from tests.support.club import BRANCH_1, DEVICE_1, make_club
from tests.support.programme import THURSDAY_NOON_US, MovableClock, club_rules, publish

DEVICE_2 = "00000000-0000-7000-8000-0000000000d2"
PHONES = ("09351230001", "09351230002")
HOUR_US = 3_600_000_000
KINDS = (
    EntryKind.EARN,
    EntryKind.EARN,
    EntryKind.EARN,
    EntryKind.CASHBACK_CREDIT,
    EntryKind.CASHBACK_CREDIT,
    EntryKind.REVERSAL,
    EntryKind.REVERSAL,
    EntryKind.CASHBACK_SPEND,
    EntryKind.REDEEM,
    EntryKind.EXPIRE,
    EntryKind.TIER_CHANGE,
    EntryKind.BONUS,
    EntryKind.MEMBERSHIP_PURCHASE,
)


def _id(n: int) -> str:
    return f"01900000-0000-7000-8000-{n:012x}"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The test club under its rule set, two members and a second device, made once and copied."""
    data_dir = tmp_path_factory.mktemp("template") / "data"
    terminal = make_club(data_dir)
    terminal = open_terminal(data_dir, clock=MovableClock(), db=terminal.db)
    publish(terminal, club_rules())
    for n, phone in enumerate(PHONES):
        enroll_member(terminal, EnrollRequest(name=f"Member {n}", phone=phone))
    with terminal.db.write() as conn:
        club.put_device(conn, Device(DEVICE_2, "T2", BRANCH_1, is_self=False))
    terminal.db.close()
    return data_dir


def _open(tmp_path_factory, template: Path, clock: MovableClock | None = None, entropy=None):
    data_dir = tmp_path_factory.mktemp("days") / "data"
    shutil.copytree(template, data_dir)
    terminal = open_terminal(data_dir, clock=clock or MovableClock(), entropy=entropy)
    with terminal.db.read() as conn:
        found = [members.by_phone(conn, "+98" + p[1:]) for p in PHONES]
    return terminal, [m.id for m in found]


# ---- any entries, in any order, at any moment ---------------------------------------------------------

_entry = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, 1),  # the member
    st.integers(-3 * 24, 24),  # hours from the base moment: some ahead of the moments asked
    st.integers(0, HOUR_US - 1),
    st.integers(-50, 400),  # points (or rials / 1,000)
    st.integers(0, 40),  # what a reversal undoes (_drafts)
    st.booleans(),  # from the other device
)
_arrival = st.tuples(st.permutations(range(12)), st.lists(st.booleans(), min_size=12, max_size=12))


def _drafts(specs: list[tuple]) -> list[tuple[bool, EntryDraft]]:
    """Entries as specified: member "0" or "1" (the caller names them); a reversal most often undoes an
    earlier sale of the same member (which may still arrive after it), else any earlier entry."""
    out: list[tuple[bool, EntryDraft]] = []
    for n, (kind, who, hours, us, amount, target, other) in enumerate(specs):
        at = THURSDAY_NOON_US + hours * HOUR_US + us
        fields: dict[str, object] = {}
        member = str(who)
        if kind is EntryKind.EARN:
            fields = {"points_delta": amount, "sale_amount": amount * 1_000}
        elif kind is EntryKind.CASHBACK_CREDIT:
            fields = {"cash_delta": amount * 100}
        elif kind is EntryKind.CASHBACK_SPEND:
            fields = {"cash_delta": -abs(amount) * 10, "discount_rials": abs(amount) * 10}
        elif kind in (EntryKind.REDEEM, EntryKind.EXPIRE):
            fields = {"points_delta": -abs(amount)}
        elif kind is EntryKind.REVERSAL:
            sales = [i for i, (_o, d) in enumerate(out) if d.kind is EntryKind.EARN]
            if sales and target % 4:
                undone = out[sales[target % len(sales)]][1]
                member = undone.member_id if target % 7 else member
            else:  # anything earlier, or (the first entry) nothing this terminal will ever hold
                undone = out[target % n][1] if n else replace(out[0][1], id=_id(4_095)) if out else None
            fields = {"points_delta": -abs(amount) // 2, "sale_amount": -abs(amount) * 500}
            fields["reverses"] = undone.id if undone is not None else _id(4_095)
        elif kind is EntryKind.TIER_CHANGE:
            fields = {"invoice_ref": ("silver", "gold", "bronze")[amount % 3]}
        elif kind is EntryKind.BONUS:
            fields = {"points_delta": abs(amount), "invoice_ref": f"survey:{amount % 4}"}
        elif kind is EntryKind.MEMBERSHIP_PURCHASE:
            fields = {"invoice_ref": "silver_card", "sale_amount": 100_000_000, "rules_version": 1}
        out.append((other, EntryDraft(_id(n), at, BRANCH_1, member, kind, **fields)))  # type: ignore[arg-type]
    return out


def _write(terminal, member_ids: list[str], drafts, order: list[int], cuts: list[bool]) -> list[str]:
    """Write the drafts in arrival `order` (those beyond it last), batched where `cuts` say: this
    terminal's appended to its chain, the other device's inserted as pulled. The own ids written."""
    arrival = [i for i in order if i < len(drafts)] + list(range(len(order), len(drafts)))
    own_ids: list[str] = []
    other_head = (0, GENESIS_HASH)
    batch: list[tuple[bool, EntryDraft]] = []

    def flush() -> None:
        nonlocal other_head
        with terminal.db.write() as conn:
            own = [d for other, d in batch if not other]
            theirs = [d for other, d in batch if other]
            if own:
                own_ids.extend(e.id for e in ledger.append(conn, terminal.device_id, own))
            if theirs:
                sealed = seal_all(theirs, DEVICE_2, *other_head)
                ledger.insert_sealed(conn, sealed)
                other_head = (sealed[-1].device_seq, sealed[-1].hash)
                driver(conn).execute(
                    "UPDATE device SET last_seq = ?, head_hash = ? WHERE id = ?", (*other_head, DEVICE_2)
                )
        batch.clear()

    for position, i in enumerate(arrival):
        other, draft = drafts[i]
        batch.append((other, replace(draft, member_id=member_ids[int(draft.member_id)])))
        if position >= len(cuts) or cuts[position]:
            flush()
    if batch:
        flush()
    return own_ids


def _set_aside(terminal, own_ids: list[str], picks: list[int]) -> None:
    """The server sets some own entries aside (counted nowhere) and its review accepts a few back."""
    with terminal.db.write() as conn:
        for n, pick in enumerate(picks):
            if not own_ids:
                return
            entry_id = own_ids[pick % len(own_ids)]
            if sync_state.acknowledge_entry(conn, entry_id, "rejected", at_us=1, reason="test") and n % 2:
                sync_state.accept_after_review(conn, entry_id, at_us=2, server_seq=100 + n)


def _all_entries(conn) -> list[LedgerEntry]:
    return [e for d in (DEVICE_1, DEVICE_2) for e in ledger.iter_device(conn, d)]


_case = st.fixed_dictionaries({
    "specs": st.lists(_entry, max_size=16),
    "arrival": _arrival,
    "set_aside": st.lists(st.integers(0, 100), max_size=3),
    "moments": st.lists(st.integers(-2 * 24 * 60, 5 * 24 * 60), min_size=1, max_size=4),  # minutes
    "window_days": st.integers(1, 4),
    "from_next_day": st.booleans(),
    "offset": st.sampled_from((210, 0, -300, 345)),
})  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_case)
def test_a_sales_standing_from_the_buckets_is_the_fold_of_its_entries(tmp_path_factory, template, case):
    specs, arrival, set_aside, moments = case["specs"], case["arrival"], case["set_aside"], case["moments"]
    window_days, from_next_day, offset = case["window_days"], case["from_next_day"], case["offset"]
    terminal, member_ids = _open(tmp_path_factory, template)
    own_ids = _write(terminal, member_ids, _drafts(specs), *arrival)
    _set_aside(terminal, own_ids, set_aside)
    rules = club_rules(
        qualification=Qualification(window_days=window_days, grace_days=30),
        cashback=CashbackRule(percent_bp=500, from_next_day=from_next_day),
        utc_offset_minutes=offset,
    )
    with terminal.db.read() as conn:
        entries = _all_entries(conn)
        assert ledger.all_member_days(conn) == member_days.fold_days(entries)
        for member_id in member_ids:
            member = members.get(conn, member_id)
            before = ledger.balance(conn, member_id)
            for minutes in moments:
                now = THURSDAY_NOON_US + minutes * 60_000_000
                kept = checkout._standing(conn, rules, member, before, branch_code="B1", now=now)
                folded = checkout.standing_by_entries(conn, rules, member, before, branch_code="B1", now=now)
                assert kept == folded
                # the buckets answer by themselves unless a part lies ahead of now
                moment = member_days.Moment.at(rules, now)
                days = ledger.member_days_at(conn, member_id, moment)
                ahead = any(
                    e.created_at_us > now
                    for e in entries
                    if e.member_id == member_id and e.kind in (EntryKind.EARN, EntryKind.REVERSAL)
                )
                if not ahead:
                    assert member_days.qualifying(moment, days.inside, days.edge, days.edge_parts) is not None
    stored = _stored_days(terminal)
    assert rebuild_projections(terminal.db).chain_break is None
    assert _stored_days(terminal) == stored
    terminal.db.close()


def _stored_days(terminal):
    with terminal.db.read() as conn:
        return ledger.all_member_days(conn)


def test_a_return_that_arrives_before_its_sale_counts_once_the_sale_arrives(tmp_path_factory, template):
    """Another device's return, pulled before the sale it undoes: no part until the sale is here."""
    terminal, (member_id, _) = _open(tmp_path_factory, template)
    sale = EntryDraft(_id(1), THURSDAY_NOON_US, BRANCH_1, member_id, EntryKind.EARN, points_delta=100,
                      sale_amount=100_000)  # fmt: skip
    back = EntryDraft(_id(2), THURSDAY_NOON_US + HOUR_US, BRANCH_1, member_id, EntryKind.REVERSAL,
                      points_delta=-40, sale_amount=-40_000, reverses=_id(1))  # fmt: skip
    theirs = seal_all([back], DEVICE_2, 0, GENESIS_HASH)
    day = member_days.day_of(THURSDAY_NOON_US)
    with terminal.db.write() as conn:
        ledger.insert_sealed(conn, theirs)
        assert ledger.all_member_days(conn) == {}
        ledger.append(conn, terminal.device_id, [sale])
        (totals,) = ledger.all_member_days(conn).values()
    # one part, in the sale's day: from the sale to the return
    assert (totals.points, totals.spend_rials) == (60, 60_000)
    assert (totals.low_us, totals.high_us) == (THURSDAY_NOON_US, THURSDAY_NOON_US + HOUR_US)
    with terminal.db.read() as conn:
        assert set(ledger.all_member_days(conn)) == {(member_id, day)}
    terminal.db.close()


# ---- the sale itself -----------------------------------------------------------------------------------


class CountingEntropy:
    """The same "random" bytes in the same order on two terminals: the same ids, the same entries."""

    def __init__(self) -> None:
        self.n = 0

    def random_bytes(self, n: int) -> bytes:
        self.n += 1
        return self.n.to_bytes(n, "big")


_steps = st.lists(
    st.one_of(
        # 10 to 40 points a sale against thresholds of 50 and 250 (below): the window decides upgrades
        st.tuples(st.just("sale"), st.integers(0, 1), st.integers(1_000_000, 4_000_000), st.integers(0, 100)),
        st.tuples(st.just("return"), st.integers(0, 20), st.integers(1, 100), st.just(0)),
        st.tuples(st.just("hours"), st.sampled_from((1, 5, 11, 20, 23, 25, 47, 49)), st.just(0), st.just(0)),
    ),
    max_size=12,
)


def _run(terminal, member_ids: list[str], steps) -> list[object]:
    answers: list[object] = []
    invoices: list[str] = []
    for n, (kind, a, b, c) in enumerate(steps):
        if kind == "hours":
            terminal.clock.advance(us=a * HOUR_US)
            continue
        try:
            if kind == "sale":
                member_id = member_ids[a]
                standing = checkout_wallet(terminal, member_id)
                result = record_sale(
                    terminal,
                    SaleRequest(member_id, b, wallet_rials=standing * c // 100, entry_id=_id(1_000 + n)),
                )
                invoices.append(result.invoice_ref)
                answers.append(result)
            elif invoices:
                back = ReturnRequest(invoices[a % len(invoices)], b * 10_000, entry_id=_id(2_000 + n))
                answers.append(return_sale(terminal, back))
        except ClubError as error:
            answers.append(error.code)
    return answers


def checkout_wallet(terminal, member_id: str) -> int:
    """What the wallet may pay now, as the counter is told (the fold: the display's own path)."""
    from app.services import programme

    return programme.standing(terminal, member_id).wallet_available_rials


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps, window_days=st.sampled_from((1, 2, 365)), offset=st.sampled_from((210, 0, -300)))
# a sale whose day the window's start cuts: it no longer counts towards the next one's upgrade
@example(steps=[("sale", 0, 3_000_000, 0), ("hours", 25, 0, 0), ("sale", 0, 3_000_000, 0)], window_days=1,
         offset=210)  # fmt: skip
def test_a_sale_priced_from_the_buckets_writes_what_the_fold_wrote(
    tmp_path_factory, template, steps, window_days, offset
):
    """Sales (some spending the wallet, some lifting the tier), returns and the hours between them, under
    a rule set whose tier window may be a day or two: the same answers and entries, byte for byte."""
    kept, kept_members = _open(tmp_path_factory, template, MovableClock(), CountingEntropy())
    folded, folded_members = _open(tmp_path_factory, template, MovableClock(), CountingEntropy())
    rules = club_rules(version=2, utc_offset_minutes=offset)
    rules = replace(
        rules,
        # low thresholds: whether a sale lifts the tier turns on which sales the window still holds
        tiers=tuple(replace(t, threshold=t.threshold // 20) for t in rules.tiers),
        qualification=Qualification(window_days=window_days, grace_days=30),
    )
    publish(kept, rules)
    publish(folded, rules)
    answers = _run(kept, kept_members, steps)
    with mock.patch.object(checkout, "_standing", checkout.standing_by_entries):
        assert _run(folded, folded_members, steps) == answers
    with kept.db.read() as a, folded.db.read() as b:
        assert list(ledger.iter_device(a, DEVICE_1)) == list(ledger.iter_device(b, DEVICE_1))
    assert verify_ledger(kept.db).ok
    kept.db.close()
    folded.db.close()


def test_the_bench_member_reads_a_few_rows(tmp_path_factory, template):
    """A member with many sales today: the sale's standing reads their bucket, not their entries."""
    terminal, (member_id, _) = _open(tmp_path_factory, template)
    for _n in range(30):
        record_sale(terminal, SaleRequest(member_id, 1_000_000))
    statements: list[str] = []
    with terminal.db.write_driver() as conn:
        conn.set_trace_callback(statements.append)
        try:
            record_sale_rows = checkout._standing(
                conn, club_rules(), members.get(conn, member_id), ledger.balance(conn, member_id),
                branch_code="B1", now=terminal.clock.now_us(),
            )  # fmt: skip
        finally:
            conn.set_trace_callback(None)
    assert record_sale_rows.qualifying.points > 0
    assert not any("created_at_us >" in s for s in statements)  # no read of the window's entries


# ---- the migration that made the buckets fills them from the ledger already held ---------------------


def test_the_migration_fills_the_buckets_from_the_ledger_a_terminal_holds(tmp_path):
    import json

    from alembic import command
    from sqlalchemy import text

    from app.services.setup import install_club
    from app.store.database import DB_FILENAME, Database, make_engine
    from app.store.migrate import alembic_config, current_revisions, head_revision
    from sync.rules import to_body
    from tests.support.club import TEST_CLUB

    engine = make_engine(tmp_path / DB_FILENAME)
    command.upgrade(alembic_config(engine), "0011")  # as shipped before the buckets
    engine.dispose()
    db = Database(tmp_path / DB_FILENAME)
    install_club(db, TEST_CLUB, Device(DEVICE_1, "T1", BRANCH_1, is_self=True))
    member_ids = [_id(0xB00 + n) for n in range(2)]
    specs = [
        # kind, member, hours, µs, amount, target, other device
        (EntryKind.EARN, 0, -50, 1, 120, 0, False),
        (EntryKind.CASHBACK_CREDIT, 0, -50, 2, 30, 0, False),
        (EntryKind.EARN, 1, -2, 3, 80, 0, True),
        (EntryKind.REVERSAL, 0, -1, 4, 40, 1, True),  # undoes the first sale, two days on
        (EntryKind.REVERSAL, 1, -1, 5, 20, 2, False),  # undoes the other member's sale: the second member's
        (EntryKind.EARN, 1, 3, 6, 70, 0, False),
        (EntryKind.REVERSAL, 1, 2, 7, 10, 1, True),  # dated before the sale it undoes (another clock)
        (EntryKind.EXPIRE, 0, 0, 8, 5, 0, False),
        (EntryKind.CASHBACK_CREDIT, 1, 4, 9, 25, 0, True),
        (EntryKind.BONUS, 0, 0, 10, 50, 0, False),
    ]
    drafts = [(o, replace(d, member_id=member_ids[int(d.member_id)])) for o, d in _drafts(specs)]
    sealed = seal_all([d for o, d in drafts if not o], DEVICE_1, 0, GENESIS_HASH)
    sealed += seal_all([d for o, d in drafts if o], DEVICE_2, 0, GENESIS_HASH)
    fields = list(LedgerEntry.__dataclass_fields__)
    with db.write() as conn:
        club.put_device(conn, Device(DEVICE_2, "T2", BRANCH_1, is_self=False))
        # a rule set held (the buckets are kept from the first on), as revision 0011 kept it
        conn.execute(
            text("INSERT INTO rule_set (version, body, received_at_us) VALUES (1, :body, 1)"),
            {"body": json.dumps(to_body(club_rules()), ensure_ascii=False)},
        )
        for n, member_id in enumerate(member_ids):
            conn.execute(
                text(
                    "INSERT INTO member (id, name, phone, tier_code, branch_id, joined_at_us, "
                    "consent_marketing) VALUES (:id, :name, :phone, 'bronze', :branch, 1, 0)"
                ),
                {"id": member_id, "name": f"M{n}", "phone": f"+98912111000{n}", "branch": BRANCH_1},
            )
        for entry in sealed:  # the ledger as the code of revision 0011 wrote it
            values = {f: getattr(entry, f) for f in fields} | {"kind": entry.kind.value}
            conn.execute(
                text(f"INSERT INTO ledger_entry ({', '.join(fields)}) VALUES (:{', :'.join(fields)})"), values
            )
            conn.execute(
                text("UPDATE device SET last_seq = :seq, head_hash = :hash WHERE id = :device"),
                {"seq": entry.device_seq, "hash": entry.hash, "device": entry.device_id},
            )
    db.close()

    upgraded = Database.open(tmp_path)
    assert current_revisions(upgraded) == (head_revision(),)
    with upgraded.read() as conn:
        backfilled = ledger.all_member_days(conn)
    expected = member_days.fold_days(sealed)
    assert backfilled == expected
    assert {m for m, _day in backfilled} == set(member_ids)
    # the buckets kept from here on start from the filled ones
    with upgraded.write() as conn:
        late = EntryDraft(_id(0xE00), THURSDAY_NOON_US, BRANCH_1, member_ids[0], EntryKind.REVERSAL,
                          points_delta=-10, sale_amount=-10_000, reverses=sealed[0].id)  # fmt: skip
        sealed += ledger.append(conn, DEVICE_1, [late])
        assert ledger.all_member_days(conn) == member_days.fold_days(sealed)
    upgraded.close()


def test_a_club_without_a_rule_set_keeps_no_buckets_until_the_first_arrives(tmp_path):
    """A club that never published a rule set prices by its tables: its sales write no bucket. The first
    rule set fills them from the ledger, and a sale's standing from them is the fold's at once."""
    terminal = make_club(tmp_path / "data")
    terminal = open_terminal(tmp_path / "data", clock=MovableClock(), db=terminal.db)
    member = enroll_member(terminal, EnrollRequest(name="Sara", phone=PHONES[0])).member
    for hours in (0, 20, 30):
        terminal.clock.advance(us=hours * HOUR_US)
        record_sale(terminal, SaleRequest(member.id, 2_000_000))
    with terminal.db.read() as conn:
        assert ledger.all_member_days(conn) == {}
    rules = publish(terminal, club_rules(qualification=Qualification(window_days=1, grace_days=30)))
    with terminal.db.read() as conn:
        assert ledger.all_member_days(conn) == member_days.fold_days(_all_entries(conn))
        now = terminal.clock.now_us()
        before = ledger.balance(conn, member.id)
        kept = checkout._standing(conn, rules, member, before, branch_code="B1", now=now)
        assert kept == checkout.standing_by_entries(conn, rules, member, before, branch_code="B1", now=now)
        assert kept.qualifying.points > 0
    assert verify_ledger(terminal.db).ok
    terminal.db.close()
