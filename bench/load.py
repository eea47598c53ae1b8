# SPDX-License-Identifier: GPL-3.0-or-later
"""Many terminals at once: a club's terminals come back together after an outage and sync.

A real `bashgah-server serve --workers N` (its database pool as given) on a fresh PostgreSQL database
(bench.sync_club) and `terminals` simulated terminals, each a real `SyncClient` over HTTP on loopback
with its own SQLite store and its own hash chain:

1. Enrolment, through the real path (a code from the admin API, `enroll_device`, the first pull), then
   online, one sale (`record_sale`) to each of a few members and a sync round: the server now knows the
   terminal's members, and the terminal holds offline grants for them.
2. The outage: the server is stopped. Each terminal records `spends` sales that spend points on the
   offline grant (the real `record_sale`: the redeem entry and the sale) and `sales` earning sales
   sealed by the store's own insert path (`app.store.ledger.append`, as bench.sync_push does: the
   sale's use case for thousands of entries would measure the sale). Members are shared: every member
   is sold to at many terminals, so balances interleave across the terminals' chains.
3. The server starts again and every terminal at once (one thread each, released together) pushes and
   pulls until it says synced; a round the server did not take backs off as `SyncClient.run` does
   (full jitter, Retry-After), and retries inside a request are the client's own (`Retries`). Then every
   terminal pulls once more, so that each has what the others pushed after its last pull.

Measured: entries accepted per second (from the release to the last terminal's push done), the latency
of every push and pull request on the client (each HTTP request, not the whole step), the server's
memory (the summed RSS of its processes — the supervisor and its workers — peak, sampled from /proc),
retries inside requests and rounds that failed. Checked at the end, and a failure is an error: every
entry of every terminal is on the server exactly once (ids and counts per device, nothing set aside),
the server's balances equal the sums of its ledger, and every terminal's balance of every member (points
and wallet) equals the server's.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

import sync.client as client_module
from app.domain.errors import ClubError
from app.domain.ids import uuid7
from app.domain.ledger import EntryDraft, EntryKind
from app.services.checkout import SaleRequest, record_sale
from app.services.device_enrollment import enroll_device
from app.services.terminal import Terminal
from app.store import ledger
from app.store.database import DB_FILENAME, Database
from bench.stats import summary_us
from bench.sync_club import BRANCH_CODE, BRANCH_ID, ServerClub, ServerLab, SyncBenchError, seed_members
from sync.client import Backoff, HttpEnrollment, SyncClient, SyncError
from sync.server.auth import create_admin_token
from sync.server.db import Database as ServerDatabase
from tests.support.server_process import ServerProcess, ServerStartError

WRITE_CHUNK = 2_000
SYNC_DEADLINE_S = 1_200.0  # a terminal that has not synced by then fails the bench
ENROL_THREADS = 4
RSS_EVERY_S = 0.1
PROGRESS_EVERY_S = 30.0


@dataclass(frozen=True)
class LoadSizes:
    terminals: int = 200
    workers: int = 2
    db_pool: int = 10  # per worker
    db_overflow: int = 5
    members: int = 1_000  # shared by every terminal
    members_per_terminal: int = 3  # sold to online first: the offline grants
    # Every terminal pulls every other's entries (its replica holds the club's ledger): the come-back moves
    # terminals × entries rows to the terminals, all applied in this one process on a shared 2-core
    # machine, so the entries per terminal are kept small enough for that to finish in minutes.
    sales: int = 20  # earning sales per terminal while offline
    spends: int = 2  # sales spending points on the grant, per terminal, while offline

    @classmethod
    def small(cls) -> LoadSizes:
        """The CI version: the same code, small numbers."""
        return cls(terminals=12, workers=2, db_pool=4, db_overflow=2, members=30, sales=20)

    @property
    def serve_args(self) -> list[str]:
        return ["--db-pool", str(self.db_pool), "--db-overflow", str(self.db_overflow)]


@dataclass
class Checks:
    server_entries: int = 0
    terminal_entries: int = 0
    lost: int = 0  # on a terminal, not on the server
    foreign: int = 0  # on the server under our devices, on no terminal
    twice: int = 0  # ids the server holds more than once
    set_aside: int = 0
    server_sums_differ: int = 0  # members whose balance is not the sum of their ledger, on the server
    balances_differ: int = 0  # (terminal, member) pairs that disagree with the server
    members_compared: int = 0
    not_synced: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.lost or self.foreign or self.twice or self.set_aside or self.server_sums_differ
            or self.balances_differ or self.not_synced or self.server_entries != self.terminal_entries
        )  # fmt: skip


@dataclass
class LoadFigures:
    sizes: LoadSizes
    enrol_s: float = 0.0
    offline_entries: int = 0  # recorded while the server was away
    spends_refused: int = 0  # spends the offline grant did not cover (not recorded)
    accepted: int = 0  # entries and items the server accepted in the come-back
    push_s: float = 0.0  # from the release to the last push done
    synced_s: float = 0.0  # from the release to the last terminal synced (and its final pull)
    push_ms: list[float] = field(default_factory=list)  # every push request, on the client
    pull_ms: list[float] = field(default_factory=list)
    retries: int = 0  # requests the clients sent again
    failed_rounds: int = 0  # push or pull steps that failed even so (backed off, tried again)
    failures: dict[str, int] = field(default_factory=dict)
    rss_peak_mb: float = 0.0
    rss_idle_mb: float = 0.0  # after the restart, before the terminals came back
    connections_peak: int = 0  # the server's connections to its database
    lock_waits_peak: int = 0  # its backends waiting for a row lock at once
    lock_wait_share: float = 0.0  # the share of samples in which one was
    waiting_statements: dict[str, int] = field(default_factory=dict)  # the statements seen waiting most
    checks: Checks = field(default_factory=Checks)

    @property
    def entries_per_s(self) -> float:
        return self.accepted / self.push_s if self.push_s else 0.0


@dataclass
class Till:
    n: int
    data_dir: Path
    terminal: Terminal
    client: SyncClient
    members: list[str]
    done_push_at: float = 0.0


# ---- the server's memory ---------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _rss_kb(pid: int) -> int:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tree_rss_mb(pid: int) -> float:
    """The summed RSS of a process and all its descendants (uvicorn's supervisor and its workers)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss_kb(p)
        todo += _children(p)
    return total / 1024


_LOCK_WAITS = (
    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*),"
    " array_agg(left(regexp_replace(query, '\\s+', ' ', 'g'), 60)) FILTER (WHERE wait_event_type = 'Lock')"
    " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


class RssSampler:
    """The peak of tree_rss_mb(pid), and of the server's connections and of those waiting for a lock
    (pg_stat_activity, on `conn`), sampled on a thread until stopped."""

    def __init__(self, pid: int, conn: Any) -> None:
        self.pid = pid
        self.conn = conn
        self.peak_mb = 0.0
        self.lock_waits_peak = 0
        self.samples = 0
        self.samples_waiting = 0  # samples in which a backend waited for a lock
        self.connections_peak = 0
        self.waiting_statements: dict[str, int] = {}  # what waited for a lock: samples seen waiting
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))
            waiting, connections, statements = self.conn.execute(_LOCK_WAITS).fetchone()
            for statement in statements or ():
                self.waiting_statements[statement] = self.waiting_statements.get(statement, 0) + 1
            self.samples += 1
            self.samples_waiting += waiting > 0
            self.lock_waits_peak = max(self.lock_waits_peak, waiting)
            self.connections_peak = max(self.connections_peak, connections)
            self._stop.wait(RSS_EVERY_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))


