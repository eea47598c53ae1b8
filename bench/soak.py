# SPDX-License-Identifier: GPL-3.0-or-later
"""Thirty days offline: a busy branch's terminal cut off for a month, then back to a server that moved on.

A real `bashgah-server` process (PostgreSQL in the bench, bench.sync_club; SQLite in the slow test,
tests/integration/sync/test_thirty_days_offline.py: the same code with smaller numbers) and one terminal
with its own SQLite store, its clock injected (a clock the scenario moves: the month passes in minutes).

1. Online, on day 0: the club publishes its rule set (points expire after `days` − 2 days); the terminal
   enrols (the real path: a code, `enroll_device`, the first pull of the club's members), enrols its
   regulars with cards and photos (`enroll_member`), sells to each (`record_sale`) and syncs: the server
   knows them, and the terminal holds an offline grant for each.
2. Offline for `days` days, the clock moving through each: `sales_per_day` sales (`record_sale`: a few
   spend points on the offline grant, which covers three days; what it does not cover is refused, never
   written), one sale in `RETURN_EVERY` returned in part or whole (`return_sale`), members identified by
   card (`find_member`), enrolments with photos (`enroll_member`), and once a week an event at the door
   (`save_event`, `admit_member`).
3. Meanwhile the server: publishes a new rule-set version, revokes some of the regulars' cards, takes
   `new_members` new members, and runs the programme's daily chore as of the month's last day
   (`bashgah-server programme run --now`), which expires the points earned on day 0.
4. Back online: the catch-up (a caller's function: the real window with its sync worker in the bench,
   bench.soak_window, which also measures the UI thread; the same in the test), then rounds until the
   terminal says synced (photos go up 50 a round). Then the next day's run: it knows every offline spend
   now, and gives back what the month's run expired that the members had spent offline before it
   (app.domain.expiry.over_expired); a round pulls that to the terminal.

Checked (`SoakChecks`, a failure is an error): the terminal synced with nothing unsent or set aside on
either end; every member's balance (points and wallet) at the terminal equals the server's, and so does
the number of members; the terminal holds the new rule-set version and the server's expiry entries; each
revoked card is refused at the terminal; every offline spend was within its grant (in time and in points)
and no spend went past one; `bashgah ledger verify` passes; after the next day's run no member has points
over-expired (expired beyond the points they still held from before the cutoff) and not given back.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from app.domain import expiry
from app.domain.errors import ClubError
from app.domain.event import Event, Verdict
from app.domain.ledger import EntryKind
from app.domain.programme import BranchRules, CashbackRule
from app.domain.rules import EarningRule, RedemptionPolicy
from app.domain.staff import Role, Staff
from app.services import door
from app.services.checkout import SaleRequest, record_sale
from app.services.device_enrollment import enroll_device
from app.services.enroll import EnrollRequest, enroll_member
from app.services.identify import find_member
from app.services.ledger_check import verify_ledger
from app.services.photos import demo_photo
from app.services.returns import ReturnRequest, return_sale
from app.services.terminal import Terminal, open_terminal
from app.store import club, grants, ledger, members, programme
from sync.client import HttpEnrollment, SyncClient
from sync.rules import to_body
from sync.server.db import Database as ServerDatabase
from tests.support.programme import DAY_US, MovableClock, club_rules

RETURN_EVERY = 20
SPEND_SHARE = 0.3  # of the sales to a regular that try to spend points
OPEN_HOURS = 11
SOAK_PIN = "8642"
MAX_ROUNDS = 40  # after the catch-up, rounds until synced (photos go up 50 a round)


class SoakError(RuntimeError):
    """The soak found the terminal and the server disagreeing, or could not run."""


@dataclass(frozen=True)
class SoakSizes:
    days: int = 30
    sales_per_day: int = 400
    regulars: int = 150  # enrolled here online on day 0, with cards, sold to: they hold grants
    enrolments_per_day: int = 6  # new members enrolled here offline, each with a photo
    door_per_event: int = 40  # check-ins at each week's event
    club_members: int = 2_000  # on the server before the terminal enrols (pulled on enrolment)
    new_members: int = 10_000  # added on the server while the terminal is away
    revoked: int = 20  # regulars' cards revoked on the server meanwhile

    def __post_init__(self) -> None:
        if self.days < 3:
            raise ValueError("the soak needs three days offline at least (the grants cover three)")

    @property
    def expiry_days(self) -> int:
        """The rule set's: what was earned on day 0 expires in the server's run on the last day."""
        return self.days - 2

    @classmethod
    def small(cls) -> SoakSizes:
        """The slow test's: the same month, a quieter branch and club."""
        return cls(sales_per_day=25, regulars=16, enrolments_per_day=1, door_per_event=6, club_members=30,
                   new_members=120, revoked=4)  # fmt: skip

    @classmethod
    def quick(cls) -> SoakSizes:
        """`python -m bench --quick`: a smoke test of this code, not a measurement."""
        return replace(cls.small(), days=3, sales_per_day=20, new_members=50)


