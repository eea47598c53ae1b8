# SPDX-License-Identifier: GPL-3.0-or-later
"""The daily programme run in batches (sync.server.programme.run_daily), killed with SIGKILL mid-run by a
real process and run again, and run by two processes at once: every member's expiry and tier review is
written exactly once, and every balance is still the fold of the ledger."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select

from app.domain.balance import fold_balances
from app.domain.ledger import EntryKind, LedgerEntry, find_chain_break
from sync.server.models import BALANCE, DEVICE, ENTRY, MEMBER, PROGRAMME_RUN, SETTING
from sync.server.programme import SERVER_DEVICE_ID, run_daily
from sync.server.vetting.velocity import LIMIT_SETTINGS
from tests.server.club import T0, Terminal, member, member_item, push
from tests.server.test_programme import DAY, save_rules, server_entries
from tests.support.server_process import ServerProcess, free_port, server_command

MEMBERS = 400
BATCH = 10  # 40 batches: a run long enough to be caught in the middle
RUN_AT = T0 + 400 * DAY  # a year's points due, and the silver tier's window and grace over
WAIT_S = 60.0
pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _seed(client, club_db, admin, terminal: Terminal) -> list[str]:
    """MEMBERS members, each lifted to silver by a 500-point sale at T0 (both due at RUN_AT)."""
    version = save_rules(client, admin)
    with club_db.engine.begin() as conn:  # one terminal makes the whole club's sales here
        conn.execute(delete(SETTING).where(SETTING.c.key.in_(LIMIT_SETTINGS)))
        conn.execute(insert(SETTING), [{"key": key, "value": "1000000"} for key in LIMIT_SETTINGS])
    people = [member() for _ in range(MEMBERS)]
    for start in range(0, MEMBERS, 250):
        chunk = people[start : start + 250]
        push(client, terminal, [], [member_item(m) for m in chunk])
        entries = [
            e
            for m in chunk
            for e in terminal.sale(
                m.id, 50_000_000, upgrade_to="silver", rules_version=version, created_at_us=T0
            )
        ]
        answers = push(client, terminal, entries)["entries"]
        assert {a["outcome"] for a in answers} == {"accepted"}
    return [m.id for m in people]


def _run_command(db_url: str, *extra: str) -> subprocess.Popen[str]:
    at = datetime.fromtimestamp(RUN_AT / 1_000_000, UTC).isoformat()
    return subprocess.Popen(
        [*server_command(), "--db", db_url, "--json", "programme", "run", "--now", at, "--batch", str(BATCH),
         *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _progress(db) -> tuple[int, int | None]:
    with db.read() as conn:
        row = conn.execute(select(PROGRAMME_RUN.c.batches, PROGRAMME_RUN.c.finished_at_us)).first()
    return (0, None) if row is None else (int(row.batches), row.finished_at_us)


def _assert_each_once(db, members: list[str], run_at: int | None = RUN_AT) -> None:
    written = server_entries(db)
    with db.read() as conn:
        device = conn.execute(select(DEVICE).where(DEVICE.c.id == SERVER_DEVICE_ID)).one()
    head = (device.last_seq, device.head_hash)
    assert find_chain_break(SERVER_DEVICE_ID, written, head=head) is None  # whole across the crash
    kinds = Counter((e.member_id, e.kind) for e in written)
    assert set(kinds.values()) == {1}
    assert {m for m, k in kinds if k is EntryKind.EXPIRE} == set(members)
    assert {m for m, k in kinds if k is EntryKind.TIER_CHANGE} == set(members)
    moments = {e.created_at_us for e in written}
    assert len(moments) == 1 and run_at in (None, *moments)  # a resumed run decides at the first one's moment
    assert all(e.points_delta == -500 for e in written if e.kind is EntryKind.EXPIRE)
    fields = [f for f in LedgerEntry.__dataclass_fields__ if f != "kind"]
    with db.read() as conn:
        ledger = [
            LedgerEntry(**{f: getattr(r, f) for f in fields}, kind=EntryKind(r.kind))
            for r in conn.execute(select(ENTRY))
        ]
        stored = {r.member_id: r for r in conn.execute(select(BALANCE))}
        tiers = set(conn.execute(select(MEMBER.c.tier_code)).scalars())
        run = conn.execute(select(PROGRAMME_RUN)).one()
    folded = fold_balances(ledger)
    for member_id in members:
        assert (stored[member_id].points, stored[member_id].wallet_rials) == (
            folded[member_id].points,
            folded[member_id].wallet_rials,
        )
        assert stored[member_id].points == 0
    assert tiers == {"bronze"}
    assert run.finished_at_us is not None and run.members == MEMBERS  # the killed batch counted not at all


def test_a_daily_run_killed_mid_batch_resumes_and_writes_each_entry_once(client, club_db, admin, terminal):
    members = _seed(client, club_db, admin, terminal)
    url = club_db.url.render_as_string(hide_password=False)
    first = _run_command(url)
    deadline = time.monotonic() + WAIT_S
    try:
        while _progress(club_db)[0] < 3:  # evidence in the database: batches committed
            assert first.poll() is None, f"the run ended before it was killed: {first.communicate()}"
            assert time.monotonic() < deadline, "the run committed no batch in time"
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait(WAIT_S)
    assert first.returncode == -signal.SIGKILL
    batches, finished = _progress(club_db)
    assert finished is None and 3 <= batches < MEMBERS // BATCH  # killed in the middle
    with club_db.read() as conn:
        partial = conn.execute(select(ENTRY.c.id).where(ENTRY.c.device_id == SERVER_DEVICE_ID)).all()
    assert 0 < len(partial) < 2 * MEMBERS

    again = _run_command(url)
    _out, err = again.communicate(timeout=WAIT_S)
    assert again.returncode == 0, err
    _assert_each_once(club_db, members)
    # and run once more the same day: nothing is written twice
    assert run_daily(club_db, RUN_AT + 3_600_000_000).entries == []
    _assert_each_once(club_db, members)


def test_two_processes_running_the_daily_run_at_once_do_it_once(client, club_db, admin, terminal):
    members = _seed(client, club_db, admin, terminal)
    url = club_db.url.render_as_string(hide_password=False)
    runs = [_run_command(url), _run_command(url)]
    for process in runs:
        _out, err = process.communicate(timeout=WAIT_S)
        assert process.returncode == 0, err
    _assert_each_once(club_db, members)


def test_a_server_killed_in_its_daily_run_resumes_it_when_started_again(
    client, club_db, admin, terminal, tmp_path
):
    """`serve` runs the day's run as it starts: killed (SIGKILL) after some batches, started again, it
    finishes the same run. The seeded points and tiers (at T0) are long due by the machine's clock."""
    assert time.time() * 1_000_000 > RUN_AT, "the machine's clock is before the seeded run's moment"
    members = _seed(client, club_db, admin, terminal)
    url = club_db.url.render_as_string(hide_password=False)
    small = ["--daily-batch", "5", "--no-report-jobs"]
    first = subprocess.Popen(
        [
            *server_command(),
            "--db",
            url,
            "serve",
            "--port",
            str(free_port()),
            "--log-level",
            "warning",
            *small,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + WAIT_S
    try:
        while _progress(club_db)[0] < 3:  # not waiting for it to answer: the run begins before that
            assert _progress(club_db)[1] is None, "the daily run finished before the server was killed"
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the daily run committed no batch in time"
            time.sleep(0.005)
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait(WAIT_S)
    batches, finished = _progress(club_db)
    assert finished is None and batches < MEMBERS // 5  # killed in the middle
    with ServerProcess(url, log_dir=tmp_path, serve_args=["--no-report-jobs"]):  # batches of any size
        while _progress(club_db)[1] is None:
            assert time.monotonic() < deadline, "the resumed run did not finish in time"
            time.sleep(0.05)
    _assert_each_once(club_db, members, run_at=None)
