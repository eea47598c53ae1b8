# SPDX-License-Identifier: GPL-3.0-or-later
"""Members as the back office finds them: by name, phone or card number, a page at a time, instantly
among a million.

What a query matches (its text folded by app.domain.search_text, so Arabic and Persian letter forms, digits
of any script, harakat, ZWNJ, tatweel and case do not matter):

- a number (digits with the spaces, dashes, brackets and + people type between them; nothing else):
  - a phone (`app.domain.phone.normalize_phone`: 0912…, +98 912…, 00989…): that phone exactly;
  - 4 digits or more: the phones ending with them (`member.phone_rev`, the phone backwards, by prefix);
  - 16 digits: that card; 12 to 15: the cards beginning with them (at most a thousand cards a prefix);
  - a number never matches names, and one shorter than 4 digits (and not a card's 12) matches nothing:
    too many phones end with it for the list to help;
- anything else: names. Each word of the query is found anywhere in the name's key (the folded name
  without spaces: `search_key`), in any order, so عبد الله finds عبدالله and رضایی محمد finds محمد
  رضایی. A query whose words are all shorter than 3 letters matches names that begin with its first word
  (and hold the others): a trigram index cannot look up one or two letters anywhere, but it can at the
  start of a name, which is what someone typing a name's first letters means;
- nothing (an empty query): every member.

Indexes: on PostgreSQL a pg_trgm GIN index on `name_key` finds any part of a name (its trigrams also find the
first letters of a name); SQLite (the demo, a small club) has none for names and reads the keys newest first
until the page is full, so a name nobody has reads them all (about 60 ms for 100,000 members: migration
0007). Phones, phone endings and cards use ordinary indexes on both. `make bench` measures the search among
a million members on PostgreSQL (bench.member_search).

Order: newest member first (`joined_at_us`, then `id`, both descending), paged by keyset: a page's
`next_after` is an opaque cursor naming its last member; the next page is the members after it in that
order. No OFFSET: a page costs the same deep in a million members as on the first.

A search is a read through `club.act.read` with Permission.READ. The back office searches as someone types,
so a search is not audited by default (viewing a member's file is); the admin API audits each call.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, false, select, tuple_, union

from app.domain.card import CARD_NUMBER_LENGTH
from app.domain.errors import ClubError
from app.domain.phone import normalize_phone
from app.domain.search_text import digits_only, fold, query_words
from sync.protocol import UUID_PATTERN
from sync.server.club import act
from sync.server.club.access import Permission
from sync.server.errors import ApiError
from sync.server.models import BALANCE, CARD, MEMBER

MAX_LIMIT = 500
MIN_PHONE_ENDING = 4  # digits: fewer end too many phones (a thousandth of the club ends with any four)
MIN_CARD_PREFIX = 12  # digits: the last 3 free and the check digit, so at most a thousand cards
MIN_ANYWHERE = 3  # letters: the shortest word a trigram index can find anywhere in a name
_ESCAPE = "/"
_CURSOR = re.compile(r"([0-9]{1,19}):(" + UUID_PATTERN.strip("^$") + r")")
_MAX_TIME_US = 2**62  # sync.protocol.TimeUs


@dataclass(frozen=True, slots=True)
class FoundMember:
    """A member in a list of matches: the record (as terminals have it) and its balances."""

    id: str
    name: str
    phone: str
    tier_code: str
    branch_id: str
    joined_at_us: int
    points: int
    wallet_rials: int
    restricted: bool
    birth_date: date | None = None
    national_id_last4: str | None = None
    referrer_id: str | None = None
    consent_marketing: bool = False


@dataclass(frozen=True, slots=True)
class MemberPage:
    rows: tuple[FoundMember, ...]
    next_after: str | None  # the cursor of the next page; None on the last


def search(
    call: act.Call, query: str, after: str | None, limit: int = 50, *, audited: bool = False
) -> MemberPage:
    """The members `query` matches (the module says how), newest first, `limit` after the cursor `after`.
    Refuses (422) a limit outside 1..MAX_LIMIT and a cursor this function did not make."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(422, "invalid_limit", f"a page holds 1 to {MAX_LIMIT} members")
    position = None if after is None else _position(after)
    matched = _matching(query)

    def work(conn: Connection) -> MemberPage:
        if conn.dialect.name == "postgresql":
            # psycopg prepares a statement run five times, and PostgreSQL may then plan it once for any
            # words: whether "محمد" (a tenth of the club: walk the newest) or a rare name (gather it from
            # the trigram index) is asked decides the plan, so each search is planned for its own words
            conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        statement = _page(matched, position, limit + 1)
        rows = [_found(r) for r in conn.execute(statement)]
        more = len(rows) > limit
        rows = rows[:limit]
        return MemberPage(tuple(rows), _cursor(rows[-1]) if more else None)

    # the query as typed, less what a log line cannot hold (PostgreSQL refuses NUL)
    target = "".join(ch for ch in " ".join(query.split()) if ch.isprintable())[:200] or None
    return act.read(call, "member.search", target, work, permission=Permission.READ, audited=audited)


# ---- what a query matches -------------------------------------------------------------------------