@dataclass
class SoakServer:
    """The running club server the soak talks to, and how to add members to it in bulk."""

    base_url: str
    db_url: str
    admin_token: str
    branch_code: str
    branch_codes: tuple[str, ...]  # every branch of the club (a rule set names them all)
    # add `count` members on the server, serials from `first`: COPY in the bench, the admin API in the test
    add_members: Callable[[int, int], None] | None = None

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method, self.base_url + "/v1/admin" + path, timeout=60,
            headers={"Authorization": f"Bearer {self.admin_token}"}, **kwargs,
        )  # fmt: skip
        if response.status_code >= 300:
            raise SoakError(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}")
        return response.json()

    def branch_id(self) -> str:
        found = [b["id"] for b in self.admin("GET", "/branches") if b["code"] == self.branch_code]
        return str(found[0])

    def new_members(self, count: int, first: int) -> None:
        if self.add_members is not None:
            self.add_members(count, first)
            return
        branch = self.branch_id()
        for n in range(first, first + count):
            self.admin("POST", "/members", json={"name": f"عضو تازه {n}", "phone": phone(n),
                                                 "branch_id": branch})  # fmt: skip


def phone(serial: int) -> str:
    return f"+98936{serial:07d}"


@dataclass
class Offline:
    """What the month offline did at the terminal."""

    sales: int = 0
    spends: int = 0  # sales that spent points on a grant
    spent_points: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # spends refused, by reason
    returns: int = 0
    identified: int = 0
    enrolled: int = 0
    photos: int = 0
    events: int = 0
    checked_in: int = 0
    entries: int = 0  # the terminal's own entries waiting for the server at the end
    seconds: float = 0.0


