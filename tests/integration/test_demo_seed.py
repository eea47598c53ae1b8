# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo club: seeded through the real use cases, varied, verifiable and reproducible."""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.domain.phone import normalize_phone
from app.services.demo import HISTORY_DAYS, DemoSummary, seed_demo
from app.services.identify import find_member
from app.services.ledger_check import verify_ledger
from app.services.photos import demo_photo
from app.services.returns import RETURN_REASON
from app.services.staff_auth import authenticate
from app.services.terminal import open_terminal
from app.store import club, ledger
from app.store import members as member_store
from app.store.database import Database

# Two days after Nowruz 1404, noon in Tehran: a fixed "now" makes the whole club reproducible
NOW = datetime(2025, 3, 23, 12, 0, tzinfo=UTC) - timedelta(hours=3, minutes=30)
NOW_US = int(NOW.timestamp()) * 1_000_000
DAY_US = 24 * 3600 * 1_000_000
SMALL = 40
PERSIAN_LETTERS = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    return data_dir, seed_demo(data_dir, members=SMALL, now_us=NOW_US)


@pytest.fixture(scope="module")
def db(seeded: tuple[Path, DemoSummary]) -> Database:
    return Database.open(seeded[0])


def all_members(db: Database) -> list:
    with db.read() as conn:
        rows = conn.execute(select(member_store.MEMBER).order_by(member_store.MEMBER.c.joined_at_us))
        return [member_store.get(conn, r.id) for r in rows]


def all_entries(db: Database) -> list:
    with db.read() as conn:
        return [e for d in ledger.devices_with_entries(conn) for e in ledger.iter_device(conn, d)]


def test_the_summary_counts_what_was_written(seeded, db):
    data_dir, summary = seeded
    entries = all_entries(db)
    kinds = Counter(e.kind for e in entries)
    assert summary.data_dir == str(data_dir)
    assert summary.members == SMALL
    assert summary.cards == SMALL
    assert summary.sales == kinds[EntryKind.EARN] >= 2 * SMALL
    assert summary.returns == sum(1 for e in entries if e.reason == RETURN_REASON and e.reverses)
    assert summary.returns > 0
    assert summary.reversals == 2
    assert summary.entries == len(entries)
    assert kinds[EntryKind.REDEEM] > 0


def test_three_tiers_and_members_in_each(db):
    with db.read() as conn:
        tiers = club.tiers(conn)
    assert [(t.code, t.multiplier_percent) for t in tiers] == [
        ("bronze", 100),
        ("silver", 125),
        ("gold", 150),
    ]
    assert all(t.name_fa and t.name_en for t in tiers)
    assert [t.threshold_points for t in tiers] == sorted({t.threshold_points for t in tiers})
    assert {m.tier_code for m in all_members(db)} == {"bronze", "silver", "gold"}


def test_two_branches_earn_and_redeem_differently(seeded, db):
    with db.read() as conn:
        branches = club.branches(conn)
    assert len(branches) == 2 == len(seeded[1].branches)
    first, second = branches
    assert first.earning != second.earning
    assert first.redemption.max_share_percent != second.redemption.max_share_percent
    isfahan = next(b for b in branches if b.earning.max_points_per_sale is not None)
    assert isfahan.earning.min_sale_rials > 0


def test_two_device_chains_verify(seeded, db):
    report = verify_ledger(db)
    assert report.ok, report
    assert report.devices == 2
    assert report.entries == seeded[1].entries
    with db.read() as conn:
        heads = ledger.device_heads(conn)
        own = club.self_device(conn)
        branch_of_sale = {e.device_id: e.branch_id for e in all_entries(db) if e.kind is EntryKind.EARN}
    assert len(heads) == 2 and all(seq > 0 for seq, _ in heads.values())
    assert own is not None and branch_of_sale[own.id] == own.branch_id
    assert len(set(branch_of_sale.values())) == 2  # each branch's sales went through its own till


def test_every_member_has_a_photo_and_a_card(db):
    with db.read() as conn:
        for member in all_members(db):
            jpeg = member_store.photo(conn, member.id)
            assert jpeg is not None and jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) < 8 * 1024
            cards = member_store.cards_of(conn, member.id)
            assert len(cards) == 1 and cards[0].status.value == "active"


def test_members_are_varied_like_a_real_club(db):
    people = all_members(db)
    names = [m.name for m in people]
    phones = [m.phone for m in people]
    assert any(PERSIAN_LETTERS.search(n) for n in names)
    assert any(not PERSIAN_LETTERS.search(n) for n in names)
    assert len(set(phones)) == len(phones)
    assert all(normalize_phone(p) == p for p in phones)
    assert sum(p.startswith("+989") for p in phones) > len(phones) * 0.9
    assert any(not p.startswith("+98") for p in phones)
    last4 = [m.national_id_last4 for m in people if m.national_id_last4]
    assert 0 < len(last4) < len(people) and all(len(x) == 4 and x.isdigit() for x in last4)
    ids = {m.id for m in people}
    referred = [m for m in people if m.referrer_id]
    assert referred and all(m.referrer_id in ids for m in referred)
    assert len({m.branch_id for m in people}) == 2


