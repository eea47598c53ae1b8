# SPDX-License-Identifier: GPL-3.0-or-later
"""Club servers for the sync figures: real `bashgah-server` processes on fresh PostgreSQL databases.

`ServerLab` starts the machine's PostgreSQL cluster if it is not running (tests.support.postgres), makes
a fresh database per figure (`club()`: `bashgah-server db upgrade`, then a tier and a branch through the
server's own club code and an enrolment code from its CLI), starts server processes on loopback, and in
`drop_all` (also on leaving its `with` block) stops every process it started and drops every database it
made. A missing PostgreSQL is a `SyncBenchError` with the reason.

`seed_members` bulk-loads members straight into the server's schema with COPY (the member rows, their
balance rows and one `member` change each, numbered after the counter, which is then moved past them):
what a club with that many members holds, made in seconds instead of a million admin calls.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.search_text import reversed_digits, search_key
from app.services.device_enrollment import enroll_device
from app.services.terminal import Terminal
from sync.client import HttpEnrollment, SyncClient
from sync.protocol import WireBranch, WireTier
from sync.server import club as server_club
from sync.server.db import Database as ServerDatabase
from sync.server.sequence import Publisher
from tests.support.postgres import PostgresCluster, PostgresUnavailableError
from tests.support.server_process import ServerProcess, server_command

BRANCH_ID = "01a0564b-bfc0-7506-b4f2-85639db8b001"
BRANCH_CODE = "B1"
TIER_CODE = "bronze"
EPOCH_US = 1_700_000_000 * 1_000_000
COPY_CHUNK = 20_000


class SyncBenchError(RuntimeError):
    """The sync figures cannot be measured here (PostgreSQL missing, a server that would not start)."""


@dataclass
class ServerClub:
    """One fresh database with the bench club, and a server process on it once `serve`d."""

    url: str
    dbname: str
    process: ServerProcess | None = None

    @property
    def base_url(self) -> str:
        assert self.process is not None
        return self.process.base_url


def server_cli(url: str, *args: str) -> str:
    """`bashgah-server --db URL ARGS…`; its stdout, or SyncBenchError with its stderr."""
    done = subprocess.run(
        [*server_command(), "--db", url, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SyncBenchError(f"bashgah-server {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


class ServerLab:
    """PostgreSQL databases and server processes made for one bench run; all gone after close()."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.cluster = PostgresCluster()
        self.clubs: list[ServerClub] = []
        try:
            self.cluster.ensure_running()
        except PostgresUnavailableError as error:
            raise SyncBenchError(f"they need PostgreSQL: {error}; or pass --no-sync") from None

    def __enter__(self) -> ServerLab:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.drop_all()

    def club(self) -> ServerClub:
        """A fresh, upgraded database holding the bench club (one tier, one branch)."""
        url = self.cluster.create_database()
        made = ServerClub(url, url.split("?", 1)[0].rsplit("/", 1)[-1])
        self.clubs.append(made)
        server_cli(url, "db", "upgrade")
        db = ServerDatabase(url)
        try:
            db.write(_install_club)
        finally:
            db.dispose()
        return made

    def serve(self, club: ServerClub, *serve_args: str) -> ServerProcess:
        process = ServerProcess(club.url, log_dir=self.log_dir, serve_args=serve_args)
        club.process = process
        try:
            process.start()
        except RuntimeError as error:
            raise SyncBenchError(f"the club server would not start: {error}") from None
        return process

    def connect(self, club: ServerClub) -> Any:
        """A psycopg 3 connection (autocommit) to the club's database, over the same unix socket."""
        return self.cluster.connect(club.dbname)

    def drop_all(self) -> None:
        """Stop every server process and drop every database made so far (the lab stays usable)."""
        for made in reversed(self.clubs):
            if made.process is not None:
                made.process.stop()
        for made in reversed(self.clubs):
            try:
                self.cluster.drop_database(made.url)
            except Exception as error:
                print(f"bench: could not drop {made.dbname}: {error}", flush=True)
        self.clubs.clear()