@dataclass
class SoakChecks:
    synced: bool = False
    unsynced: int = -1
    set_aside_here: int = -1
    set_aside_on_server: int = -1
    set_aside_reasons: dict[str, int] = field(default_factory=dict)  # on the server: reason → entries
    members_here: int = 0
    members_on_server: int = 0
    balances_compared: int = 0
    balances_differ: int = 0
    negative_on_server: int = 0  # members the server holds below zero (reported, not a failure)
    # points the month's run expired that the members had spent offline before it (its FIFO did not know):
    # the next day's run gives them back; what is left over-expired after it is a failure
    given_back_points: int = 0
    given_back_members: int = 0
    over_expired_points: int = 0
    over_expired_members: int = 0
    rules_version_here: int = 0
    rules_version_on_server: int = 0
    expired_on_server: int = 0  # the server's expiry entries
    expired_here: int = 0  # of those, at the terminal
    revoked: int = 0
    revoked_refused: int = 0
    spends_over_grant: int = 0  # offline spends past what the grant allowed, in time or points
    overrides: int = 0
    ledger_verified: bool = False
    verify_output: str = ""
    extra_rounds: int = 0

    @property
    def failures(self) -> list[str]:
        said = []
        if not (self.synced and self.unsynced == 0):
            said.append(f"not synced ({self.unsynced} unsent)")
        if self.set_aside_here or self.set_aside_on_server:
            said.append(
                f"set aside: {self.set_aside_here} here, {self.set_aside_on_server} on the server"
                f" {self.set_aside_reasons}"
            )
        if self.members_here != self.members_on_server:
            said.append(f"members: {self.members_here} here, {self.members_on_server} on the server")
        if self.balances_differ or not self.balances_compared:
            said.append(f"{self.balances_differ} of {self.balances_compared} balances differ")
        if self.rules_version_here != self.rules_version_on_server:
            said.append(f"rules v{self.rules_version_here} here, v{self.rules_version_on_server} there")
        if not self.expired_on_server or self.expired_here != self.expired_on_server:
            said.append(f"expiry entries: {self.expired_on_server} on the server, {self.expired_here} here")
        if self.revoked_refused != self.revoked:
            said.append(f"{self.revoked_refused} of {self.revoked} revoked cards refused")
        if self.spends_over_grant or self.overrides:
            said.append(f"{self.spends_over_grant} spends past a grant, {self.overrides} overrides")
        if not self.ledger_verified:
            said.append(f"ledger verify failed: {self.verify_output[-500:]}")
        if self.over_expired_points:
            said.append(
                f"{self.over_expired_points} points of {self.over_expired_members} members expired beyond"
                " what they held and not given back"
            )
        return said


@dataclass
class SoakFigures:
    sizes: SoakSizes
    offline: Offline
    catch_up: dict[str, Any]  # what the catch-up function returned (push_s, pull_s, round, lateness…)
    checks: SoakChecks
    enrol_s: float = 0.0
    server_s: float = 0.0  # the server's month: rules, revocations, members, the daily run
    synced_s: float = 0.0  # after the catch-up round, the rounds until synced


# ---- the rule sets ------------------------------------------------------------------------------------


def rules_body(server: SoakServer, version: int, expiry_days: int) -> dict[str, Any]:
    """The club's programme on the server's branches; version 2 earns more and pays more cashback."""
    points = 1 if version == 1 else 2
    branches = tuple(
        (code, BranchRules(EarningRule(points), RedemptionPolicy())) for code in server.branch_codes
    )
    cashback = CashbackRule(percent_bp=300 if version == 1 else 500, from_next_day=True, max_share_percent=50)
    rules = club_rules(version, branches=branches, cashback=cashback, expiry_days=expiry_days, campaigns=())
    return to_body(rules)


# ---- day 0, online --------------------------------------------------------------------------------------


@dataclass
class Till:
    terminal: Terminal
    client: SyncClient
    clock: MovableClock
    manager: Staff
    regulars: list[str]
    cards: dict[str, str]  # member → card number
    known: list[str]  # every member the terminal sells to


def _staff(server: SoakServer) -> None:
    server.admin("POST", "/staff", json={"name": "Soak Manager", "role": "manager", "pin": SOAK_PIN})


