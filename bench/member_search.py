# SPDX-License-Identifier: GPL-3.0-or-later
"""Back-office member search among 1,000,000 members (sync.server.club.members.search), on PostgreSQL.

The club: a fresh database of the machine's PostgreSQL (bench.sync_club.ServerLab: `bashgah-server db
upgrade`, the bench tier and branch), then a million members loaded with COPY, with the search keys
`members.put_member` makes (app.domain.search_text). Their names are drawn the way Iranian names fall: a
few first names very common (محمد, علی, فاطمه, زهرا), compound ones written apart, joined or with a ZWNJ,
some four thousand surnames (a few very common), and one in ten stored with Arabic letters (ي, ك) as an
Arabic keyboard types them. Each member has a unique mobile, a balance and one card from one of twenty
terminals' series. The table's plain indexes are dropped for the load and built after, then ANALYZE.

Then each kind of query a back office sends, each time for another member (`KINDS`): a fragment of a
surname, a full name typed with Arabic letters, the first two letters of a name, a phone typed in Persian
digits, a phone's last four digits, a card number, a card's first 12 digits, nothing (the newest), a word
no member has, the next page of a common name and its 20th page. The figures: p50 and p99 of the use
case (permission check, a snapshot transaction, the SQL, rows to dataclasses), and the same statement run
bare through psycopg (the raw cost of the same work; the ratio is bare / use case). And, a few times each,
the search it replaced (`lower(name) LIKE '%…%'` with OFFSET) on the same club, for comparison.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import event

from app.domain.card import card_number
from app.domain.search_text import reversed_digits, search_key
from bench.stats import percentile
from bench.sync_club import BRANCH_ID, EPOCH_US, TIER_CODE, ServerLab, copy_rows, member_id, plain_indexes
from sync.server.club.access import Actor
from sync.server.club.act import Call
from sync.server.club.members import MemberPage, search
from sync.server.db import Database

AIM_P99_MS = 100.0
CHUNK = 20_000
DEVICES = 20
ZWNJ = "\u200c"
_ARABIC = str.maketrans({"ی": "ي", "ک": "ك"})
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# (name, weight): the first few carry most of the club, as in Iran
FIRST_NAMES = [
    ("محمد", 60), ("علی", 40), ("فاطمه", 35), ("زهرا", 30), ("حسین", 25), ("مریم", 22), ("رضا", 20),
    ("مهدی", 18), ("معصومه", 12), ("امیر", 12), ("زینب", 11), ("حسن", 10), ("سارا", 9), ("احمد", 9),
    ("مصطفی", 8), ("نرگس", 7), ("سعید", 7), ("الهام", 6), ("حمید", 6), ("لیلا", 6), ("مجید", 5),
    ("مهسا", 5), ("جواد", 5), ("نازنین", 5), ("ابوالفضل", 5), ("سمیرا", 4), ("سجاد", 4), ("فرزانه", 4),
    ("عباس", 4), ("شیما", 3), ("یاسر", 3), ("آزاده", 3), ("میلاد", 3), ("پریسا", 3), ("فرهاد", 3),
    ("نگار", 3), ("بهرام", 2), ("ریحانه", 2), ("کاوه", 2), ("یگانه", 2), ("آرش", 2), ("هانیه", 2),
    ("پویا", 2), ("کوثر", 2), ("سینا", 2), ("ستاره", 2), ("نیما", 2), ("مینا", 2), ("کیان", 1),
    ("شیرین", 1), ("داریوش", 1), ("رقیه", 1), ("کامران", 1), ("طاهره", 1), ("پیمان", 1), ("سکینه", 1),
    ("بابک", 1), ("اکرم", 1), ("منیژه", 1), ("گلنار", 1), ("ژاله", 1), ("آیدا", 1), ("کیومرث", 1),
]  # fmt: skip
SECOND_NAMES = ["رضا", "علی", "حسین", "مهدی", "جواد", "امین", "صادق", "اکبر"]  # محمدرضا, علی‌اکبر…
COMMON_SURNAMES = [
    ("احمدی", 30), ("محمدی", 28), ("حسینی", 25), ("رضایی", 20), ("موسوی", 15), ("کریمی", 12),
    ("جعفری", 10), ("صادقی", 10), ("رحیمی", 8), ("کاظمی", 8), ("قاسمی", 7), ("ابراهیمی", 7),
    ("حیدری", 6), ("هاشمی", 6), ("عباسی", 6), ("اکبری", 5), ("نوری", 5), ("طاهری", 4), ("یزدانی", 3),
]  # fmt: skip
SURNAME_PREFIXES = ["", "میر", "حاج", "شیخ", "آقا"]
SURNAME_ROOTS = [
    "کریم", "رحیم", "عباس", "جعفر", "صادق", "قاسم", "ابراهیم", "حیدر", "نور", "هاشم", "طاهر", "اکبر",
    "یزدان", "شریف", "نجف", "سلطان", "مراد", "فرهاد", "بهرام", "منصور", "نظر", "زارع", "عسگر", "یوسف",
    "امین", "باقر", "فتح", "خسرو", "ملک", "میرزا", "کاوه", "دانش", "فرزان", "مهر", "بهار", "شاد", "آزاد",
    "روشن", "نیک", "پاک", "راد", "جهان", "کیان", "ایران", "پارس", "سپهر", "آسمان", "دریا", "کوه", "باران",
    "برف", "آتش", "خورشید", "ماه", "ستاره", "گل", "لاله", "نرگس", "سرو", "چنار",
]  # fmt: skip
SURNAME_SUFFIXES = ["ی", "یان", "زاده", "پور", "نیا", "فر", "نژاد", "لو", "وند", "کیا", "دوست", "خواه", "منش"]
ABSENT = ["ثژغظ", "ضذطث", "ظغژپچ", "ئژژ"]  # letter runs no Persian name holds


@dataclass
class Club:
    """What the bench knows of the members it loaded, by serial."""

    names: list[str] = field(default_factory=list)
    surnames: list[str] = field(default_factory=list)
    firsts: list[str] = field(default_factory=list)
    phones: list[int] = field(default_factory=list)  # the 9 digits after +989

    def card(self, serial: int) -> str:
        return card_number(f"9826{serial % DEVICES:03d}", serial // DEVICES + 1)


@dataclass
class SearchFigures:
    members: int
    seed_s: float
    index_s: float
    samples_ms: dict[str, list[float]] = field(default_factory=dict)  # kind → the use case's times
    bare_ms: dict[str, list[float]] = field(default_factory=dict)  # kind → the same SQL through psycopg
    matched: dict[str, float] = field(default_factory=dict)  # kind → mean rows on the page
    before_ms: dict[str, list[float]] = field(default_factory=dict)  # the search this replaced
    page_ms: list[float] = field(default_factory=list)  # GET /admin/members?q=… as the page's htmx sends it


# ---- the club ----------------------------------------------------------------------------------------


def _surnames() -> tuple[list[str], list[int]]:
    common = [n for n, _ in COMMON_SURNAMES]
    made = {p + r + s for p in SURNAME_PREFIXES for r in SURNAME_ROOTS for s in SURNAME_SUFFIXES}
    names = common + sorted(made - set(common))
    # the common ones as listed; the rest a long tail of weight 1 over a few thousand
    weights = [w * 150 for _, w in COMMON_SURNAMES] + [1] * (len(names) - len(COMMON_SURNAMES))
    return names, weights


def _people(rng: random.Random, count: int) -> Club:
    club = Club()
    firsts = rng.choices([n for n, _ in FIRST_NAMES], [w for _, w in FIRST_NAMES], k=count)
    surname_pool, weights = _surnames()
    surnames = rng.choices(surname_pool, weights, k=count)
    for drawn, surname in zip(firsts, surnames, strict=True):
        first = drawn
        if drawn in ("محمد", "علی") and rng.random() < 0.3:  # محمدرضا, محمد رضا, محمد‌رضا
            first = drawn + rng.choice(["", " ", ZWNJ]) + rng.choice(SECOND_NAMES)
        name = f"{first} {surname}"
        if rng.random() < 0.1:  # typed on an Arabic keyboard
            name = name.translate(_ARABIC)
        club.names.append(name)
        club.firsts.append(first)
        club.surnames.append(surname)
    club.phones = rng.sample(range(10**9), count)
    return club


@cache
def _key(name: str) -> str:
    return search_key(name)


def _member_rows(club: Club, first: int, count: int, at_us: int) -> str:
    lines = []
    for serial in range(first, first + count):
        phone = f"+989{club.phones[serial]:09d}"
        joined = EPOCH_US + serial * 30_000_000
        lines.append(
            f"{member_id(serial)}\t{club.names[serial]}\t{phone}\t{TIER_CODE}\t{BRANCH_ID}\t{joined}\t\\N\t\\N"
            f"\t\\N\tf\t{at_us}\t{_key(club.names[serial])}\t{reversed_digits(phone)}\n"
        )
    return "".join(lines)


def _balance_rows(club: Club, first: int, count: int, at_us: int) -> str:
    del club
    return "".join(
        f"{member_id(s)}\t{s * 7 % 5000}\t{s * 13 % 100_000 * 1000}\t0\t0\t{at_us}\tf\t0\n"
        for s in range(first, first + count)
    )


def _card_rows(club: Club, first: int, count: int, at_us: int) -> str:
    rows = range(first, first + count)
    return "".join(f"{club.card(s)}\tcard\t\\N\t{member_id(s)}\t{at_us}\t\\N\t1\tactive\n" for s in rows)


_COPIES = [
    (
        "COPY member (id, name, phone, tier_code, branch_id, joined_at_us, birth_date, national_id_last4,"
        " referrer_id, consent_marketing, updated_at_us, name_key, phone_rev) FROM STDIN",
        _member_rows,
    ),
    (
        "COPY member_balance (member_id, points, wallet_rials, spend_rials, purchase_count, last_activity_us,"
        " restricted, lock_version) FROM STDIN",
        _balance_rows,
    ),
    (
        "COPY card (number, kind, uid, member_id, issued_at_us, expires_at_us, payload_version, status)"
        " FROM STDIN",
        _card_rows,
    ),
]


def seed(connect: Callable[[], Any], club: Club) -> float:
    """Load the club's members, balances and cards; returns the seconds the indexes took to build."""
    count = len(club.names)
    at_us = time.time_ns() // 1000
    with connect() as conn:
        indexes = plain_indexes(conn, ("member", "member_balance", "card"))
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')

    def chunks(make: Callable[[Club, int, int, int], str]) -> Iterator[str]:
        for start in range(0, count, CHUNK):
            yield make(club, start, min(CHUNK, count - start), at_us)

    for statement, make in _COPIES:  # the rows are made in Python: one table at a time is as fast
        copy_rows(connect, statement, chunks(make))
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(_run, connect, d) for _name, d in indexes]:
            done.result()
    with connect() as conn:
        conn.execute("ANALYZE member")
        conn.execute("ANALYZE member_balance")
        conn.execute("ANALYZE card")
    return time.perf_counter() - started


