# SPDX-License-Identifier: GPL-3.0-or-later
"""Thirty days offline, small: the CI version of `python -m bench --only soak` (bench.soak), the same code
on a real server process (SQLite here, PostgreSQL in the bench) with a quieter branch and club.

A terminal enrols, sells to its regulars and syncs (they hold offline grants), then goes a month without
the server, its clock moving through each day: sales (some spending points on the grants, which cover three
days), returns, card taps, enrolments with photos, a weekly event at the door. Meanwhile the server
publishes a new rule-set version, revokes cards, takes new members and runs its daily chore at the
month's end, expiring the points earned on day 0. Then the terminal comes back through its real window's
sync worker (offscreen) and syncs, and the next day's run gives back what the month's run expired that
members had spent offline before it. Asserted: nothing lost or set aside on either end, every balance at the
terminal equal to the server's, the new rules and the expiry at the terminal, every revoked card refused,
no spend past a grant, `bashgah ledger verify` passing, nothing over-expired left. No timing is asserted:
the bench reports it.
"""

from __future__ import annotations

from pathlib import Path

from bench.soak import SoakServer, SoakSizes, report, run_soak
from bench.soak_window import catch_up_in_window
from tests.integration.sync.conftest import ClubServer


def test_a_month_offline_catches_up_and_agrees_with_the_server(
    club_server: ClubServer, tmp_path: Path
) -> None:
    server = SoakServer(
        club_server.url, club_server.process.db_url, club_server.admin_token, "THR", ("THR", "ISF")
    )
    sizes = SoakSizes.small()
    figures = run_soak(server, tmp_path, sizes, print, catch_up_in_window)
    result = report(figures, print)
    offline, checks, caught = figures.offline, figures.checks, figures.catch_up
    assert checks.failures == [], checks
    # the month really happened, through every use case
    assert offline.sales == sizes.days * sizes.sales_per_day and offline.returns > 0
    assert offline.identified > 0 and offline.enrolled == sizes.days * sizes.enrolments_per_day
    assert offline.events >= 4 and offline.checked_in == offline.events * sizes.door_per_event
    # spending: some on the grants in their three days, and refusals after (offline_limit), never an override
    assert offline.spends > 0 and offline.refused.get("offline_limit", 0) > 0
    # the window's first round pushed the month and pulled the server's (members, rules, expiry, revocations)
    assert caught["round"]["ok"] and caught["round"]["pushed"] >= offline.sales
    assert caught["round"]["pulled"] >= sizes.new_members + sizes.revoked
    assert caught["ticks"] > 0 and set(caught["phases_ms"]) == {"push", "pull", "after"}  # the window ran
    assert checks.revoked == sizes.revoked and checks.rules_version_here == 2
    # offline spends of the points the month's run expired: given back by the next day's (none left over)
    assert checks.given_back_points > 0 and checks.over_expired_points == 0
    assert checks.balances_compared == checks.members_on_server >= sizes.club_members + sizes.new_members
    assert result["soak_check_ok"] is True
