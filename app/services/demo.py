# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah demo seed`: a realistic demo club, written through the real use cases.

Two branches with different earning rules, three tiers, staff with PINs, a couple of hundred members
(Persian and English names, photos, printed cards) and about ninety days of history: sales, some paid
partly in points, returns and a manager's reversals. The writes go through install_club,
enroll_member, record_sale, return_sale and reverse_entry, so the hash chains, the balance projection
and the idempotency keys are the ones real use produces; `ledger verify` checks two device chains (this
terminal's in Tehran, and Isfahan's till, registered beside it). Two small writes have no use case yet:
registering that second till, and placing members in the tier the demo chose for them.

Time is driven by a clock that walks forward through the history, and ids come from entropy seeded
with `seed`: the same seed and `now_us` give the same club, id for id. Not thread-safe; runs on the
caller's thread as the only writer.
"""

from __future__ import annotations

import importlib.resources
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from app.domain.branch import Branch
from app.domain.ids import uuid7
from app.domain.member import national_id_is_valid
from app.domain.money import RIALS_PER_TOMAN, Rounding
from app.domain.rules import EarningRule, RedemptionPolicy
from app.domain.staff import Role, Staff
from app.domain.tier import Tier
from app.services.checkout import SaleRequest, SaleResult, record_sale
from app.services.demo_cards import equip_demo_cards
from app.services.demo_event import seed_demo_event
from app.services.demo_programme import install_demo_programme
from app.services.enroll import EnrollRequest, enroll_member
from app.services.photos import demo_photo
from app.services.returns import ReturnRequest, return_sale
from app.services.reversal import reverse_entry
from app.services.setup import ClubDefinition, install_club
from app.services.terminal import SystemClock, Terminal, open_terminal
from app.store import club, ledger
from app.store import members as member_store
from app.store.club import Device
from app.store.database import Database

HISTORY_DAYS = 90
SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
# Iran has kept standard time all year since 2022; a fixed offset avoids needing tzdata on Windows.
TEHRAN_OFFSET = timedelta(hours=3, minutes=30)
SHOP_OPENS_US = 10 * HOUR_US
SHOP_CLOSES_US = 22 * HOUR_US
TOMAN = RIALS_PER_TOMAN

TIERS = [
    Tier("bronze", "برنزی", "Bronze", 0, 0, 100),
    Tier("silver", "نقره‌ای", "Silver", 1, 500, 125),
    Tier("gold", "طلایی", "Gold", 2, 2_000, 150),
]
_TIER_WEIGHTS = {"bronze": 60, "silver": 28, "gold": 12}
# (fewest, most) purchases over the history: better tiers shop more often, which is why they are there
_PURCHASES = {"bronze": (0, 3), "silver": (2, 6), "gold": (4, 10)}
# Sale amounts in Toman: (low, high, weight); mostly everyday baskets, now and then a big one
_AMOUNT_BANDS = [
    (50_000, 300_000, 45),
    (300_000, 1_000_000, 35),
    (1_000_000, 3_000_000, 15),
    (3_000_000, 8_000_000, 5),
]
_IRAN_MOBILE_PREFIXES = [
    "0912",
    "0919",
    "0935",
    "0936",
    "0937",
    "0938",
    "0939",
    "0901",
    "0902",
    "0990",
    "0921",
]
# Numbers set aside for fiction: UK 07700 900xxx (Ofcom), US 555-01xx, Australia 0491 570 xxx (ACMA)
_INTERNATIONAL_FORMATS = ["+44 7700 900{:03d}", "+1 202 555 01{:02d}", "+61 491 570 {:03d}"]
_REVERSAL_REASONS = [
    "خرید به اشتباه برای عضو دیگری ثبت شد",  # the sale was recorded for the wrong member
    "فاکتور در صندوق باطل شد؛ مشتری خرید را لغو کرد",  # the invoice was voided: the customer cancelled
]


@dataclass(frozen=True)
class DemoSummary:
    data_dir: str
    members: int
    cards: int
    staff: list[dict]  # [{"name", "role", "pin"}]: printed on purpose, this is a demo
    branches: list[str]
    sales: int
    returns: int
    reversals: int
    entries: int
    sample_members: list[dict]  # a few {"name", "phone", "card"} to try at the counter


class _TimelineClock:
    """The demo's clock: it only moves forward, one event of the history at a time."""

    def __init__(self, start_us: int) -> None:
        self._now = start_us

    def now_us(self) -> int:
        return self._now

    def move_to(self, at_us: int) -> None:
        self._now = max(at_us, self._now + 1)