def test_some_birthdays_fall_this_week(db):
    today = (NOW + timedelta(hours=3, minutes=30)).date()
    birthdays = [m.birth_date for m in all_members(db) if m.birth_date]
    assert len(birthdays) == SMALL
    # 29 February has no birthday this year; none of the "this week" ones fall on it
    this_year = [b.replace(year=today.year) for b in birthdays if (b.month, b.day) != (2, 29)]
    assert any(abs((b - today).days) <= 4 for b in this_year)


def test_history_covers_ninety_days_before_now(db):
    entries = all_entries(db)
    times = [e.created_at_us for e in entries]
    assert min(times) > NOW_US - (HISTORY_DAYS + 1) * DAY_US
    assert max(times) < NOW_US
    assert max(times) - min(times) > (HISTORY_DAYS - 10) * DAY_US
    with db.read() as conn:
        managers = {s.id for s in club.all_staff(conn) if s.role.value == "manager"}
    reversals = [e for e in entries if e.kind is EntryKind.REVERSAL and e.reason != RETURN_REASON]
    assert len(reversals) == 2
    assert all(e.reason and e.staff_id in managers for e in reversals)
    assert all(b.points >= 0 and b.spend_rials >= 0 for b in _balances(db).values())


def _balances(db: Database) -> dict:
    with db.read() as conn:
        return ledger.all_balances(conn)


def test_staff_have_every_role_and_their_pins_work(seeded, db):
    staff = seeded[1].staff
    roles = Counter(s["role"] for s in staff)
    assert roles["cashier"] >= 2 and roles["host"] >= 1
    assert roles["manager"] >= 1 and roles["admin"] >= 1
    terminal = open_terminal(seeded[0], db=db)
    for person in staff:
        assert authenticate(terminal, person["name"], person["pin"]).name == person["name"]


def test_sample_members_can_be_found_at_the_counter(seeded, db):
    data_dir, summary = seeded
    terminal = open_terminal(data_dir, db=db)
    assert 3 <= len(summary.sample_members) <= 6
    for sample in summary.sample_members:
        assert find_member(terminal, sample["card"]).member.name == sample["name"]
        assert find_member(terminal, sample["phone"]).member.name == sample["name"]


def test_a_second_seed_into_the_same_dir_is_refused(seeded, db):
    before = _heads(db)
    with pytest.raises(ClubError) as refused:
        seed_demo(seeded[0], members=5, now_us=NOW_US)
    assert refused.value.code == "club_already_set_up"
    assert _heads(db) == before


def _heads(db: Database) -> dict:
    with db.read() as conn:
        return ledger.device_heads(conn)


def test_the_same_seed_makes_the_same_club(seeded, db, tmp_path):
    again = Database.open(tmp_path / "again")
    seed_demo(tmp_path / "again", members=SMALL, now_us=NOW_US)
    people = [(m.name, m.phone, m.birth_date) for m in all_members(db)]
    assert [(m.name, m.phone, m.birth_date) for m in all_members(again)] == people
    amounts = [(e.kind, e.sale_amount, e.points_delta) for e in all_entries(db)]
    assert [(e.kind, e.sale_amount, e.points_delta) for e in all_entries(again)] == amounts
    assert _heads(again) == _heads(db)  # ids, times and hashes too: the chains are identical

    other = seed_demo(tmp_path / "other", members=SMALL, seed=7, now_us=NOW_US)
    assert other.sample_members != seeded[1].sample_members


def test_the_default_demo_is_quick(tmp_path):
    started = time.perf_counter()
    summary = seed_demo(tmp_path / "data")
    elapsed = time.perf_counter() - started
    assert summary.members == summary.cards == 200
    assert summary.sales >= 400
    assert verify_ledger(Database.open(tmp_path / "data")).ok
    assert elapsed < 15, f"seeding 200 members took {elapsed:.1f} s"


def test_demo_photos_are_small_jpegs_the_same_for_a_seed():
    photo = demo_photo(42)
    assert photo == demo_photo(42)
    assert photo != demo_photo(43)
    assert len({demo_photo(s) for s in range(20)}) == 20
    with Image.open(io.BytesIO(photo)) as image:
        assert image.format == "JPEG" and image.size == (160, 160)
    assert max(len(demo_photo(s)) for s in range(50)) < 8 * 1024
    assert demo_photo(42, feminine=True) != demo_photo(42, feminine=False)
    with Image.open(io.BytesIO(demo_photo(1, size=96))) as small:
        assert small.size == (96, 96)


def test_demo_cards_tap_with_genuinely_signed_payloads(tmp_path):
    from app.services.cards import identify_card
    from app.services.demo_cards import demo_tap
    from app.services.terminal import open_terminal

    summary = seed_demo(tmp_path / "cards", members=5, seed=3)
    terminal = open_terminal(tmp_path / "cards")
    for sample in summary.sample_members:
        uid, ndef = demo_tap(terminal, sample["card"])
        result = identify_card(terminal, ndef, uid)
        assert result.verdict.valid, result.verdict
        assert result.member.name == sample["name"]