def _matching(query: str) -> ColumnElement[bool] | None:
    """The condition on `member` for the query; None for every member."""
    words = query_words(query)
    if not words:
        return None
    digits = digits_only(query)
    if digits is not None:
        return _by_number(fold(query), digits)
    return _by_name(words)


def _by_name(words: list[str]) -> ColumnElement[bool]:
    key = MEMBER.c.name_key
    if max(len(w) for w in words) < MIN_ANYWHERE:
        first, *others = words
        return and_(_like(key, first, anywhere=False), *(_like(key, w) for w in others))
    return and_(*(_like(key, w) for w in words))


def _like(column: Any, word: str, *, anywhere: bool = True) -> ColumnElement[bool]:
    """`column LIKE` the word as text: its %, _ and the escape character match only themselves. The
    pattern is whole (not '%' || :word || '%'), so the planner sees it and pg_trgm can take its trigrams."""
    escaped = word.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
    pattern = ("%" if anywhere else "") + escaped + "%"
    return column.like(pattern, escape=_ESCAPE)  # type: ignore[no-any-return]


def _by_number(folded: str, digits: str) -> ColumnElement[bool]:
    """Members whose phone is the number or ends with it, or who hold a card it is or begins."""
    found: list[Select[Any]] = []
    try:
        phone = normalize_phone(folded)
    except ClubError:
        phone = None
    if phone is not None:
        found.append(select(MEMBER.c.id).where(MEMBER.c.phone == phone))
    if len(digits) >= MIN_PHONE_ENDING:
        found.append(select(MEMBER.c.id).where(*_prefixed(MEMBER.c.phone_rev, digits[::-1])))
    if len(digits) == CARD_NUMBER_LENGTH:
        found.append(select(CARD.c.member_id).where(CARD.c.number == digits))
    elif MIN_CARD_PREFIX <= len(digits) < CARD_NUMBER_LENGTH:
        found.append(select(CARD.c.member_id).where(*_prefixed(CARD.c.number, digits)))
    if not found:
        return false()
    # a set of ids (each arm through its own index), then the page from it: an OR across the member and
    # card tables would make PostgreSQL read members in order and test each against the cards
    return MEMBER.c.id.in_(union(*found) if len(found) > 1 else found[0])


def _prefixed(column: Any, digits: str) -> tuple[ColumnElement[bool], ...]:
    """`column` begins with `digits`, as a range an ordinary index answers (digit strings order as bytes
    in every collation; phone_rev is declared "C" on PostgreSQL anyway)."""
    upper = _successor(digits)
    return (column >= digits,) if upper is None else (column >= digits, column < upper)


def _successor(digits: str) -> str | None:
    """The least digit string after every string beginning with `digits` ("1299" → "13"); None for 9s."""
    stripped = digits.rstrip("9")
    return None if not stripped else stripped[:-1] + str(int(stripped[-1]) + 1)


# ---- the page -------------------------------------------------------------------------------------


def _page(matched: ColumnElement[bool] | None, position: tuple[int, str] | None, count: int) -> Select[Any]:
    """The page's members, then their balances. The members are chosen, ordered and cut on their own table:
    with the join inside, PostgreSQL prices each of the rows a trigram index finds as joined before the
    sort, and walks the newest members instead, through most of the club for a rare name."""
    m = MEMBER.c
    order = (m.joined_at_us.desc(), m.id.desc())
    chosen = select(
        m.id, m.name, m.phone, m.tier_code, m.branch_id, m.joined_at_us, m.birth_date, m.national_id_last4,
        m.referrer_id, m.consent_marketing,
    )  # fmt: skip
    if matched is not None:
        chosen = chosen.where(matched)
    if position is not None:
        chosen = chosen.where(tuple_(m.joined_at_us, m.id) < tuple_(*position))
    page = chosen.order_by(*order).limit(count).subquery("page")
    return (
        select(page, BALANCE.c.points, BALANCE.c.wallet_rials, BALANCE.c.restricted)
        .join(BALANCE, BALANCE.c.member_id == page.c.id, isouter=True)
        .order_by(page.c.joined_at_us.desc(), page.c.id.desc())
    )


def _found(row: Any) -> FoundMember:
    return FoundMember(
        id=row.id,
        name=row.name,
        phone=row.phone,
        tier_code=row.tier_code,
        branch_id=row.branch_id,
        joined_at_us=row.joined_at_us,
        points=row.points or 0,
        wallet_rials=row.wallet_rials or 0,
        restricted=bool(row.restricted),
        birth_date=row.birth_date,
        national_id_last4=row.national_id_last4,
        referrer_id=row.referrer_id,
        consent_marketing=bool(row.consent_marketing),
    )


def _cursor(row: FoundMember) -> str:
    return base64.urlsafe_b64encode(f"{row.joined_at_us}:{row.id}".encode()).decode().rstrip("=")


def _position(cursor: str) -> tuple[int, str]:
    """The (joined_at_us, id) a cursor names; 422 `invalid_cursor` for anything `_cursor` did not make."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    matched = _CURSOR.fullmatch(text) if len(cursor) <= 100 else None
    if matched is None or int(matched.group(1)) > _MAX_TIME_US:
        raise ApiError(422, "invalid_cursor", "not a cursor this search gave (`next_after`)")
    return int(matched.group(1)), matched.group(2)