def _run(connect: Callable[[], Any], statement: str) -> None:
    with connect() as conn:
        conn.execute(statement)


# ---- the queries ---------------------------------------------------------------------------------------


def _fragment(rng: random.Random, club: Club, serial: int) -> str:
    surname = club.surnames[serial]
    size = min(len(surname), rng.choice([3, 4, 5]))
    start = rng.randrange(len(surname) - size + 1)
    return surname[start : start + size]


def _arabic_name(_rng: random.Random, club: Club, serial: int) -> str:
    return f"{club.firsts[serial]} {club.surnames[serial]}".translate(_ARABIC)


def _first_letters(_rng: random.Random, club: Club, serial: int) -> str:
    return club.firsts[serial][:2]


def _first_name(_rng: random.Random, club: Club, serial: int) -> str:
    return club.firsts[serial]


def _phone_persian(_rng: random.Random, club: Club, serial: int) -> str:
    return f"09{club.phones[serial]:09d}".translate(_PERSIAN_DIGITS)


def _phone_ending(_rng: random.Random, club: Club, serial: int) -> str:
    return f"{club.phones[serial] % 10_000:04d}"


def _card(_rng: random.Random, club: Club, serial: int) -> str:
    return club.card(serial)


def _card_prefix(_rng: random.Random, club: Club, serial: int) -> str:
    return club.card(serial)[:12]


