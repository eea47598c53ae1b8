# SPDX-License-Identifier: GPL-3.0-or-later
"""Three tills, one club server on a real PostgreSQL, a network that misbehaves: nothing lost, nothing
counted twice.

A hypothesis state machine drives the tills through sales, redemptions (online, on a grant, or by a
manager's override), returns and member enrolments in any interleaving with sync rounds through the
fault-injecting proxy (requests and answers dropped, duplicated, delayed, reordered, cut mid-body), till
crashes (after a commit and before any push; after the server answered a push and before the till wrote
the answer down) and server restarts (a clean stop, or SIGKILL). After a quiet round — the network is
fine and every till syncs until it says "synced" — every till's balance for every member equals the
server's, the server's equals the sum of its ledger, and every entry made anywhere is in the server's
ledger exactly once.

The same machine runs on two server processes on one database (each behind its own proxy, the tills split
between them, restarts and kills hitting either: the server keeps no state outside PostgreSQL), and on
two servers whose pulls read a streaming replica of the database (tests/support/postgres.py's
PostgresReplica; the pull reads the replica only when it holds what the till has seen, sync.server.pull).

A "crash" here is the till's process dying at that point: its objects are dropped and it starts again on
the same data folder. SQLite has committed what the till showed as done and nothing else;
tests/sync/test_killed_terminal.py does the same with a real SIGKILL at random moments.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from app.domain.errors import ClubError
from app.domain.event import Event, Verdict
from app.services import door
from app.services.checkout import SaleRequest, record_sale
from app.services.device_enrollment import enroll_device
from app.services.enroll import EnrollRequest, enroll_member
from app.services.ledger_check import verify_ledger
from app.services.returns import ReturnRequest, return_sale
from app.services.spending import SpendOverride
from app.services.staff_auth import authenticate
from app.services.terminal import Terminal, open_terminal
from app.store import ledger
from sync.client import HttpEnrollment, Retries, SyncClient
from sync.server.db import Database as ServerDatabase
from sync.server.pull import READ_FROM_HEADER
from tests.integration.sync.conftest import MANAGER_NAME, MANAGER_PIN, THR, ClubServer, _install_club
from tests.support.fault_proxy import FaultProxy
from tests.support.postgres import PostgresCluster, PostgresReplica, PostgresUnavailableError, unavailable
from tests.support.server_process import ServerProcess

TILLS = 3
BRANCHES = ("THR", "ISF", "THR")
STARTING_MEMBERS = 4
# Faults for one sync round; "pass" weighs in so that rounds also get through now and then.
FAULTS = [
    "pass", "pass", "drop_request", "drop_response", "duplicate", "delay:30", "reorder",
    "cut_response", "cut_request",
]  # fmt: skip
QUIET_ROUNDS = 6
HOUR_US = 3600 * 1_000_000
TIERS = ("bronze", "silver")


def event(label: str) -> None:
    """Counted in hypothesis's statistics when a run of the machine is a test (not when a plain test
    borrows the machine, where hypothesis refuses events)."""
    if currently_in_test_context():
        hypothesis_event(label)


class TillCrashedError(Exception):
    """The till's process dies at this point."""


# ---- the club server, on a PostgreSQL database copied from a template per run ----------------------


@dataclass
class Club:
    cluster: PostgresCluster
    template_url: str
    admin_token: str
    member_ids: list[str]


def _make_template(cluster: PostgresCluster, log_dir: Path) -> Club:
    url = cluster.create_database()
    db = ServerDatabase(url)
    token = _install_club(db)
    db.dispose()
    process = ServerProcess(url, log_dir=log_dir)
    with process:
        server = ClubServer(process, token)
        server.add_manager()
        members = [
            server.admin(
                "POST", "/members", json={"name": f"Member {n}", "phone": f"0912000{n:04d}", "branch_id": THR}
            )["id"]
            for n in range(STARTING_MEMBERS)
        ]
    return Club(cluster, url, token, members)