def enrol_till(server: SoakServer, data_dir: Path, sizes: SoakSizes, rng: random.Random) -> Till:
    """Day 0: the terminal enrols, enrols its regulars with cards and photos, sells to each, syncs."""
    code = server.admin("POST", "/enrollment-codes", json={"branch_code": server.branch_code})["code"]
    _enrollment, enrolled = enroll_device(
        data_dir, server_url=server.base_url, code=code, server=HttpEnrollment(),
        catch_up=lambda db: SyncClient(db).pull(), device_name="soak",
    )  # fmt: skip
    clock = MovableClock(time.time_ns() // 1000)
    terminal = replace(enrolled, clock=clock)
    client = SyncClient(terminal.db, clock=clock)
    with terminal.db.read() as conn:
        manager = next(s for s in club.all_staff(conn) if s.role is Role.MANAGER)
        known = [str(r[0]) for r in conn.exec_driver_sql("SELECT id FROM member")]
    regulars, cards = [], {}
    for n in range(sizes.regulars):
        made = enroll_member(terminal, EnrollRequest(
            name=f"مشتری ثابت {n}", phone=f"+98937{n:07d}", photo_jpeg=demo_photo(n), staff=manager,
        ))  # fmt: skip
        assert made.card is not None
        regulars.append(made.member.id)
        cards[made.member.id] = made.card.number
        record_sale(terminal, SaleRequest(made.member.id, rng.randrange(20_000_000, 60_000_000, 10_000)))
    summary = client.sync_round()
    while summary.ok and client.status().unsynced:
        summary = client.sync_round()
    if not summary.ok or _granted(terminal, regulars) < len(regulars):
        raise SoakError(f"day 0's round: {summary.as_dict()}")
    return Till(terminal, client, clock, manager, regulars, cards, known + regulars)


def _granted(terminal: Terminal, member_ids: list[str]) -> int:
    with terminal.db.read() as conn:
        return sum(grants.grant_for(conn, m) is not None for m in member_ids)


# ---- the month offline ------------------------------------------------------------------------------------


def _day(till: Till, day: int, *, start_us: int, sizes: SoakSizes, rng: random.Random, done: Offline) -> None:
    """One business day: sales through opening hours, returns, enrolments, and on event days the door."""
    terminal, clock = till.terminal, till.clock
    opens = start_us + day * DAY_US
    step = OPEN_HOURS * 3600 * 1_000_000 // max(1, sizes.sales_per_day + sizes.enrolments_per_day)
    clock.at_us = opens
    regulars = set(till.regulars)
    invoices: list[str] = []
    for n in range(sizes.sales_per_day):
        clock.advance(us=step)
        member = rng.choice(till.known)
        if member in till.cards and rng.random() < 0.5:  # the regular taps the card: identified by it
            member = find_member(terminal, till.cards[member]).member.id
            done.identified += 1
        redeem = rng.randint(1, 40) if member in regulars and rng.random() < SPEND_SHARE else 0
        amount = rng.randrange(500_000, 30_000_000, 1_000)
        try:
            sold = record_sale(
                terminal, SaleRequest(member, amount, redeem_points=redeem, staff=till.manager)
            )
        except ClubError as error:
            done.refused[error.code] = done.refused.get(error.code, 0) + 1
            sold = record_sale(terminal, SaleRequest(member, amount, staff=till.manager))  # paid in full
        else:
            done.spends += redeem > 0
            done.spent_points += redeem
        done.sales += 1
        invoices.append(sold.invoice_ref)
        if n % RETURN_EVERY == RETURN_EVERY - 1:
            invoice = rng.choice(invoices)  # a sale of today's: all of what is left, or a part
            amount_back = rng.choice((None, rng.randrange(100_000, 2_000_000, 1_000)))
            try:
                return_sale(terminal, ReturnRequest(invoice, amount_back, staff=till.manager))
                done.returns += 1
            except ClubError as error:  # more than is left of a sale returned before
                if error.code not in ("return_exceeds_sale", "already_returned"):
                    raise
    for _ in range(sizes.enrolments_per_day):
        clock.advance(us=step)
        serial = 500_000 + done.enrolled
        made = enroll_member(terminal, EnrollRequest(
            name=f"عضو شعبه {serial}", phone=f"+98938{serial:07d}", photo_jpeg=demo_photo(serial),
            staff=till.manager,
        ))  # fmt: skip
        till.known.append(made.member.id)
        done.enrolled += 1
        done.photos += 1
    if day % 7 == 3:
        _event(till, clock.now_us(), sizes, rng, done)


def _event(till: Till, now_us: int, sizes: SoakSizes, rng: random.Random, done: Offline) -> None:
    """The week's event: made here by the manager, every tier invited, guests admitted at the door."""
    terminal = till.terminal
    with terminal.db.read() as conn:
        tiers = tuple(t.code for t in club.tiers(conn))
    hour = 3600 * 1_000_000
    event = door.save_event(terminal, till.manager, Event(
        terminal.new_id(), f"شب مشتریان {done.events + 1}", now_us, now_us + 3 * hour, invited_tiers=tiers,
    ))  # fmt: skip
    done.events += 1
    for member in rng.sample(till.known, min(sizes.door_per_event, len(till.known))):
        till.clock.advance(us=60_000_000)
        result = door.admit_member(terminal, event.id, member, till.manager)
        if result.verdict is not Verdict.ADMIT:
            raise SoakError(f"the door refused an invited member: {result.reason}")
        done.checked_in += 1


def offline_month(till: Till, sizes: SoakSizes, rng: random.Random, say: Callable[[str], None]) -> Offline:
    done = Offline()
    started = time.perf_counter()
    start_us = till.clock.now_us() + 3_600_000_000  # the day's first sale an hour after the last sync
    for day in range(sizes.days):
        _day(till, day, start_us=start_us, sizes=sizes, rng=rng, done=done)
        if sizes.days >= 10 and day % 10 == 9:
            say(f"  … day {day + 1}: {done.sales:,} sales, {done.spends} spends on grants")
    done.seconds = time.perf_counter() - started
    with till.terminal.db.read() as conn:
        done.entries = len(list(ledger.iter_device(conn, till.terminal.device_id)))
    return done


# ---- the server's month -----------------------------------------------------------------------------------


def server_month(server: SoakServer, till: Till, sizes: SoakSizes, rng: random.Random) -> None:
    """A new rule-set version, revoked cards, new members, and the daily run as of the month's end."""
    server.admin("PUT", "/rules", json=rules_body(server, 2, sizes.expiry_days))
    for member in rng.sample(till.regulars, sizes.revoked):
        server.admin("POST", f"/cards/{till.cards[member]}/revoke",
                     json={"status": "revoked", "reason": "soak: reported stolen"})  # fmt: skip
    server.new_members(sizes.new_members, 1_000_000)
    daily_run(server, till.clock.now_us())


def daily_run(server: SoakServer, now_us: int) -> None:
    """The server's daily chore as of `now_us` (`bashgah-server programme run --now`)."""
    # whole seconds: --now takes a typed time (app.typed_time), to the second at most
    at = datetime.fromtimestamp(now_us // 1_000_000, UTC).isoformat()
    command = [*_server_command(), "--db", server.db_url, "--json", "programme", "run", "--now", at]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SoakError(f"programme run failed: {(done.stdout + done.stderr).strip()[-500:]}")


def _server_command() -> list[str]:
    from tests.support.server_process import server_command

    return server_command()


# ---- back online -------------------------------------------------------------------------------------------


def rounds_until_synced(till: Till) -> int:
    """Rounds after the catch-up's, until the terminal says synced with nothing left to send."""
    for n in range(1, MAX_ROUNDS + 1):
        summary = till.client.sync_round()
        if not summary.ok:
            raise SoakError(f"a round after the catch-up failed: {summary.as_dict()}")
        status = till.client.status()
        if status.synced and status.unsynced == 0 and not summary.photos_up:
            return n
    raise SoakError(f"not synced after {MAX_ROUNDS} rounds: {till.client.status()}")


def _server_rows(server: SoakServer, sql: str) -> list[Any]:
    db = ServerDatabase(server.db_url)
    try:
        with db.engine.connect() as conn:
            return list(conn.exec_driver_sql(sql))
    finally:
        db.dispose()


def check(
    server: SoakServer,
    till: Till,
    grants_before: dict[str, tuple[int, int]],
    data_dir: Path,
    *,
    expiry_days: int,
) -> SoakChecks:
    c = SoakChecks()
    status = till.client.status()
    c.synced, c.unsynced, c.set_aside_here = status.synced, status.unsynced, status.rejected
    reasons = _server_rows(server, "SELECT reason, count(*) FROM rejected_entry GROUP BY reason")
    c.set_aside_reasons = {str(reason): int(n) for reason, n in reasons}
    c.set_aside_on_server = sum(c.set_aside_reasons.values())
    on_server = {str(r[0]): (int(r[1]), int(r[2])) for r in _server_rows(
        server, "SELECT member_id, points, wallet_rials FROM member_balance")}  # fmt: skip
    c.members_on_server = _server_rows(server, "SELECT count(*) FROM member")[0][0]
    c.negative_on_server = sum(1 for points, _ in on_server.values() if points < 0)
    c.rules_version_on_server = _server_rows(server, "SELECT max(version) FROM rule_set")[0][0]
    expired = {str(r[0]) for r in _server_rows(server, "SELECT id FROM ledger_entry WHERE kind = 'expire'")}
    c.expired_on_server = len(expired)
    terminal = till.terminal
    with terminal.db.read() as conn:
        c.members_here = members.count(conn)
        for member_id, held in on_server.items():
            balance = ledger.balance(conn, member_id)
            c.balances_differ += (balance.points, balance.wallet_rials) != held
        c.balances_compared = len(on_server)
        c.rules_version_here = programme.latest_version(conn)
        c.expired_here = sum(ledger.get(conn, entry_id) is not None for entry_id in expired)
        _over_expired(c, conn, expired, expiry_days=expiry_days)
        own = list(ledger.iter_device(conn, terminal.device_id))
    c.spends_over_grant = _past_grants(own, grants_before)
    c.overrides = sum(e.kind is EntryKind.OVERRIDE for e in own)
    for number in {till.cards[m] for m in till.cards} & _revoked_numbers(server):
        c.revoked += 1
        try:
            find_member(terminal, number)
        except ClubError as error:
            c.revoked_refused += error.code == "card_not_active"
    c.ledger_verified = verify_ledger(terminal.db).ok
    cli = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), "ledger", "verify"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    c.ledger_verified = c.ledger_verified and cli.returncode == 0
    c.verify_output = cli.stdout + cli.stderr
    return c


def _over_expired(c: SoakChecks, conn: Any, expired: set[str], *, expiry_days: int) -> None:
    """What the runs gave back (expire entries of positive points), and what is still over-expired: expired
    beyond the lots earned before the expiry's cutoff (app.domain.expiry), at the terminal, which holds
    every entry of both ends now."""
    expired_members: set[str] = set()
    for entry_id in expired:
        entry = ledger.get(conn, entry_id)
        if entry is None:
            continue
        expired_members.add(entry.member_id)
        if entry.points_delta > 0:
            c.given_back_points += entry.points_delta
            c.given_back_members += 1
    for member_id in expired_members:
        over = expiry.over_expired(ledger.member_entries(conn, member_id), expiry_days)
        if over > 0:
            c.over_expired_points += over
            c.over_expired_members += 1


def _revoked_numbers(server: SoakServer) -> set[str]:
    return {str(r[0]) for r in _server_rows(server, "SELECT number FROM card WHERE status = 'revoked'")}


def _past_grants(own: list[Any], grants_before: dict[str, tuple[int, int]]) -> int:
    """Offline spends beyond what each member's grant (points, expiry) allowed when the terminal left."""
    spent: dict[str, int] = {}
    over = 0
    for entry in sorted(own, key=lambda e: e.device_seq):
        if entry.kind is not EntryKind.REDEEM or entry.member_id not in grants_before:
            continue
        points, expires_at = grants_before[entry.member_id]
        spent[entry.member_id] = spent.get(entry.member_id, 0) - entry.points_delta
        over += entry.created_at_us >= expires_at or spent[entry.member_id] > points
    return over


def grants_held(till: Till) -> dict[str, tuple[int, int]]:
    with till.terminal.db.read() as conn:
        held = {m: grants.grant_for(conn, m) for m in till.regulars}
    return {m: (g.points, g.expires_at_us) for m, g in held.items() if g is not None}


# ---- the run -----------------------------------------------------------------------------------------------


def run_soak(
    server: SoakServer,
    work_dir: Path,
    sizes: SoakSizes,
    say: Callable[[str], None],
    catch_up: Callable[[Path], dict[str, Any]],
) -> SoakFigures:
    """The scenario above. `catch_up(data_dir)` brings the terminal back (its first round) and returns its
    figures; the terminal's store is closed meanwhile. The checks are filled in; the caller decides."""
    rng = random.Random(1404)
    data_dir = work_dir / "soak-till"
    server.admin("PUT", "/rules", json=rules_body(server, 1, sizes.expiry_days))
    _staff(server)
    server.new_members(sizes.club_members, 0)
    started = time.perf_counter()
    till = enrol_till(server, data_dir, sizes, rng)
    enrol_s = time.perf_counter() - started
    say(f"  day 0: enrolled with {sizes.club_members:,} members, {sizes.regulars} regulars with grants"
        f" in {enrol_s:.1f} s")  # fmt: skip
    try:
        before = grants_held(till)
        offline = offline_month(till, sizes, rng, say)
        started = time.perf_counter()
        server_month(server, till, sizes, rng)
        server_s = time.perf_counter() - started
        till.terminal.db.close()
        caught = catch_up(data_dir)
        till.terminal = open_terminal(data_dir, clock=till.clock)
        till.client = SyncClient(till.terminal.db, clock=till.clock)
        started = time.perf_counter()
        extra = rounds_until_synced(till)
        # the next day's run, knowing every offline spend now, gives back what the month's run over-expired
        till.clock.advance(us=DAY_US)
        daily_run(server, till.clock.now_us())
        extra += rounds_until_synced(till)
        synced_s = time.perf_counter() - started
        checks = check(server, till, before, data_dir, expiry_days=sizes.expiry_days)
        checks.extra_rounds = extra
    finally:
        till.client.session.close()
        till.client.spend_session.close()
        till.terminal.db.close()
    return SoakFigures(sizes, offline, caught, checks, enrol_s, server_s, synced_s)


def catch_up_here(data_dir: Path) -> dict[str, Any]:
    """The catch-up without a window: the terminal's client, push then pull, timed (the test's fallback)."""
    terminal = open_terminal(data_dir)
    client = SyncClient(terminal.db, clock=terminal.clock)
    try:
        started = time.perf_counter()
        pushed = client.push()
        push_s = time.perf_counter() - started
        pulled = client.pull()
        pull_s = time.perf_counter() - started - push_s
    finally:
        client.session.close()
        client.spend_session.close()
        terminal.db.close()
    return {"push_s": round(push_s, 2), "pull_s": round(pull_s, 2),
            "round": {"pushed": pushed.pushed, "pulled": pulled.changes, "ok": True}}  # fmt: skip


def report(f: SoakFigures, say: Callable[[str], None]) -> dict[str, object]:
    """Print the figures and return them for the JSON."""
    s, o, c, k = f.sizes, f.offline, f.catch_up, f.checks
    round_ = c.get("round", {})
    say(f"soak offline      {s.days} days: {o.sales:,} sales ({o.spends} spent {o.spent_points:,} points on"
        f" grants; refused {sum(o.refused.values())}: {o.refused}), {o.returns} returns, {o.identified:,}"
        f" taps identified, {o.enrolled} enrolments with photos, {o.checked_in} check-ins at {o.events}"
        f" events: {o.entries:,} entries, recorded in {o.seconds:.0f} s")  # fmt: skip
    say(f"  server meanwhile rule set v2, {s.revoked} cards revoked, {s.new_members:,} new members, the"
        f" daily run ({k.expired_on_server} members' points expired) in {f.server_s:.1f} s")  # fmt: skip
    say(f"soak catch-up     push {c.get('push_s')} s ({round_.get('pushed', 0):,} entries and items),"
        f" pull {c.get('pull_s')} s ({round_.get('pulled', 0):,} changes); then {k.extra_rounds} rounds"
        f" to synced (photos 50 a round) in {f.synced_s:.1f} s")  # fmt: skip
    result: dict[str, object] = {
        "soak_days": s.days,
        "soak_sales_per_day": s.sales_per_day,
        "soak_entries": o.entries,
        "soak_offline_s": round(o.seconds, 1),
        "soak_push_s": c.get("push_s"),
        "soak_pull_s": c.get("pull_s"),
        "soak_pushed": round_.get("pushed"),
        "soak_pulled": round_.get("pulled"),
        "soak_synced_after_s": round(f.synced_s, 1),
        "soak_spends": o.spends,
        "soak_spends_refused": sum(o.refused.values()),
        "soak_negative_on_server": k.negative_on_server,
        "soak_given_back_points": k.given_back_points,
        "soak_given_back_members": k.given_back_members,
        "soak_over_expired_points": k.over_expired_points,
        "soak_over_expired_members": k.over_expired_members,
        "soak_check_ok": not k.failures,
    }
    if "during_ms" in c:
        during, idle = c["during_ms"], c["idle_ms"]
        verdict = "meets" if during["p95"] <= 16 and during["max"] <= 50 else "over"
        say(f"  UI while catching up p50 {during['p50']} ms   p95 {during['p95']} ms   max {during['max']} ms"
            f"   ({verdict} p95 ≤ 16, max ≤ 50; idle p95 {idle['p95']} ms, max {idle['max']} ms;"
            f" the window's round {c['round_s']} s)")  # fmt: skip
        for phase, seen in c.get("phases_ms", {}).items():
            say(f"    while {phase:<5} p50 {seen['p50']} ms   p95 {seen['p95']} ms   max {seen['max']} ms"
                f"   ({seen['ticks']} ticks; the worst {seen['worst_at_s']} s into it)")  # fmt: skip
            result |= {f"soak_ui_{phase}_{k_}_ms": seen[k_] for k_ in ("p95", "max")}
        result |= {f"soak_ui_lateness_{k_}_ms": v for k_, v in during.items()}
        result |= {f"soak_idle_lateness_{k_}_ms": v for k_, v in idle.items()}
    say(f"  CHECK           {'ok' if not k.failures else 'FAILED: ' + '; '.join(k.failures)}:"
        f" {k.balances_compared:,} balances equal, {k.members_here:,} members, rules v{k.rules_version_here},"
        f" {k.expired_here} expiry entries, {k.revoked_refused}/{k.revoked} revoked cards refused,"
        f" {k.spends_over_grant} spends past a grant; ledger verify"
        f" {'passes' if k.ledger_verified else 'FAILS'}; {k.negative_on_server} members below zero on the"
        f" server; the next day's run gave back {k.given_back_points:,} points to {k.given_back_members}"
        f" members that the month's run expired though they had spent them offline before it;"
        f" {k.over_expired_points:,} points of {k.over_expired_members} members over-expired and not given"
        " back")  # fmt: skip
    return result


# ---- the bench's server: PostgreSQL ---------------------------------------------------------------------


def run(work_dir: Path, sizes: SoakSizes, say: Callable[[str], None]) -> dict[str, object]:
    """The soak on a PostgreSQL club server of its own (bench.sync_club), the catch-up in the real window;
    SyncBenchError when PostgreSQL is missing or a check failed (after the figures are printed)."""
    from bench.load import _admin_token
    from bench.sync_club import BRANCH_CODE, ServerLab, SyncBenchError, seed_members

    work_dir.mkdir(parents=True, exist_ok=True)
    with ServerLab(work_dir) as lab:
        made = lab.club()
        lab.serve(made)

        def add(count: int, first: int) -> None:
            seed_members(lambda: lab.connect(made), count, first_serial=first)

        server = SoakServer(made.base_url, made.url, _admin_token(made), BRANCH_CODE, (BRANCH_CODE,), add)
        from bench.soak_window import catch_up_in_window

        try:
            figures = run_soak(server, work_dir, sizes, say, catch_up_in_window)
        finally:
            shutil.rmtree(work_dir / "soak-till", ignore_errors=True)
    result = report(figures, say)
    if figures.checks.failures:
        raise SyncBenchError(f"the soak's check failed: {figures.checks.failures}")
    return result