class _SeededEntropy:
    """Reproducible "randomness" for ids, so a seed names the same entries every time."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def random_bytes(self, n: int) -> bytes:
        return self._rng.randbytes(n)


@dataclass(frozen=True, slots=True)
class _Names:
    given_fa: tuple[list[str], list[str]]  # (female, male)
    family_fa: list[str]
    given_en: tuple[list[str], list[str]]
    family_en: list[str]


@dataclass(slots=True)
class _MemberPlan:
    name: str
    feminine: bool
    persian: bool
    phone: str
    tier_code: str
    branch: int  # index into the demo's branches
    joined_us: int
    birth_date: date
    national_id: str | None
    referrer: int | None  # index of a member who joined earlier
    consent_marketing: bool
    photo_seed: int
    birthday_soon: bool


@dataclass(slots=True)
class _SalePlan:
    member: int
    branch: int
    at_us: int
    amount_rials: int
    redeem_percent: int  # of what the branch allows; 0 spends nothing


@dataclass(slots=True)
class _ReturnPlan:
    sale: int
    at_us: int
    amount_rials: int | None  # None: everything not yet returned


@dataclass(slots=True)
class _ReversalPlan:
    sale: int
    at_us: int
    reason: str


@dataclass(slots=True)
class _History:
    members: list[_MemberPlan]
    sales: list[_SalePlan]
    returns: list[_ReturnPlan] = field(default_factory=list)
    reversals: list[_ReversalPlan] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Window:
    """The history's days, as UTC microseconds of each local (Tehran) midnight."""

    first_midnight_us: int
    days: int

    @property
    def end_us(self) -> int:
        return self.first_midnight_us + self.days * DAY_US

    def shop_time(self, rng: random.Random, day: int) -> int:
        """A moment during opening hours on the given day of the history."""
        return self.first_midnight_us + day * DAY_US + rng.randrange(SHOP_OPENS_US, SHOP_CLOSES_US)

    def day_of(self, at_us: int) -> int:
        return (at_us - self.first_midnight_us) // DAY_US


@dataclass(frozen=True, slots=True)
class _Cast:
    """The demo club's branches, staff and the terminal each branch's sales go through."""

    branches: list[Branch]
    terminals: list[Terminal]
    cashiers: list[Staff]  # one per branch, by branch index
    managers: list[Staff]
    staff: list[dict]


def seed_demo(
    data_dir: Path, *, members: int = 200, seed: int = 1404, now_us: int | None = None
) -> DemoSummary:
    """Create the demo club in data_dir; refuses (ClubError "club_already_set_up") if one is there."""
    if members < 0:
        raise ValueError("members must not be negative")  # the caller's bug, not a refusal to show
    now_us = SystemClock().now_us() if now_us is None else now_us
    window = _history_window(now_us)
    rng = random.Random(seed)
    clock = _TimelineClock(window.first_midnight_us + 9 * HOUR_US)  # the morning the club opened
    entropy = _SeededEntropy(random.Random(f"bashgah-demo-ids:{seed}"))
    db = Database.open(Path(data_dir))
    cast = _install(db, Path(data_dir), rng, clock, entropy)
    history = _plan_history(rng, members, window, today=_local_date(now_us))
    played = _Playback(cast, clock, history)
    played.run()
    equip_demo_cards(cast.terminals[0])
    clock.move_to(max(clock.now_us(), now_us))
    # the history was priced before the club's programme began; from now on the rule set prices
    install_demo_programme(db, (cast.branches[0].code, cast.branches[1].code), clock.now_us())
    seed_demo_event(cast.terminals[0], cast.managers[0])
    with db.read() as conn:
        member_count, entries = member_store.count(conn), ledger.entry_count(conn)
    return DemoSummary(
        data_dir=str(data_dir),
        members=member_count,
        cards=played.cards,
        staff=cast.staff,
        branches=[f"{b.code}: {b.name_fa} / {b.name_en}" for b in cast.branches],
        sales=len(played.sale_results),
        returns=played.returns,
        reversals=played.reversals,
        entries=entries,
        sample_members=played.samples(),
    )