@pytest.fixture(scope="module")
def club(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Club]:
    cluster = PostgresCluster()
    try:
        cluster.ensure_running()
    except PostgresUnavailableError as error:
        unavailable(str(error))
    made = _make_template(cluster, tmp_path_factory.mktemp("template-server"))
    try:
        yield made
    finally:
        cluster.drop_database(made.template_url)


# ---- the tills ---------------------------------------------------------------------------------------


@dataclass
class Till:
    data_dir: Path
    terminal: Terminal
    client: SyncClient
    made: set[str] = field(default_factory=set)  # ids of every entry this till recorded
    invoices: list[str] = field(default_factory=list)

    def restart(self) -> None:
        """The process died: start again from what is on disk."""
        self.terminal.db.close()
        self.client.session.close()
        self.client.spend_session.close()
        self.terminal = open_terminal(self.data_dir)
        self.client = SyncClient(self.terminal.db, clock=self.terminal.clock)

    def close(self) -> None:
        self.client.session.close()
        self.client.spend_session.close()
        self.terminal.db.close()


def _points(till: Till, member_id: str) -> tuple[int, int]:
    with till.terminal.db.read() as conn:
        balance = ledger.balance(conn, member_id)
    return balance.points, balance.wallet_rials


class OfflineTerminals(RuleBasedStateMachine):
    """One run: a fresh server database, `servers` server processes on it (with a read replica if one is
    given), a proxy in front of each, three enrolled tills split between them."""

    members = Bundle("members")

    def __init__(
        self, club: Club, work_dir: Path, *, servers: int = 1, replica: PostgresReplica | None = None
    ) -> None:
        super().__init__()
        self.club = club
        self.work_dir = work_dir
        self.replica = replica
        self.db_url = club.cluster.create_database(template=_template_name(club.template_url))
        serve_args: list[str] = []
        if replica is not None:
            replica.wait_caught_up()  # the new database is there before the first pull
            serve_args = ["--db-read", replica.url(self.db_url)]
        self.servers = [
            ServerProcess(self.db_url, log_dir=work_dir, serve_args=serve_args) for _ in range(servers)
        ]
        self.proxies = []
        for server in self.servers:
            server.start()
            self.proxies.append(
                FaultProxy(upstream=("127.0.0.1", server.port), reorder_timeout_s=0.2).start()
            )
        self.tills = [self._enroll(n) for n in range(TILLS)]
        self.manager = authenticate(self.tills[0].terminal, MANAGER_NAME, MANAGER_PIN)
        self.party: str | None = None  # the event the doors work at, once the machine set it up

    @property
    def server(self) -> ServerProcess:
        return self.servers[0]

    @property
    def proxy(self) -> FaultProxy:
        return self.proxies[0]

    def _proxy_of(self, till: int) -> FaultProxy:
        return self.proxies[till % len(self.proxies)]

    def _enroll(self, n: int) -> Till:
        admin = ClubServer(self.servers[n % len(self.servers)], self.club.admin_token)
        data_dir = self.work_dir / f"till-{n}"
        _enrollment, terminal = enroll_device(
            data_dir,
            server_url=self._proxy_of(n).url,  # every later request of this till goes through its proxy
            code=admin.code(BRANCHES[n]),
            server=HttpEnrollment(),
            catch_up=lambda db: SyncClient(db).pull(),
        )
        return Till(data_dir, terminal, SyncClient(terminal.db, clock=terminal.clock))

    def teardown(self) -> None:
        for till in self.tills:
            till.close()
        for proxy in self.proxies:
            proxy.stop()
        for server in self.servers:
            server.stop()
        self.club.cluster.drop_database(self.db_url)

    # ---- members

    @initialize(target=members)
    def starting_members(self) -> object:
        """Members with points at every till, and grants to spend them offline."""
        for till in self.tills:
            for member_id in self.club.member_ids:
                self._sell(till, SaleRequest(member_id, 30_000_000))
        # a party a manager sets up at the first till (pushed as an outbox item), every tier invited
        now = self.tills[0].terminal.clock.now_us()
        self.party = door.save_event(
            self.tills[0].terminal,
            self.manager,
            Event(self.tills[0].terminal.new_id(), "Party", now, now + 6 * HOUR_US, invited_tiers=TIERS),
        ).id
        for _ in range(2):
            for till in self.tills:
                assert till.client.sync_round().ok
        return multiple(*self.club.member_ids)

    @rule(target=members, till=st.integers(0, TILLS - 1), n=st.integers(0, 10**6))
    def enroll_member_offline(self, till: int, n: int) -> object:
        # the same phone at two offline tills is allowed by design (alerted on the server)
        phone = f"0935{n % 10_000_000:07d}"
        request = EnrollRequest(name=f"New {n}", phone=phone)
        with contextlib.suppress(ClubError):  # a duplicate this till can see is refused: fine
            return enroll_member(self.tills[till].terminal, request).member.id
        return multiple()

    # ---- the counter

    def _sell(self, till: Till, request: SaleRequest, online: bool = False) -> None:
        kind = "override" if request.override else "online" if online else "offline"
        try:
            result = record_sale(till.terminal, request, authoriser=till.client if online else None)
        except ClubError as error:
            # refused (over the grant, the cap, the balance; unreachable; restricted): nothing written
            event(f"sale refused ({kind}): {error.code}")
            return
        event(f"sale recorded ({kind}, {'redeem' if request.redeem_points else 'earn only'})")
        till.made.update(result.entry_ids)
        till.invoices.append(result.invoice_ref)

    @rule(till=st.integers(0, TILLS - 1), member=members, amount=st.integers(100_000, 50_000_000))
    def sale(self, till: int, member: str, amount: int) -> None:
        self._sell(self.tills[till], SaleRequest(member, amount))

    @rule(
        till=st.integers(0, TILLS - 1),
        member=members,
        amount=st.integers(1_000_000, 20_000_000),
        points=st.integers(1, 400),
        online=st.booleans(),
    )
    def redeem(self, till: int, member: str, amount: int, points: int, online: bool) -> None:
        self._sell(self.tills[till], SaleRequest(member, amount, redeem_points=points), online=online)

    @rule(
        till=st.integers(0, TILLS - 1),
        member=members,
        amount=st.integers(1_000_000, 20_000_000),
        points=st.integers(1, 400),
    )
    def redeem_with_override(self, till: int, member: str, amount: int, points: int) -> None:
        override = SpendOverride(self.manager, "regular customer, card at home")
        self._sell(self.tills[till], SaleRequest(member, amount, redeem_points=points, override=override))

    @rule(till=st.integers(0, TILLS - 1), data=st.data())
    def return_goods(self, till: int, data: st.DataObject) -> None:
        seller = self.tills[data.draw(st.integers(0, TILLS - 1))]  # goods come back at any branch
        if not seller.invoices:
            return
        invoice = data.draw(st.sampled_from(seller.invoices))
        amount = data.draw(st.none() | st.integers(1, 10_000_000))
        try:
            result = return_sale(self.tills[till].terminal, ReturnRequest(invoice, amount))
        except ClubError:
            return  # unknown here yet, already returned in full, more than is left …
        self.tills[till].made.update(result.entry_ids)

    # ---- the network, crashes, restarts

    @rule(till=st.integers(0, TILLS - 1), faults=st.lists(st.sampled_from(FAULTS), max_size=3))
    def sync(self, till: int, faults: list[str]) -> None:
        proxy = self._proxy_of(till)
        proxy.script(faults)
        summary = self.tills[till].client.sync_round()  # a failed round is normal: the next one resumes
        event("sync round ok" if summary.ok else "sync round failed")
        proxy.pass_through()

    @rule(till=st.integers(0, TILLS - 1))
    def crash_after_commit(self, till: int) -> None:
        self.tills[till].restart()

    @rule(till=st.integers(0, TILLS - 1))
    def crash_between_push_and_acknowledgement(self, till: int) -> None:
        client = self.tills[till].client

        def die(_request: object, _response: object) -> None:
            raise TillCrashedError

        client._on_push_answered = die  # type: ignore[method-assign]
        with contextlib.suppress(TillCrashedError, ClubError):
            client.push()
        self.tills[till].restart()

    @rule(kill=st.booleans(), which=st.integers(0, 1))
    def restart_server(self, kill: bool, which: int) -> None:
        server = self.servers[which % len(self.servers)]
        if kill:
            server.kill()
            server.start()
        else:
            server.restart()

    # ---- the door

    @rule(till=st.integers(0, TILLS - 1), member=members, plus_one=st.booleans())
    def check_in(self, till: int, member: str, plus_one: bool) -> None:
        """A door at a till: two tills offline may both admit one member (flagged at sync, kept)."""
        assert self.party is not None
        admit = door.admit_plus_one if plus_one else door.admit_member
        try:
            result = admit(self.tills[till].terminal, self.party, member, self.manager)
        except ClubError as error:  # the party or the member has not reached this till yet
            event(f"check-in refused: {error.code}")
            return
        event(f"door: {result.verdict.value}{' (plus-one)' if plus_one else ''}")
        if result.check_in is not None and result.verdict is Verdict.ADMIT:
            self.tills[till].made.add(result.check_in.entry_id)

    # ---- what must hold

    @invariant()
    def every_till_ledger_holds(self) -> None:
        for till in self.tills:
            report = verify_ledger(till.terminal.db)
            assert report.ok, report

    def check_agreement(self) -> None:
        self._quiet_round()
        server_balances, ledger_sums, server_entries, rejected = _server_state(self.db_url)
        assert rejected == [], f"the server set aside entries that happened: {rejected}"
        for member_id, balance in server_balances.items():
            assert ledger_sums.get(member_id, (0, 0)) == balance, f"server balance ≠ its ledger: {member_id}"
        made = set().union(*(till.made for till in self.tills))
        ours = {entry_id for entry_id, device in server_entries.items() if device in self._devices()}
        assert made <= ours, f"entries lost on the way: {sorted(made - ours)[:5]}"
        assert ours == self._own_entries() == made, "the server holds entries no till made"
        for till in self.tills:
            status = till.client.status()
            assert status.synced and status.unsynced == 0 and status.rejected == 0, status
            for member_id, balance in server_balances.items():
                assert _points(till, member_id) == balance, f"{till.data_dir.name} disagrees on {member_id}"
        self._doors_agree()
        if self.replica is not None:
            self._pulls_read_the_replica()

    def _pulls_read_the_replica(self) -> None:
        """Quiet and caught up, every till's pull is answered by the replica (the primary is not merely
        always chosen)."""
        assert self.replica is not None
        self.replica.wait_caught_up()
        for till in self.tills:
            params = {"since": till.client.status().cursor}
            response = till.client._call("GET", "/v1/sync/pull", params=params)
            assert response.headers[READ_FROM_HEADER] == "replica", till.data_dir.name

    def _doors_agree(self) -> None:
        """Every door shows the server's merged count; members two doors let in are flagged everywhere."""
        if self.party is None:
            return
        admin = ClubServer(self.server, self.club.admin_token)
        attendance = admin.admin("GET", f"/events/{self.party}/attendance")
        doubly = {c["member_id"] for c in attendance["check_ins"] if c["double_admission"]}
        alerted = {a["member_id"] for a in admin.admin("GET", "/alerts", params={"kind": "double_admission"})}
        assert doubly <= alerted, "a double admission was not alerted"
        for till in self.tills:
            assert door.door_counts(till.terminal, self.party).admitted == attendance["admitted"]
            flagged = {r.member_id for r in door.guest_list(till.terminal, self.party) if r.admitted_twice}
            assert flagged == doubly, f"{till.data_dir.name} flags {flagged}, the server {doubly}"

    def _quiet_round(self) -> None:
        for proxy, server in zip(self.proxies, self.servers, strict=True):
            proxy.pass_through()
            server.start()  # no-op when running
        for _ in range(QUIET_ROUNDS):
            summaries = [till.client.sync_round() for till in self.tills]
            if all(s.ok for s in summaries) and all(t.client.status().synced for t in self.tills):
                break
        if self.replica is not None:
            # quiet means the replica has caught up too: a till reads another's last push only once it
            # is there (its own pushes it reads at once, waiting for the replica or from the primary)
            self.replica.wait_caught_up()
        for till in self.tills:  # each till sees what the others pushed after its last pull
            assert till.client.sync_round().ok

    def _devices(self) -> set[str]:
        return {till.terminal.device_id for till in self.tills}

    def _own_entries(self) -> set[str]:
        found: set[str] = set()
        for till in self.tills:
            with till.terminal.db.read() as conn:
                found |= {e.id for e in ledger.iter_device(conn, till.terminal.device_id)}
        return found


