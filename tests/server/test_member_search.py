# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's member search (sync.server.club.members.search) on SQLite and PostgreSQL: Persian and
Arabic spellings alike, phones in any digits, cards, keyset pages, and a query is only ever text."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, text

from app.domain.card import card_number
from app.domain.search_text import reversed_digits, search_key
from sync.protocol import WireCard, WireMember
from sync.server import members
from sync.server.club.access import Actor
from sync.server.club.act import Call
from sync.server.club.members import MemberPage, search
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import AUDIT, MEMBER
from sync.server.sequence import Publisher
from tests.server.club import T0, member, member_item, push

AUDITOR = Actor(id="a-1", name="Auditor", role="auditor")
ZWNJ = "\u200c"


def call(db: Database, actor: Actor = AUDITOR) -> Call:
    return Call(db, T0, actor)


def save(db: Database, *people: WireMember, cards: dict[str, str] | None = None) -> None:
    """Members (and cards: number → member id) through the server's one writer of members."""

    def work(conn: Any) -> None:
        pub = Publisher(T0)
        for person in people:
            members.put_member(conn, pub, person)
        for number, member_id in (cards or {}).items():
            members.put_card(conn, pub, WireCard(number=number, member_id=member_id, issued_at_us=T0))
        pub.flush(conn)

    db.write(work)


def found(db: Database, query: str, limit: int = 50) -> list[str]:
    return [row.name for row in search(call(db), query, None, limit).rows]


def keys_are_right(db: Database) -> bool:
    with db.read() as conn:
        rows = conn.execute(
            select(MEMBER.c.name, MEMBER.c.name_key, MEMBER.c.phone, MEMBER.c.phone_rev)
        ).all()
    return all(r.name_key == search_key(r.name) and r.phone_rev == reversed_digits(r.phone) for r in rows)


# ---- names -----------------------------------------------------------------------------------------


def test_a_name_typed_with_arabic_letters_finds_the_persian_spelling(club_db):
    save(club_db, member(name="علی کریمی"), member(name="مریم احمدی"), member(name="رضا یزدانی"))
    assert found(club_db, "علي كريمي") == ["علی کریمی"]  # Arabic yeh and kaf
    assert found(club_db, "كريمى") == ["علی کریمی"]  # alef maksura
    assert found(club_db, "مَريَم") == ["مریم احمدی"]  # harakat
    assert found(club_db, "يزدا") == ["رضا یزدانی"]  # any part of a name
    assert found(club_db, "كريمي علي") == ["علی کریمی"]  # words in any order
    assert len(found(club_db, "")) == len(found(club_db, f" {ZWNJ} ")) == 3  # nothing: everyone


def test_a_name_written_apart_joined_or_run_together_is_one_name(club_db):
    save(club_db, member(name=f"عبد{ZWNJ}الله موسوی"), member(name="فاطمة زهرا"), member(name="Sara AHMADI"))
    assert found(club_db, "عبدالله") == [f"عبد{ZWNJ}الله موسوی"]
    assert found(club_db, "عبد الله") == [f"عبد{ZWNJ}الله موسوی"]
    assert found(club_db, "فاطمه") == ["فاطمة زهرا"]  # teh marbuta stored, heh typed
    assert found(club_db, "sara ahmadi") == found(club_db, "SARA") == ["Sara AHMADI"]


def test_one_or_two_letters_find_names_that_begin_with_them(club_db):
    save(club_db, member(name="مریم"), member(name="سمر"), member(name="آرمان"))
    assert found(club_db, "مر") == ["مریم"]  # not سمر: too short to look for anywhere
    assert found(club_db, "سمر") == ["سمر"]
    assert found(club_db, "ار") == ["آرمان"]  # alef with madda folds to alef


# ---- numbers ---------------------------------------------------------------------------------------


def test_a_phone_in_persian_or_arabic_digits_finds_its_member(club_db):
    save(club_db, member(name="A", phone="+989123456789"), member(name="B", phone="+989351112233"))
    assert found(club_db, "۰۹۱۲۳۴۵۶۷۸۹") == ["A"]
    assert found(club_db, "٠٩١٢ ٣٤٥ ٦٧٨٩") == ["A"]
    assert found(club_db, "+98 912 345-6789") == ["A"]
    assert found(club_db, "۶۷۸۹") == ["A"]  # the last four digits
    assert found(club_db, "2233") == ["B"]
    assert found(club_db, "789") == []  # fewer than four: too many phones end with them
    assert found(club_db, "912345") == []  # not an ending, not a phone


