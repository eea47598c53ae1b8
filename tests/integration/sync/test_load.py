# SPDX-License-Identifier: GPL-3.0-or-later
"""Many terminals at once, small: the CI version of `python -m bench --only load` (bench.load), the same
code with a dozen terminals and a server of two worker processes on a real PostgreSQL.

The terminals enrol, go offline (the server is stopped), sell against shared members (earning and
spending on their offline grants), and come back together, pushing and pulling until synced. Asserted:
every entry on the server exactly once, nothing set aside, and every terminal's balance of every member
equal to the server's. No timing is asserted: the figures of a shared machine mean little.
"""

from __future__ import annotations

from pathlib import Path

from bench.load import LoadSizes, report, run_load
from bench.sync_club import ServerLab, SyncBenchError
from tests.support.postgres import unavailable


def test_a_dozen_terminals_coming_back_together_lose_nothing_and_agree(tmp_path: Path) -> None:
    try:
        lab = ServerLab(tmp_path)
    except SyncBenchError as error:
        unavailable(str(error))
    sizes = LoadSizes.small()
    with lab:
        figures = run_load(lab, tmp_path, sizes, print)
    result = report(figures, print)
    checks = figures.checks
    assert checks.ok, checks
    assert checks.server_entries == checks.terminal_entries > sizes.terminals * sizes.sales
    assert checks.lost == checks.twice == checks.foreign == checks.set_aside == 0
    assert checks.balances_differ == 0 and checks.members_compared >= sizes.terminals * sizes.members
    assert figures.accepted == figures.offline_entries  # each accepted once, none answered twice
    assert len(figures.push_ms) >= sizes.terminals and len(figures.pull_ms) >= 2 * sizes.terminals
    assert result["load_check_ok"] is True and result["load_server_rss_peak_mb"] > 0  # type: ignore[operator]