# --- the club ------------------------------------------------------------------------------------


def _install(
    db: Database, data_dir: Path, rng: random.Random, clock: _TimelineClock, entropy: _SeededEntropy
) -> _Cast:
    """Install the club with this terminal in Tehran, and register Isfahan's own till beside it."""

    def new_id() -> str:
        return str(uuid7(clock.now_us() // 1000, entropy.random_bytes(10)))

    branches = _branches(new_id)
    tehran, isfahan = (b.id for b in branches)
    roster = [
        Staff(new_id(), "Sara Karimi", Role.CASHIER, tehran),
        Staff(new_id(), "Kian Rahimi", Role.CASHIER, tehran),
        Staff(new_id(), "Nazanin Sadeghi", Role.CASHIER, isfahan),
        Staff(new_id(), "Arash Nouri", Role.HOST, tehran),
        Staff(new_id(), "Mina Tehrani", Role.MANAGER, tehran),
        Staff(new_id(), "Babak Soltani", Role.MANAGER, isfahan),
        Staff(new_id(), "Leila Ahmadi", Role.ADMIN, None),
    ]
    # staff log in by name at the command line: Latin script keeps that typeable on any keyboard
    pins = [str(p) for p in rng.sample(range(1000, 10_000), len(roster))]
    definition = ClubDefinition(
        tiers=TIERS,
        branches=branches,
        staff=list(zip(roster, pins, strict=True)),
        name_fa="باشگاه مشتریان نمونه",
        name_en="Demo Customer Club",
    )
    install_club(db, definition, Device(new_id(), "THR-01", tehran, is_self=True))
    isfahan_till = Device(new_id(), "ISF-01", isfahan, is_self=False)
    with db.write() as conn:
        club.put_device(conn, isfahan_till)
    terminals = [
        open_terminal(data_dir, clock=clock, entropy=entropy, db=db),
        Terminal(db, isfahan_till.id, isfahan_till.code, isfahan, clock, entropy),
    ]
    return _Cast(
        branches=branches,
        terminals=terminals,
        cashiers=[roster[0], roster[2]],
        managers=[roster[4], roster[5]],
        staff=[{"name": s.name, "role": s.role.value, "pin": p} for s, p in zip(roster, pins, strict=True)],
    )


def _branches(new_id: Callable[[], str]) -> list[Branch]:
    return [
        # one point per 10,000 Toman; up to half a sale may be paid in points, a point is 100 Toman
        Branch(
            new_id(),
            "THR",
            "شعبه مرکزی تهران",
            "Tehran Central",
            EarningRule(1, 10_000 * TOMAN),
            RedemptionPolicy(100 * TOMAN, 50),
        ),
        # double points, but only from 200,000 Toman and at most 150 a sale; points pay a quarter at most
        Branch(
            new_id(),
            "ISF",
            "شعبه اصفهان",
            "Isfahan",
            EarningRule(2, 10_000 * TOMAN, 200_000 * TOMAN, 150, Rounding.FLOOR),
            RedemptionPolicy(100 * TOMAN, 25),
        ),
    ]


# --- planning the history (pure: only the seeded generator decides) ---------------------------------


def _plan_history(rng: random.Random, count: int, window: _Window, today: date) -> _History:
    names = _load_names()
    people = _plan_members(rng, names, count, window, today)
    history = _History(people, _plan_sales(rng, people, window))
    _plan_returns(rng, history, window)
    _plan_reversals(rng, history, window)
    return history


def _plan_members(
    rng: random.Random, names: _Names, count: int, window: _Window, today: date
) -> list[_MemberPlan]:
    phones = _unique_phones(rng, count)
    taken: set[str] = set()
    planned: list[_MemberPlan] = []
    for i in range(count):
        persian = rng.random() < 0.8
        feminine = rng.random() < 0.5
        # the opening campaign brought many members in the first days; the rest trickled in
        day = rng.randrange(0, 3) if rng.random() < 0.4 else rng.randrange(0, window.days - 5)
        birthday_soon = i % 25 == 3  # a few, so the birthday flag has someone to show
        planned.append(
            _MemberPlan(
                name=_unique_name(rng, names, persian, feminine, taken),
                feminine=feminine,
                persian=persian,
                phone=phones[i],
                tier_code=rng.choices(list(_TIER_WEIGHTS), weights=list(_TIER_WEIGHTS.values()))[0],
                branch=0 if rng.random() < 0.6 else 1,
                joined_us=window.shop_time(rng, day),
                birth_date=_birth_date(rng, today, birthday_soon),
                national_id=_national_id(rng) if rng.random() < 0.6 else None,
                referrer=None,
                consent_marketing=rng.random() < 0.7,
                photo_seed=rng.getrandbits(32),
                birthday_soon=birthday_soon,
            )
        )
    planned.sort(key=lambda m: m.joined_us)
    for i, member in enumerate(planned):
        if i and rng.random() < 0.15:
            member.referrer = rng.randrange(0, i)  # someone who joined before them
    return planned


def _plan_sales(rng: random.Random, people: list[_MemberPlan], window: _Window) -> list[_SalePlan]:
    sales: list[_SalePlan] = []
    for index, person in enumerate(people):
        low, high = _PURCHASES[person.tier_code]
        times = [
            window.shop_time(rng, rng.randrange(window.day_of(person.joined_us), window.days))
            for _ in range(rng.randint(low, high))
        ]
        if rng.random() < 0.5:  # many buy something the day they sign up, a few minutes later
            times.append(person.joined_us + rng.randrange(3 * MINUTE_US, 15 * MINUTE_US))
        for at_us in times:
            branch = person.branch if rng.random() < 0.85 else 1 - person.branch
            redeem = rng.choice([25, 50, 100]) if rng.random() < 0.2 else 0
            sales.append(
                _SalePlan(index, branch, max(at_us, person.joined_us + MINUTE_US), _amount(rng), redeem)
            )
    return sales


def _plan_returns(rng: random.Random, history: _History, window: _Window) -> None:
    """About one sale in seventeen comes back within ten days: all, part, or part and later the rest."""
    for index, sale in enumerate(history.sales):
        if rng.random() >= 0.06:
            continue
        first = sale.at_us + rng.randint(1, 10) * DAY_US + rng.randrange(-2 * HOUR_US, 2 * HOUR_US)
        later = first + rng.randint(1, 5) * DAY_US
        how = rng.choice(["all", "part", "part", "part_then_rest"])
        if first >= window.end_us:
            continue
        if how == "all":
            history.returns.append(_ReturnPlan(index, first, None))
            continue
        history.returns.append(_ReturnPlan(index, first, _part_of(rng, sale.amount_rials)))
        if how == "part_then_rest" and later < window.end_us:
            history.returns.append(_ReturnPlan(index, later, None))


def _plan_reversals(rng: random.Random, history: _History, window: _Window) -> None:
    """A manager undoes one sale in each branch, minutes after the cashier's mistake."""
    returned = {r.sale for r in history.returns}
    for branch, reason in enumerate(_REVERSAL_REASONS):
        candidates = [
            i
            for i, s in enumerate(history.sales)
            if s.branch == branch
            and s.redeem_percent == 0
            and i not in returned
            and s.at_us + HOUR_US < window.end_us
        ]
        if candidates:
            index = rng.choice(candidates)
            at_us = history.sales[index].at_us + rng.randrange(3 * MINUTE_US, 20 * MINUTE_US)
            history.reversals.append(_ReversalPlan(index, at_us, reason))


def _amount(rng: random.Random) -> int:
    """A sale's amount in rials, a whole thousand Toman as prices are."""
    low, high, _ = rng.choices(_AMOUNT_BANDS, weights=[b[2] for b in _AMOUNT_BANDS])[0]
    return rng.randrange(low // 1000, high // 1000 + 1) * 1000 * TOMAN


def _part_of(rng: random.Random, amount_rials: int) -> int:
    """Some of a sale's amount, in whole thousands of Toman; all of it only when it is that small."""
    step = 1000 * TOMAN
    part = amount_rials * rng.randint(20, 80) // 100 // step * step
    return min(max(part, step), amount_rials - step) if amount_rials > step else amount_rials


def _unique_name(rng: random.Random, names: _Names, persian: bool, feminine: bool, taken: set[str]) -> str:
    given = names.given_fa if persian else names.given_en
    family = names.family_fa if persian else names.family_en
    for _ in range(50):  # namesakes are fine in life, confusing in a demo
        name = f"{rng.choice(given[0] if feminine else given[1])} {rng.choice(family)}"
        if name not in taken:
            break
    taken.add(name)
    return name


def _unique_phones(rng: random.Random, count: int) -> list[str]:
    """Mostly Iranian mobiles as people write them (09…), a handful of foreign numbers (+…)."""
    foreign = (count + 20) // 40  # one in forty, rounded
    phones: list[str] = []
    seen: set[str] = set()
    while len(phones) < count - foreign:
        phone = rng.choice(_IRAN_MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
        if phone not in seen:
            seen.add(phone)
            phones.append(phone)
    for i in range(foreign):
        template = _INTERNATIONAL_FORMATS[i % len(_INTERNATIONAL_FORMATS)]
        phones.append(template.format(10 + i // len(_INTERNATIONAL_FORMATS)))
    rng.shuffle(phones)
    return phones


def _birth_date(rng: random.Random, today: date, birthday_soon: bool) -> date:
    year = rng.randint(1960, today.year - 18)
    if not birthday_soon:
        return date(year, 1, 1) + timedelta(days=rng.randrange(365))
    day = today + timedelta(days=rng.randint(-2, 4))
    # 29 February has no birthday in most years; the 28th is close enough for a demo
    return date(year, day.month, min(day.day, 28) if day.month == 2 else day.day)


def _national_id(rng: random.Random) -> str:
    """A made-up national id that passes the check digit (the terminal keeps its last four digits)."""
    while True:
        body = f"{rng.randrange(10**9):09d}"
        remainder = sum(int(body[i]) * (10 - i) for i in range(9)) % 11
        candidate = body + str(remainder if remainder < 2 else 11 - remainder)
        if national_id_is_valid(candidate):
            return candidate


def _load_names() -> _Names:
    folder = importlib.resources.files("app.resources") / "demo"

    def read(name: str) -> list[str]:
        text = (folder / name).read_text(encoding="utf-8")
        return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]

    return _Names(
        given_fa=(read("given_fa_female.txt"), read("given_fa_male.txt")),
        family_fa=read("family_fa.txt"),
        given_en=(read("given_en_female.txt"), read("given_en_male.txt")),
        family_en=read("family_en.txt"),
    )


def _local_date(at_us: int) -> date:
    return (datetime.fromtimestamp(at_us // SECOND_US, UTC) + TEHRAN_OFFSET).date()


def _history_window(now_us: int) -> _Window:
    """The HISTORY_DAYS whole local days before today, so every event is in the past of `now_us`."""
    today = _local_date(now_us)
    local_midnight = datetime(today.year, today.month, today.day, tzinfo=UTC) - TEHRAN_OFFSET
    today_us = int(local_midnight.timestamp()) * SECOND_US
    return _Window(today_us - HISTORY_DAYS * DAY_US, HISTORY_DAYS)


# --- playing the history through the use cases ------------------------------------------------------


class _Playback:
    """Replays the planned history in time order; later steps use what earlier ones returned."""

    def __init__(self, cast: _Cast, clock: _TimelineClock, history: _History) -> None:
        self.cast = cast
        self.clock = clock
        self.history = history
        self.member_ids: dict[int, str] = {}  # by index into the planned members
        self.phones: dict[int, str] = {}  # as stored (E.164)
        self.card_numbers: dict[int, str] = {}
        self.points: dict[str, int] = {}  # each member's balance, as the use cases last reported it
        self.sale_results: dict[int, SaleResult] = {}
        # Points a planned return or reversal will take back are not offered for spending meanwhile:
        # a member who spent them first would be left with a negative balance, which no till allows.
        self.pending = Counter(r.sale for r in [*history.returns, *history.reversals])
        self.at_risk: dict[str, int] = {}
        self.cards = 0
        self.returns = 0
        self.reversals = 0

    def run(self) -> None:
        events = [(m.joined_us, 0, i) for i, m in enumerate(self.history.members)]
        events += [(s.at_us, 1, i) for i, s in enumerate(self.history.sales)]
        events += [(r.at_us, 2, i) for i, r in enumerate(self.history.returns)]
        events += [(r.at_us, 3, i) for i, r in enumerate(self.history.reversals)]
        steps = [self._enroll, self._sale, self._return, self._reverse]
        for at_us, kind, index in sorted(events):
            self.clock.move_to(at_us)
            steps[kind](index)

    def _enroll(self, index: int) -> None:
        plan = self.history.members[index]
        terminal = self.cast.terminals[plan.branch]
        result = enroll_member(
            terminal,
            EnrollRequest(
                name=plan.name,
                phone=plan.phone,
                birth_date=plan.birth_date,
                national_id=plan.national_id,
                referrer_id=None if plan.referrer is None else self.member_ids[plan.referrer],
                consent_marketing=plan.consent_marketing,
                photo_jpeg=demo_photo(plan.photo_seed, feminine=plan.feminine),
                with_card=True,
                staff=self.cast.cashiers[plan.branch],
            ),
        )
        self.member_ids[index] = result.member.id
        self.phones[index] = result.member.phone
        self.card_numbers[index] = result.card.number if result.card else ""
        self.cards += result.card is not None
        if plan.tier_code != result.member.tier_code:
            _place_in_tier(terminal.db, result.member.id, plan.tier_code)

    def _sale(self, index: int) -> None:
        plan = self.history.sales[index]
        member_id = self.member_ids[plan.member]
        policy = self.cast.branches[plan.branch].redemption
        spendable = self.points.get(member_id, 0) - self.at_risk.get(member_id, 0)
        redeem = policy.max_points(plan.amount_rials, spendable) * plan.redeem_percent // 100
        result = record_sale(
            self.cast.terminals[plan.branch],
            SaleRequest(member_id, plan.amount_rials, redeem, staff=self.cast.cashiers[plan.branch]),
        )
        self.sale_results[index] = result
        self.points[member_id] = result.balance.points
        if self.pending[index]:
            self.at_risk[member_id] = self.at_risk.get(member_id, 0) + result.points_earned

    def _settled(self, sale: int) -> None:
        """The last planned correction of this sale is written: its points are the member's to spend."""
        self.pending[sale] -= 1
        if self.pending[sale] == 0:
            result = self.sale_results[sale]
            member_id = self.member_ids[self.history.sales[sale].member]
            self.at_risk[member_id] -= result.points_earned

    def _return(self, index: int) -> None:
        plan = self.history.returns[index]
        branch = self.history.sales[plan.sale].branch
        result = return_sale(
            self.cast.terminals[branch],
            ReturnRequest(
                self.sale_results[plan.sale].invoice_ref, plan.amount_rials, staff=self.cast.cashiers[branch]
            ),
        )
        self.points[result.member_id] = result.balance.points
        self.returns += 1
        self._settled(plan.sale)

    def _reverse(self, index: int) -> None:
        plan = self.history.reversals[index]
        branch = self.history.sales[plan.sale].branch
        sale = self.sale_results[plan.sale]
        result = reverse_entry(
            self.cast.terminals[branch], sale.sale_id, plan.reason, self.cast.managers[branch]
        )
        self.points[result.member_id] = result.balance.points
        self.reversals += 1
        self._settled(plan.sale)

    def samples(self) -> list[dict]:
        """A handful of members worth trying: one per tier, an English name, a birthday this week."""
        people = self.history.members

        def first(test: Callable[[_MemberPlan], bool]) -> int | None:
            return next((i for i, m in enumerate(people) if test(m)), None)

        wanted = [first(lambda m, code=t.code: m.tier_code == code) for t in reversed(TIERS)]
        wanted += [first(lambda m: not m.persian), first(lambda m: m.birthday_soon)]
        chosen = list(dict.fromkeys(i for i in wanted if i is not None))
        return [
            {"name": people[i].name, "phone": self.phones[i], "card": self.card_numbers[i]} for i in chosen
        ]


def _place_in_tier(db: Database, member_id: str, tier_code: str) -> None:
    """Move a freshly enrolled member to the tier the demo gave them.

    Enrolment always starts in the entry tier and tier movement has no use case yet; until it does, this
    is the one write the demo makes outside a use case. It changes no ledger entry or balance.
    """
    with db.write() as conn:
        club.tier(conn, tier_code)  # refuses a tier the club does not have
        member_store.set_tier(conn, member_id, tier_code)