def _nothing(_rng: random.Random, _club: Club, _serial: int) -> str:
    return ""


def _absent(rng: random.Random, _club: Club, _serial: int) -> str:
    return rng.choice(ABSENT)


# kind → (label, the query for a member); the page kinds start after the pages PAGES_BEFORE says
KINDS: dict[str, tuple[str, Callable[[random.Random, Club, int], str]]] = {
    "fragment": ("a part of a surname", _fragment),
    "arabic_name": ("a full name, Arabic letters", _arabic_name),
    "first_letters": ("a name's first 2 letters", _first_letters),
    "phone_persian": ("a phone, Persian digits", _phone_persian),
    "phone_ending": ("a phone's last 4 digits", _phone_ending),
    "card": ("a card number", _card),
    "card_prefix": ("a card's first 12 digits", _card_prefix),
    "everyone": ("nothing: the newest", _nothing),
    "no_match": ("a word no one has", _absent),
    "next_page": ("the next page, a first name", _first_name),
    "page_20": ("page 20, a first name", _first_name),
}
PAGES_BEFORE = {"next_page": 1, "page_20": 19}


def _measure(db: Database, bare: Any, club: Club, samples: int, rng: random.Random) -> SearchFigures:
    call = Call(db, time.time_ns() // 1000, Actor(id="bench", name="bench", role="auditor"))
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM member" in statement:
            captured.append((statement, parameters))

    figures = SearchFigures(members=len(club.names), seed_s=0.0, index_s=0.0)
    for _ in range(20):  # warm the pool, the caches and the plans
        search(call, rng.choice(club.names).split()[0], None)
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        for kind, (_label, make) in KINDS.items():
            times, bare_times, rows = [], [], 0
            for _ in range(samples):
                query = make(rng, club, rng.randrange(len(club.names)))
                after = _after(call, query, PAGES_BEFORE.get(kind, 0))
                if after == "":  # a name with fewer pages than that: another member
                    continue
                captured.clear()
                started = time.perf_counter_ns()
                page: MemberPage = search(call, query, after, 50)
                times.append((time.perf_counter_ns() - started) / 1e6)
                rows += len(page.rows)
                [(statement, parameters)] = captured
                started = time.perf_counter_ns()
                bare.execute(statement, parameters).fetchall()
                bare_times.append((time.perf_counter_ns() - started) / 1e6)
            figures.samples_ms[kind], figures.bare_ms[kind] = times, bare_times
            figures.matched[kind] = rows / max(1, len(times))
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return figures


def _after(call: Call, query: str, pages: int) -> str | None:
    """The cursor after `pages` pages of the query (None: the first page; "" if it has fewer pages)."""
    after = None
    for _ in range(pages):
        after = search(call, query, after, 50).next_after
        if after is None:
            return ""
    return after


# the search this replaced (sync.server.members.search before revision 0007), as SQL
BEFORE_SQL = (
    "SELECT member.*, b.points, b.wallet_rials, b.restricted FROM member"
    " LEFT OUTER JOIN member_balance b ON b.member_id = member.id"
    " WHERE lower(member.name) LIKE %(like)s OR member.phone LIKE %(like)s"
    " OR member.id IN (SELECT card.member_id FROM card WHERE card.number LIKE %(like)s)"
    " OR member.phone = %(query)s"
    " ORDER BY member.joined_at_us DESC, member.id LIMIT 50 OFFSET %(offset)s"
)


def _before(bare: Any, club: Club, rng: random.Random, samples: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"fragment": [], "page_20": []}
    for _ in range(samples):
        serial = rng.randrange(len(club.names))
        for kind, query, offset in (
            ("fragment", _fragment(rng, club, serial), 0),
            ("page_20", club.firsts[serial], 950),
        ):
            started = time.perf_counter_ns()
            bare.execute(BEFORE_SQL, {"like": f"%{query}%", "query": query, "offset": offset}).fetchall()
            found[kind].append((time.perf_counter_ns() - started) / 1e6)
    return found


def _signed_in(db: Database) -> Any:
    """A client of the server's app (in process) signed in to the back office as an auditor."""
    import re

    from fastapi.testclient import TestClient

    from sync.server.app import create_app
    from sync.server.club import users
    from sync.server.club.access import CONSOLE

    password = "bench password 1402"
    users.add(Call(db, time.time_ns() // 1000, CONSOLE), "bench", "auditor", password, [])
    client = TestClient(create_app(db))
    form = client.get("/admin/login").text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    data = {"name": "bench", "password": password, "login_csrf": token}
    assert client.post("/admin/login", data=data, follow_redirects=False).status_code == 303
    return client


def _through_the_page(db: Database, club: Club, rng: random.Random, samples: int) -> list[float]:
    """The whole request of the members page, as its search box sends it while one types (htmx: the
    results fragment): the session and role check, the use case, the HTML, over ASGI in this process."""
    client = _signed_in(db)
    kinds = [make for kind, (_label, make) in KINDS.items() if kind not in PAGES_BEFORE]
    times = []
    for i in range(samples):
        query = kinds[i % len(kinds)](rng, club, rng.randrange(len(club.names)))
        started = time.perf_counter_ns()
        answer = client.get("/admin/members", params={"q": query}, headers={"HX-Request": "true"})
        times.append((time.perf_counter_ns() - started) / 1e6)
        assert answer.status_code == 200, answer.text[:200]
    client.close()
    return times


def run_member_search(
    lab: ServerLab, members: int, samples: int, say: Callable[[str], None]
) -> SearchFigures:
    """Seed a club of `members` on a fresh database of the lab's PostgreSQL and measure every kind."""
    rng = random.Random(1402)
    made = lab.club()
    started = time.perf_counter()
    club = _people(rng, members)
    index_s = seed(lambda: lab.connect(made), club)
    seed_s = time.perf_counter() - started
    say(f"search club       {members:,} members, cards and balances loaded in {seed_s:.0f} s"
        f" ({index_s:.0f} s of it building the indexes)")  # fmt: skip
    db = Database(made.url)
    try:
        with lab.connect(made) as bare:
            bare.execute("SET plan_cache_mode = force_custom_plan")  # as the use case plans each search
            figures = _measure(db, bare, club, samples, rng)
            figures.before_ms = _before(bare, club, rng, 3 if samples < 50 else 5)
        figures.page_ms = _through_the_page(db, club, rng, samples * 2)
    finally:
        db.dispose()
    figures.seed_s, figures.index_s = seed_s, index_s
    return figures


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(percentile(ordered, 50), 2), "p99": round(percentile(ordered, 99), 2)}