# ---- request latency, on the client ----------------------------------------------------------------


@contextmanager
def timed_requests(figures: LoadFigures) -> Iterator[None]:
    """Every push and pull request any client sends is timed (the HTTP exchange: what the terminal
    waits for), by wrapping sync.client's one request function for the duration."""
    saved = client_module._request

    def request(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        try:
            return saved(session, method, url, **kwargs)
        finally:
            ms = (time.perf_counter() - started) * 1000
            if url.endswith("/v1/sync/push"):
                figures.push_ms.append(ms)  # list.append holds the GIL: safe from every thread
            elif "/v1/sync/pull" in url:
                figures.pull_ms.append(ms)

    client_module._request = request
    try:
        yield
    finally:
        client_module._request = saved


# ---- the terminals ---------------------------------------------------------------------------------


def _admin_token(club: ServerClub) -> str:
    db = ServerDatabase(club.url)
    try:
        return db.write(
            lambda conn: create_admin_token(conn, "load bench", "admin", time.time_ns() // 1000)[1]
        )
    finally:
        db.dispose()


def _code(base_url: str, token: str) -> str:
    response = requests.post(
        base_url + "/v1/admin/enrollment-codes",
        json={"branch_code": BRANCH_CODE},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if response.status_code >= 300:
        raise SyncBenchError(f"no enrolment code: HTTP {response.status_code} {response.text[:200]}")
    return str(response.json()["code"])


def _empty_store(work_dir: Path) -> Path:
    """A new terminal store, migrated once and copied into every terminal's folder: Alembic's upgrade is
    not for threads (its proxies are module globals), and two hundred upgrades would cost a minute."""
    folder = work_dir / "empty-till"
    db = Database.open(folder)
    with db.engine.connect() as conn:  # fold the WAL into the file, so a copy of the file is whole
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return folder / DB_FILENAME


def _enrol(n: int, base_url: str, token: str, work_dir: Path, members: list[str]) -> Till:
    """One terminal: enrolled (its first pull), one sale to each of its members, a round (push, pull,
    grants for those members)."""
    data_dir = work_dir / f"till-{n:03d}"
    data_dir.mkdir(parents=True)
    shutil.copyfile(work_dir / "empty-till" / DB_FILENAME, data_dir / DB_FILENAME)
    _enrollment, terminal = enroll_device(
        data_dir,
        server_url=base_url,
        code=_code(base_url, token),
        server=HttpEnrollment(),
        catch_up=lambda db: SyncClient(db).pull(),
        device_name=f"load {n}",
    )
    client = SyncClient(terminal.db, clock=terminal.clock, random_fn=random.Random(n).random)
    till = Till(n, data_dir, terminal, client, members)
    for member in members:
        record_sale(terminal, SaleRequest(member, 30_000_000))
    summary = client.sync_round()
    if not summary.ok or summary.grants < len(members):
        raise SyncBenchError(f"terminal {n}'s first round: {summary.as_dict()}")
    return till


def _offline_sales(till: Till, everyone: list[str], sizes: LoadSizes, rng: random.Random) -> tuple[int, int]:
    """The outage at one terminal: spends on the grants, then earning sales; (entries, spends refused)."""
    terminal, made, refused = till.terminal, 0, 0
    for s in range(sizes.spends):
        request = SaleRequest(
            till.members[s % len(till.members)], 5_000_000, redeem_points=rng.randint(1, 20)
        )
        try:
            made += len(record_sale(terminal, request).entry_ids)
        except ClubError:
            refused += 1  # beyond what the grant lets this terminal spend offline: nothing written
    now_us = time.time_ns() // 1000
    done = 0
    while done < sizes.sales:
        drafts = []
        for _ in range(min(WRITE_CHUNK, sizes.sales - done)):
            amount = rng.randrange(100_000, 10_000_000, 1_000)
            at_us = now_us + done
            drafts.append(
                EntryDraft(
                    id=str(uuid7(at_us // 1000, rng.randbytes(10))),
                    created_at_us=at_us,
                    branch_id=BRANCH_ID,
                    member_id=rng.choice(everyone),
                    kind=EntryKind.EARN,
                    points_delta=amount // 100_000,
                    sale_amount=amount,
                    invoice_ref=f"L{till.n}-{done}",
                )
            )
            done += 1
        with terminal.db.write() as conn:
            ledger.append(conn, terminal.device_id, drafts)
    return made + sizes.sales, refused


def _come_back(till: Till, release: threading.Event, figures: LoadFigures, lock: threading.Lock) -> None:
    """Push and pull until synced, backing off after a failed step as a terminal's sync loop does."""
    client = till.client
    backoff = Backoff(base_s=0.5, cap_s=10.0, random_fn=random.Random(1_000 + till.n).random)
    deadline = time.monotonic() + SYNC_DEADLINE_S
    release.wait()
    pushed = False
    while time.monotonic() < deadline:
        try:
            if not pushed:
                summary = client.push()
                with lock:
                    figures.accepted += summary.pushed
                pushed = True
                till.done_push_at = time.perf_counter()
            client.pull()
            if client.status().synced:
                return
            pushed = False  # something is still unanswered: push again
        except SyncError as error:
            with lock:
                figures.failed_rounds += 1
                key = f"{error.code}: {error.params.get('detail', '')}"
                figures.failures[key] = figures.failures.get(key, 0) + 1
            time.sleep(backoff.failed(error.retry_after_s))
    raise SyncBenchError(f"terminal {till.n} did not sync within {SYNC_DEADLINE_S:.0f} s")


def _final_pull(till: Till, figures: LoadFigures, lock: threading.Lock) -> None:
    backoff = Backoff(base_s=0.5, cap_s=10.0, random_fn=random.Random(2_000 + till.n).random)
    for _ in range(20):
        try:
            till.client.pull()
            return
        except SyncError as error:
            with lock:
                figures.failed_rounds += 1
            time.sleep(backoff.failed(error.retry_after_s))
    raise SyncBenchError(f"terminal {till.n}'s last pull kept failing")


def _progress(
    running: list[Future[None]], tills: list[Till], started: float, say: Callable[[str], None]
) -> None:
    """Wait for every terminal to sync, saying how many have every PROGRESS_EVERY_S; the first failure is
    raised."""
    while True:
        finished, _ = wait(running, timeout=PROGRESS_EVERY_S, return_when=FIRST_EXCEPTION)
        for done in finished:
            done.result()
        if len(finished) == len(running):
            return
        pushed = sum(1 for till in tills if till.done_push_at)
        say(f"  … {time.perf_counter() - started:.0f} s: {pushed} terminals pushed, {len(finished)} synced")


def _together(tills: list[Till], work: Callable[[Till], None]) -> None:
    """`work` for every terminal at once, a thread each; the first failure is raised."""
    with ThreadPoolExecutor(len(tills), thread_name_prefix="till") as pool:
        for done in [pool.submit(work, till) for till in tills]:
            done.result()


# ---- the checks ------------------------------------------------------------------------------------


def check(lab: ServerLab, club: ServerClub, tills: list[Till]) -> Checks:
    """Every entry on the server exactly once, nothing set aside, balances equal everywhere."""
    result = Checks()
    devices = [till.terminal.device_id for till in tills]
    with lab.connect(club) as conn:
        rows = conn.execute(
            "SELECT id, device_id FROM ledger_entry WHERE device_id = ANY(%s)", (devices,)
        ).fetchall()
        result.set_aside = conn.execute("SELECT count(*) FROM rejected_entry").fetchone()[0]
        balances = {
            r[0]: (int(r[1]), int(r[2]))
            for r in conn.execute("SELECT member_id, points, wallet_rials FROM member_balance").fetchall()
        }
        sums = {
            r[0]: (int(r[1]), int(r[2]))
            for r in conn.execute(
                "SELECT member_id, SUM(points_delta), SUM(cash_delta) FROM ledger_entry GROUP BY member_id"
            ).fetchall()
        }
    result.server_entries = len(rows)
    on_server: dict[str, set[str]] = {d: set() for d in devices}
    for entry_id, device_id in rows:
        on_server[device_id].add(str(entry_id))
    result.twice = len(rows) - sum(len(ids) for ids in on_server.values())
    result.server_sums_differ = sum(1 for m, b in balances.items() if sums.get(m, (0, 0)) != b)
    for till in tills:
        with till.terminal.db.read() as conn:
            own = {e.id for e in ledger.iter_device(conn, till.terminal.device_id)}
            for member_id, balance in balances.items():
                held = ledger.balance(conn, member_id)
                result.balances_differ += (held.points, held.wallet_rials) != balance
            result.members_compared += len(balances)
        result.terminal_entries += len(own)
        result.lost += len(own - on_server[till.terminal.device_id])
        result.foreign += len(on_server[till.terminal.device_id] - own)
        status = till.client.status()
        result.not_synced += not (status.synced and status.unsynced == 0 and status.rejected == 0)
    return result


# ---- the run ---------------------------------------------------------------------------------------


def _all_come_back(
    lab: ServerLab,
    club: ServerClub,
    *,
    server: ServerProcess,
    tills: list[Till],
    figures: LoadFigures,
    say: Callable[[str], None],
) -> None:
    """Every terminal at once, released together: push and pull until synced, then a last pull each;
    the server's memory and its database's connections and lock waits sampled meanwhile."""
    assert server.pid is not None
    figures.rss_idle_mb = tree_rss_mb(server.pid)
    release, lock = threading.Event(), threading.Lock()
    with lab.connect(club) as probe, RssSampler(server.pid, probe) as rss, timed_requests(figures):
        with ThreadPoolExecutor(len(tills), thread_name_prefix="till") as pool:
            running = [pool.submit(_come_back, till, release, figures, lock) for till in tills]
            time.sleep(0.2)  # every thread at its start line (a head start would not change the load)
            started = time.perf_counter()
            release.set()
            _progress(running, tills, started, say)
        figures.push_s = max(till.done_push_at for till in tills) - started
        _together(tills, lambda till: _final_pull(till, figures, lock))
        figures.synced_s = time.perf_counter() - started
    figures.rss_peak_mb = rss.peak_mb
    figures.lock_waits_peak, figures.connections_peak = rss.lock_waits_peak, rss.connections_peak
    figures.lock_wait_share = rss.samples_waiting / max(1, rss.samples)
    figures.waiting_statements = dict(sorted(rss.waiting_statements.items(), key=lambda kv: -kv[1])[:3])


def run_load(lab: ServerLab, work_dir: Path, sizes: LoadSizes, say: Callable[[str], None]) -> LoadFigures:
    """The scenario above; the figures, with `checks` filled in (the caller decides what a failure is)."""
    figures = LoadFigures(sizes)
    rng = random.Random(1404)
    club = lab.club()
    everyone = seed_members(lambda: lab.connect(club), sizes.members)
    token = _admin_token(club)
    server = ServerProcess(club.url, log_dir=work_dir, workers=sizes.workers, serve_args=sizes.serve_args)
    club.process = server  # the lab stops it whatever happens
    try:
        server.start()
    except ServerStartError as error:
        raise SyncBenchError(f"the club server would not start: {error}") from None
    tills: list[Till] = []
    try:
        started = time.perf_counter()
        _empty_store(work_dir)
        picks = [
            rng.sample(everyone, min(sizes.members_per_terminal, len(everyone)))
            for _ in range(sizes.terminals)
        ]
        with ThreadPoolExecutor(ENROL_THREADS, thread_name_prefix="enrol") as pool:
            tills = list(
                pool.map(
                    lambda n: _enrol(n, server.base_url, token, work_dir, picks[n]), range(sizes.terminals)
                )
            )
        figures.enrol_s = time.perf_counter() - started
        say(f"  {sizes.terminals} terminals enrolled, sold to and synced in {figures.enrol_s:.1f} s")

        server.stop()  # the outage
        for till in tills:
            made, refused = _offline_sales(till, everyone, sizes, random.Random(till.n))
            figures.offline_entries += made
            figures.spends_refused += refused
        say(f"  offline: {figures.offline_entries:,} entries recorded ({figures.spends_refused} spends"
            " the grants did not cover)")  # fmt: skip

        server.start()
        _all_come_back(lab, club, server=server, tills=tills, figures=figures, say=say)
        figures.retries = sum(till.client.retried for till in tills)
        figures.checks = check(lab, club, tills)
    finally:
        for till in tills:
            till.client.session.close()
            till.client.spend_session.close()
            till.terminal.db.close()
        server.stop()
    return figures


def report(f: LoadFigures, say: Callable[[str], None]) -> dict[str, object]:
    """Print the figures and return them for the JSON."""
    s = f.sizes
    push, pull = (
        summary_us([int(ms * 1e6) for ms in f.push_ms]),
        summary_us([int(ms * 1e6) for ms in f.pull_ms]),
    )
    push_ms = {k: round(v / 1000, 1) for k, v in push.items()}
    pull_ms = {k: round(v / 1000, 1) for k, v in pull.items()}
    c = f.checks
    say(f"load              {f.entries_per_s:9.0f} entries/s accepted   ({f.accepted:,} from {s.terminals}"
        f" terminals at once in {f.push_s:.1f} s; all synced in {f.synced_s:.1f} s; {s.workers} workers,"
        f" pool {s.db_pool}+{s.db_overflow} each)")  # fmt: skip
    say(f"  push request    p50 {push_ms['p50']:8.1f} ms   p99 {push_ms['p99']:8.1f} ms   max"
        f" {push_ms['max']:8.1f} ms   ({len(f.push_ms):,} requests)")  # fmt: skip
    say(f"  pull request    p50 {pull_ms['p50']:8.1f} ms   p99 {pull_ms['p99']:8.1f} ms   max"
        f" {pull_ms['max']:8.1f} ms   ({len(f.pull_ms):,} requests)")  # fmt: skip
    say(
        f"  server RSS      peak {f.rss_peak_mb:.0f} MB (idle {f.rss_idle_mb:.0f} MB; supervisor and workers)"
    )
    say(f"  database        peak {f.connections_peak} connections, {f.lock_waits_peak} waiting for a lock at"
        f" once; a lock wait in {f.lock_wait_share:.0%} of the samples")  # fmt: skip
    for statement, seen in f.waiting_statements.items():
        say(f"    waiting in {seen} samples: {statement}")
    say(
        f"  retries         {f.retries} requests sent again, {f.failed_rounds} steps failed and backed off"
        + (f" ({', '.join(f'{k} ×{v}' for k, v in sorted(f.failures.items()))})" if f.failures else "")
    )
    say(f"  CHECK           {'ok' if c.ok else 'FAILED'}: {c.server_entries:,} entries on the server,"
        f" {c.terminal_entries:,} on the terminals, {c.lost} lost, {c.twice} twice, {c.foreign} unknown,"
        f" {c.set_aside} set aside; {c.members_compared:,} terminal balances compared,"
        f" {c.balances_differ} differ; {c.not_synced} terminals not synced")  # fmt: skip
    return {
        "load_terminals": s.terminals,
        "load_workers": s.workers,
        "load_db_pool": s.db_pool,
        "load_db_overflow": s.db_overflow,
        "load_entries": f.accepted,
        "load_entries_per_s": round(f.entries_per_s, 1),
        "load_push_s": round(f.push_s, 2),
        "load_synced_s": round(f.synced_s, 2),
        "load_push_requests": len(f.push_ms),
        "load_push_p50_ms": push_ms["p50"],
        "load_push_p99_ms": push_ms["p99"],
        "load_pull_requests": len(f.pull_ms),
        "load_pull_p50_ms": pull_ms["p50"],
        "load_pull_p99_ms": pull_ms["p99"],
        "load_server_rss_peak_mb": round(f.rss_peak_mb, 1),
        "load_server_rss_idle_mb": round(f.rss_idle_mb, 1),
        "load_db_connections_peak": f.connections_peak,
        "load_lock_waits_peak": f.lock_waits_peak,
        "load_lock_wait_share": round(f.lock_wait_share, 3),
        "load_retries": f.retries,
        "load_failed_steps": f.failed_rounds,
        "load_spends_refused": f.spends_refused,
        "load_check_ok": c.ok,
        "load_check_entries_on_server": c.server_entries,
        "load_check_balances_compared": c.members_compared,
    }


def run(work_dir: Path, sizes: LoadSizes, say: Callable[[str], None]) -> dict[str, object]:
    """The load figures on a lab of their own; SyncBenchError when PostgreSQL is missing or a check
    failed (after the figures are printed)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with ServerLab(work_dir) as lab:
        figures = run_load(lab, work_dir, sizes, say)
    result = report(figures, say)
    if not figures.checks.ok:
        raise SyncBenchError(f"the load check failed: {figures.checks}")
    return result