def test_a_card_number_finds_its_member(club_db):
    a, b = member(name="A"), member(name="B")
    first, second = card_number("9826001", 7), card_number("9826002", 7)
    save(club_db, a, b, cards={first: a.id, second: b.id})
    assert found(club_db, first) == ["A"]
    persian = first.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert found(club_db, f"{persian[:4]} {persian[4:8]} {persian[8:12]} {persian[12:]}") == ["A"]
    assert found(club_db, second[:12]) == ["B"]  # a card's first 12 digits
    assert found(club_db, "98260") == []  # every card begins so


# ---- pages -----------------------------------------------------------------------------------------


def test_paging_returns_each_member_once_newest_first(club_db):
    # 120 members, joined in 40 moments of 3 each: the id breaks the ties
    people = [member(name=f"عضو {n}", joined_at_us=T0 + (n // 3) * 1_000_000) for n in range(120)]
    save(club_db, *people)
    pages: list[MemberPage] = []
    after = None
    while True:
        page = search(call(club_db), "عضو", after, 50)
        pages.append(page)
        if page.next_after is None:
            break
        after = page.next_after
    assert [len(p.rows) for p in pages] == [50, 50, 20]
    seen = [(row.joined_at_us, row.id) for p in pages for row in p.rows]
    assert seen == sorted(((p.joined_at_us, p.id) for p in people), reverse=True)
    exact = search(call(club_db), "", None, 120)  # a full page is the last one: no empty page after it
    assert len(exact.rows) == 120 and exact.next_after is None


def test_a_cursor_or_a_limit_not_made_here_is_refused(club_db):
    for after in ("garbage", "MTIzOm5vdC1hbi1pZA", "", "=" * 200):
        with pytest.raises(ApiError) as refused:
            search(call(club_db), "", after, 10)
        assert (refused.value.status, refused.value.code) == (422, "invalid_cursor")
    for limit in (0, 501):
        with pytest.raises(ApiError) as refused:
            search(call(club_db), "", None, limit)
        assert refused.value.code == "invalid_limit"


# ---- a query is text ----------------------------------------------------------------------------------


def test_a_query_is_only_ever_text(club_db):
    save(
        club_db,
        member(name="50% off_club"),
        member(name="O'Brien"),
        member(name="<script>alert(1)</script>"),
        member(name="Plain Name"),
        member(name="back/slash"),
    )
    assert found(club_db, "%") == found(club_db, "_") == []  # no wildcards: not everyone
    assert found(club_db, "50%") == ["50% off_club"]
    assert found(club_db, "f_c") == ["50% off_club"]
    assert found(club_db, "n_m") == []  # "nam" is in Plain Name; "n_m" is not
    assert found(club_db, "o'b") == ["O'Brien"]
    assert found(club_db, "<script>") == ["<script>alert(1)</script>"]
    assert found(club_db, "k/s") == ["back/slash"]  # the escape character itself
    assert found(club_db, "'; DROP TABLE member; --") == []
    assert found(club_db, '" OR 1=1 --') == []
    with club_db.read() as conn:
        assert conn.execute(select(func.count()).select_from(MEMBER)).scalar_one() == 5


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=40), after=st.none() | st.text(max_size=60), audited=st.booleans())
@example(query="sa\x00ra", after=None, audited=True)
def test_any_query_and_cursor_get_an_answer_or_a_422(club_db, query, after, audited):
    """NUL and other control characters included (PostgreSQL refuses NUL in text)."""
    try:
        page = search(call(club_db), query, after, 5, audited=audited)
    except ApiError as refused:
        assert (refused.status, refused.code) == (422, "invalid_cursor")
    else:
        assert len(page.rows) <= 5


# ---- who may search, and the audit -----------------------------------------------------------------------


def test_searching_needs_read_and_is_not_audited(club_db):
    save(club_db, member(name="Sara"))
    with pytest.raises(ApiError) as refused:
        search(call(club_db, Actor(id="x", name="x", role="nobody")), "sara", None)
    assert refused.value.status == 403
    search(call(club_db), "sara", None)
    with club_db.read() as conn:
        assert conn.execute(select(func.count()).select_from(AUDIT)).scalar_one() == 0
    search(call(club_db), "sara", None, audited=True)  # the admin API audits each call
    with club_db.read() as conn:
        assert conn.execute(select(AUDIT.c.action, AUDIT.c.target)).all() == [("member.search", "sara")]


# ---- every write of a member keeps its keys ----------------------------------------------------------


def test_every_write_keeps_the_search_keys(client, club_db, admin, terminal):
    pushed = member(name="كاظم", phone="+989120000001")
    push(client, terminal, [], [member_item(pushed)])
    created = client.post(
        "/v1/admin/members", json={"name": "رقيه", "phone": "۰۹۱۲۰۰۰۰۰۰۲", "branch_id": pushed.branch_id},
        headers=admin,
    ).json()  # fmt: skip
    assert found(club_db, "کاظم") == ["كاظم"] and found(club_db, "رقیه") == ["رقيه"]
    client.patch(f"/v1/admin/members/{created['id']}", json={"name": "Roghayeh"}, headers=admin)
    client.patch(f"/v1/admin/members/{pushed.id}", json={"phone": "09120000009"}, headers=admin)
    assert found(club_db, "رقیه") == [] and found(club_db, "roghayeh") == ["Roghayeh"]
    assert found(club_db, "0001") == [] and found(club_db, "0009") == ["كاظم"]
    assert keys_are_right(club_db)


# ---- the admin API ---------------------------------------------------------------------------------------


def test_the_admin_api_pages_with_after(client, club_db, admin):
    save(club_db, *[member(name=f"Member {n}", joined_at_us=T0 + n) for n in range(5)])
    first = client.get("/v1/admin/members", params={"q": "member", "limit": 3}, headers=admin).json()
    assert [m["name"] for m in first["members"]] == ["Member 4", "Member 3", "Member 2"]
    assert first["offset"] == 0 and first["next_after"]
    params = {"q": "MEMBER", "limit": 3, "after": first["next_after"]}
    second = client.get("/v1/admin/members", params=params, headers=admin).json()
    assert [m["name"] for m in second["members"]] == ["Member 1", "Member 0"] and second["next_after"] is None
    assert set(second["members"][0]) >= {"points", "wallet_rials", "restricted", "birth_date", "tier_code"}
    for params, code in (({"offset": 50}, "offset_unsupported"), ({"after": "nope"}, "invalid_cursor")):
        refused = client.get("/v1/admin/members", params=params, headers=admin)
        assert (refused.status_code, refused.json()["detail"]["code"]) == (422, code)
    assert client.get("/v1/admin/members", params={"offset": 0}, headers=admin).status_code == 200


# ---- the statements are ones the indexes answer -------------------------------------------------------


def _statements(db: Database, run: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM member" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen


CARD = card_number("9826001", 7)
IN_ORDER = "SCAN member USING INDEX ix_member_joined_at_us_id"  # SQLite: newest first until the page is full


@pytest.mark.parametrize(
    ("query", "on_postgresql", "on_sqlite"),
    [
        ("یزدانی", "ix_member_name_key_trgm", IN_ORDER),  # a part of a name, anywhere
        ("یز", "ix_member_name_key_trgm", IN_ORDER),  # the start of a name
        ("6789", "ix_member_phone_rev", "USING INDEX ix_member_phone_rev"),
        ("09123456789", "ix_member_phone", "USING INDEX ix_member_phone (phone=?)"),
        (CARD, "pk_card", "USING INDEX sqlite_autoindex_card_1 (number=?)"),
        (CARD[:12], "pk_card", "USING INDEX sqlite_autoindex_card_1 (number>? AND number<?)"),
        ("", "ix_member_joined_at_us_id", IN_ORDER),
    ],
)
def test_each_kind_of_query_is_answered_by_an_index(club_db, query, on_postgresql, on_sqlite):
    a = member(name="رضا یزدانی", phone="+989123456789")
    save(club_db, a, cards={CARD: a.id})
    [(statement, parameters)] = _statements(club_db, lambda: search(call(club_db), query, None, 50))
    with club_db.engine.connect() as conn:
        if club_db.dialect == "sqlite":
            plan = "\n".join(
                r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert on_sqlite in plan and "SCAN member\n" not in plan + "\n", plan
            return
        # a table this small is better read whole, or in order; the question is whether the index can answer
        conn.execute(text("SET enable_seqscan = off"))
        if query:
            conn.execute(text("SET enable_indexscan = off"))
        plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars())
    assert on_postgresql in plan, plan