def _install_club(conn: Any) -> None:
    pub = Publisher(time.time_ns() // 1000)
    server_club.put_tier(conn, pub, WireTier(code=TIER_CODE, name_fa="برنزی", name_en="Bronze", rank=0))
    branch = WireBranch(
        id=BRANCH_ID, code=BRANCH_CODE, name_fa="شعبه مرکزی", name_en="Central", earn_points_per_unit=1,
        earn_rials_per_unit=100_000, redeem_rials_per_point=1_000, redeem_max_share_percent=50,
    )  # fmt: skip
    server_club.put_branch(conn, pub, branch)
    # the bench pushes a hundred thousand sales made in one hour by one terminal: a till's hourly ceilings
    # (sync.server.vetting.velocity) would set most aside, and the bench measures the accepting path
    for key in server_club.SERVER_SETTINGS:
        server_club.put_setting(conn, pub, key, str(10**12))
    pub.flush(conn)


def enrolment_code(club: ServerClub) -> str:
    """A one-time code for the bench branch, from the server's CLI."""
    return str(json.loads(server_cli(club.url, "--json", "enrollment-code", "--branch", BRANCH_CODE))["code"])


def enroll_terminal(club: ServerClub, data_dir: Path) -> Terminal:
    """An empty data dir enrolled with the running server through the real path (and its first pull)."""
    _enrollment, terminal = enroll_device(
        data_dir,
        server_url=club.base_url,
        code=enrolment_code(club),
        server=HttpEnrollment(),
        catch_up=lambda db: SyncClient(db).pull(),
        device_name="bench",
    )
    return terminal


# ---- members straight into the server's schema ----------------------------------------------------


def member_id(serial: int) -> str:
    """A version-7 UUID with the member's join time and its serial as the "random" bits (cheap to make
    a million of; app.domain.ids.uuid7 makes the same layout)."""
    ms = (EPOCH_US + serial * 30_000_000) // 1000
    return f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7000-8000-{serial:012x}"


def _wire_member(serial: int) -> tuple[str, str, int]:
    """A member's name, phone and join time, from its serial."""
    return f"عضو شماره {serial}", f"+989{100_000_000 + serial:09d}", EPOCH_US + serial * 30_000_000


def _member_chunk(ids: list[str], first: int, at_us: int) -> str:
    lines = []
    for offset, mid in enumerate(ids):
        name, phone, joined = _wire_member(first + offset)
        keys = f"{search_key(name)}\t{reversed_digits(phone)}"  # as members.put_member makes them
        lines.append(
            f"{mid}\t{name}\t{phone}\t{TIER_CODE}\t{BRANCH_ID}\t{joined}\t\\N\t\\N\t\\N\tf\t{at_us}\t{keys}\n"
        )
    return "".join(lines)


def _balance_chunk(ids: list[str], first: int, at_us: int) -> str:
    return "".join(f"{mid}\t0\t0\t0\t0\t0\tf\t0\n" for mid in ids)


def _change_chunk(ids: list[str], first: int, at_us: int, first_seq: int) -> str:
    lines = []
    for offset, mid in enumerate(ids):
        name, phone, joined = _wire_member(first + offset)
        wire = (
            f'{{"id":"{mid}","name":"{name}","phone":"{phone}","tier_code":"{TIER_CODE}",'
            f'"branch_id":"{BRANCH_ID}","joined_at_us":{joined},"birth_date":null,'
            f'"national_id_last4":null,"referrer_id":null,"consent_marketing":false}}'
        )
        lines.append(f'{first_seq + offset}\tmember\t{mid}\t{{"kind":"member","member":{wire}}}\t{at_us}\n')
    return "".join(lines)


_MEMBER_COPY = (
    "COPY member (id, name, phone, tier_code, branch_id, joined_at_us, birth_date, national_id_last4,"
    " referrer_id, consent_marketing, updated_at_us, name_key, phone_rev) FROM STDIN"
)
_BALANCE_COPY = (
    "COPY member_balance (member_id, points, wallet_rials, spend_rials, purchase_count, last_activity_us,"
    " restricted, lock_version) FROM STDIN"
)
_CHANGE_COPY = 'COPY "change" (seq, kind, member_id, body, at_us) FROM STDIN'


def copy_rows(connect: Callable[[], Any], statement: str, chunks: Iterator[str]) -> None:
    with connect() as conn, conn.transaction():
        # the rows are known to be valid: no per-row foreign-key triggers (the role is a superuser)
        conn.execute("SET LOCAL session_replication_role = replica")
        with conn.cursor() as cur, cur.copy(statement) as copy:
            for chunk in chunks:
                copy.write(chunk)


def seed_members(connect: Callable[[], Any], count: int, *, first_serial: int = 0) -> list[str]:
    """`count` members with their balance rows and `member` changes, as the server would publish them;
    returns their ids. The three tables load in parallel (connections from `connect`), their plain
    indexes dropped first and built again after; the counter moves past the new changes last. Not one
    transaction: nothing else uses the database meanwhile, and a failed seed fails the bench."""
    ids = [member_id(first_serial + n) for n in range(count)]
    at_us = time.time_ns() // 1000
    with connect() as conn:
        first_seq = conn.execute("SELECT value FROM sync_counter WHERE id = 1").fetchone()[0] + 1
        indexes = plain_indexes(conn, ("member", "member_balance", "change")) if count >= 50_000 else []
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')

    def chunks(make: Callable[..., str], *extra: int) -> Iterator[str]:
        for start in range(0, count, COPY_CHUNK):
            part = ids[start : start + COPY_CHUNK]
            yield make(part, first_serial + start, at_us, *(e + start for e in extra))

    loads = [
        (_MEMBER_COPY, chunks(_member_chunk)),
        (_BALANCE_COPY, chunks(_balance_chunk)),
        (_CHANGE_COPY, chunks(_change_chunk, first_seq)),
    ]
    with ThreadPoolExecutor(len(loads)) as pool:
        for done in [pool.submit(copy_rows, connect, statement, parts) for statement, parts in loads]:
            done.result()
    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(_run, connect, d) for _name, d in indexes]:
            done.result()
    with connect() as conn:
        conn.execute("UPDATE sync_counter SET value = %s WHERE id = 1", (first_seq - 1 + count,))
        # as autovacuum leaves a live server's tables after a bulk insert (PostgreSQL 13+ vacuums on
        # inserts too): without it, the first reader of the fresh rows (the bench's new terminal) pays for
        # setting every row's hint bits, writing the tables out again, and gets no index-only scans
        for table in ("member", "member_balance", '"change"'):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    return ids


def _run(connect: Callable[[], Any], statement: str) -> None:
    with connect() as conn:
        conn.execute(statement)


def plain_indexes(conn: Any, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX …) of the tables' indexes that back no constraint."""
    rows = conn.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
        " WHERE t.relname = ANY(%s) AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
        (list(tables),),
    ).fetchall()
    return [(str(name), str(definition)) for name, definition in rows]