def _template_name(url: str) -> str:
    return url.split("?", maxsplit=1)[0].rsplit("/", maxsplit=1)[-1]


def _server_state(
    db_url: str,
) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]], dict[str, str], list[tuple[str, str]]]:
    """(balances, per-member sums of the ledger, entry id → device, set-aside entries (reason, body)) on
    the server."""
    db = ServerDatabase(db_url)
    try:
        with db.engine.connect() as conn:
            balances = {
                r[0]: (int(r[1]), int(r[2]))
                for r in conn.exec_driver_sql("SELECT member_id, points, wallet_rials FROM member_balance")
            }
            sums = {
                r[0]: (int(r[1]), int(r[2]))
                for r in conn.exec_driver_sql(
                    "SELECT member_id, SUM(points_delta), SUM(cash_delta) FROM ledger_entry"
                    " GROUP BY member_id"
                )
            }
            entries = dict(conn.exec_driver_sql("SELECT id, device_id FROM ledger_entry").all())
            rejected = conn.exec_driver_sql("SELECT reason, body FROM rejected_entry").all()
    finally:
        db.dispose()
    return balances, sums, {str(k): str(v) for k, v in entries.items()}, [tuple(r) for r in rejected]


def _run_machine(
    club: Club, tmp_path: Path, examples: int, *, servers: int = 1, replica: PostgresReplica | None = None
) -> None:
    runs = iter(range(10_000))

    class Run(OfflineTerminals):
        def __init__(self) -> None:
            work_dir = tmp_path / f"run-{next(runs)}"
            work_dir.mkdir()
            super().__init__(club, work_dir, servers=servers, replica=replica)

        def teardown(self) -> None:
            try:
                self.check_agreement()
            finally:
                super().teardown()

    run_state_machine_as_test(
        Run,
        settings=settings(
            max_examples=examples,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_offline_terminals_agree_with_the_server_whatever_the_network_does(club: Club, tmp_path: Path):
    _run_machine(club, tmp_path, examples=6)


def test_offline_terminals_agree_through_two_server_processes(club: Club, tmp_path: Path):
    """Tills split over two `serve` processes on one database, either restarted or killed at any step:
    the same agreement, so nothing the server relies on lives in one process."""
    _run_machine(club, tmp_path, examples=3, servers=2)


def test_offline_terminals_agree_through_two_servers_reading_a_replica(
    club: Club, tmp_path: Path, postgres_replica: PostgresReplica
):
    """The same with both servers' pulls reading a streaming replica of the database."""
    _run_machine(club, tmp_path, examples=3, servers=2, replica=postgres_replica)


def test_the_proxy_really_faults(club: Club, tmp_path: Path):
    """The machine's faults are real: a dropped answer is a connection error for the till."""
    machine = OfflineTerminals(club, tmp_path)
    try:
        till = machine.tills[0]
        machine._sell(till, SaleRequest(club.member_ids[0], 5_000_000))
        assert till.made
        machine.proxy.script(["drop_response"] * Retries().attempts)  # every try the client makes of it
        assert not till.client.sync_round().ok
        assert any(r.fault == "drop_response" for r in machine.proxy.records)
        with pytest.raises(requests.ConnectionError):
            machine.proxy.script(["drop_request"])
            requests.get(machine.proxy.url + "/v1/health", timeout=5)
        machine.check_agreement()
    finally:
        machine.teardown()
