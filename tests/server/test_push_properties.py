# SPDX-License-Identifier: GPL-3.0-or-later
"""Property: whatever batches a terminal sends, re-sends, splits or duplicates, each entry is stored once.

Hypothesis draws a device's chain and a sequence of batches (any increasing subsets of it, sent in any
order, repeated at will), as a flaky network and a crashing terminal would produce them; then the
terminal sends everything once more. Each entry must be accepted exactly once and answered as a
duplicate with the same server sequence ever after; the server holds the chain whole, its balance is
the sum, and the only chain problems reported are the honest ones (gaps and late arrivals).
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from sync.server.models import BALANCE, ENTRY
from tests.server.club import enroll, member, member_item, push

MAX_CHAIN = 8


def batches(chain_length: int) -> st.SearchStrategy[list[list[int]]]:
    one = st.sets(st.integers(0, chain_length - 1), min_size=1).map(sorted)
    return st.lists(one, max_size=6)


plans = st.integers(1, MAX_CHAIN).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(1, 50), min_size=n, max_size=n), batches(n))
)


def test_any_resending_stores_each_entry_exactly_once(client, club_db):
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(plan=plans)
    def property_holds(plan) -> None:
        length, points, sends = plan
        terminal = enroll(club_db)
        m = member()
        push(client, terminal, [], [member_item(m)])
        chain = [terminal.entry(m.id, points=p) for p in points]
        answers: dict[str, list[tuple[str, int]]] = defaultdict(list)
        problems: set[str] = set()
        final = None
        for indexes in [*sends, list(range(length))]:
            final = push(client, terminal, [chain[i] for i in indexes])
            for result in final["entries"]:
                answers[result["id"]].append((result["outcome"], result["server_seq"]))
            problems |= {p["problem"] for p in final["chain_problems"]}
        for entry in chain:
            outcomes = answers[entry.id]
            assert outcomes[0][0] == "accepted"
            assert all(o == ("duplicate", outcomes[0][1]) for o in outcomes[1:])
        assert final is not None and final["contiguous_seq"] == length
        assert problems <= {"sequence_gap", "late"}
        with club_db.read() as conn:
            stored = conn.execute(
                select(ENTRY.c.id, ENTRY.c.device_seq).where(ENTRY.c.device_id == terminal.device_id)
            ).all()
            points_now = conn.execute(
                select(BALANCE.c.points).where(BALANCE.c.member_id == m.id)
            ).scalar_one()
        assert sorted((r.device_seq, r.id) for r in stored) == [(e.device_seq, e.id) for e in chain]
        assert points_now == sum(points)

    property_holds()
