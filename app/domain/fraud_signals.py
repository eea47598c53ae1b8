# SPDX-License-Identifier: GPL-3.0-or-later
"""The fraud signals' statistics (issue 14, item 3): pure arithmetic, no I/O.

A **robust z-score** says how far a value lies from its peers' middle, in units of their spread, measured so
that the outliers being looked for do not hide themselves by stretching the spread (as they would a mean
and a standard deviation):

    z = (x − median) ÷ (1.4826 × MAD),   MAD = the median of |xᵢ − median|

1.4826 makes the MAD estimate the standard deviation when the values are normal, so z reads like an
ordinary z-score. A value is flagged when |z| ≥ 3.5: Iglewicz & Hoaglin's cut-off for their "modified
z-score" (How to Detect and Handle Outliers, ASQC 1993), chosen so that normal data almost never cross it.

Choices made here, and written into the report's definitions:

- The group is the unit's branch peers **including the unit itself** (the modified z-score as Iglewicz and
  Hoaglin define it; the 3.5 cut-off is calibrated for that). A group of fewer than `MIN_PEERS` values gets
  no z-score: with two values every one of them is as far from the median as the other.
- **MAD = 0** (more than half the group share one value, common when most staff never override): the spread
  falls back to the mean absolute deviation around the median, scaled by 1.2533 (√(π/2), which makes it
  estimate the standard deviation for normal data); if that is 0 too, every value equals the median and
  every z is 0.
- All arithmetic is exact (`Fraction`); the scales are the decimals written above.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from app.domain.companions import Companion
from app.domain.ids import derived_id

MAD_SCALE = Fraction("1.4826")
MEAN_AD_SCALE = Fraction("1.2533")
THRESHOLD = Fraction("3.5")
MIN_PEERS = 3
US_PER_MINUTE = 60_000_000
SOON_AFTER_US = 10 * US_PER_MINUTE  # a redemption this soon after another earn is "soon after earning"
SPLIT_WINDOW_US = 30 * US_PER_MINUTE  # sales this close together are one run (a split sale)
MIN_PURCHASES = 5  # a member's return pattern is judged from this many sales in the period on
MIN_RETURNED = 2  # and is a pattern from this many returned sales on (one return is no pattern)

# Every number of the fraud signals' report (sync.server.reports.fraud): key: (English, Persian). The docs
# (docs/reports.md) print each word for word.
DEFINITIONS: dict[str, tuple[str, str]] = {
    "fraud_sales": (
        "Sale entries (kind earn) the staff member or terminal wrote in the period, from the "
        "report_staff_day aggregate.",
        "ورودی‌های فروش (کسب امتیاز) که کارمند یا پایانه در بازه ثبت کرده است، از جدول تجمیعی "
        "report_staff_day.",
    ),
    "fraud_returns": (
        "Returns: reversal entries with a negative sale amount (they give back rials of a sale) written in "
        "the period by the staff member or terminal.",
        "برگشت از فروش: ورودی‌های ابطال با مبلغ فروش منفی (مبلغی از یک فروش را برمی‌گردانند) که کارمند یا "
        "پایانه در بازه ثبت کرده است.",
    ),
    "fraud_reversals": (
        "Reversal entries of any kind (returns included) written in the period by the staff member or "
        "terminal.",
        "ورودی‌های ابطال از هر نوع (برگشت از فروش هم) که کارمند یا پایانه در بازه ثبت کرده است.",
    ),
    "fraud_overrides": (
        "Override entries (a manager let a sale spend beyond the offline grant) naming the staff member, or "
        "written at the terminal, in the period.",
        "ورودی‌های مجوز مدیر (خرج بیش از سقف آفلاین) به نام کارمند یا در پایانه، در بازه.",
    ),
    "fraud_adjustments": (
        "Adjust entries (points added or taken by hand) naming the staff member, or written at the "
        "terminal, in the period.",
        "ورودی‌های اصلاح امتیاز (افزودن یا کسر دستی) به نام کارمند یا در پایانه، در بازه.",
    ),
    "fraud_per_100_sales": (
        "The count divided by the sales, times 100; empty when there was no sale.",
        "تعداد تقسیم بر فروش‌ها، ضرب در ۱۰۰؛ بدون فروش، خالی.",
    ),
    "fraud_robust_z": (
        "Robust z-score: (rate − median) ÷ (1.4826 × MAD) among the same branch's staff (or terminals) that "
        "have a rate, itself included; MAD is the median absolute deviation from the median. When MAD is 0 "
        "the divisor is 1.2533 × the mean absolute deviation from the median, and when that is 0 too every "
        "z is 0. Fewer than 3 peers with a rate: no z. z ≥ 3.5 or z ≤ −3.5 is flagged (Iglewicz and "
        "Hoaglin's cut-off).",
        "امتیاز z مقاوم: (نرخ − میانه) ÷ (۱٫۴۸۲۶ × MAD) در میان کارکنان (یا پایانه‌های) همان شعبه که نرخ "
        "دارند، خودش هم؛ MAD میانهٔ قدرمطلق فاصله‌ها از میانه است. اگر MAD صفر باشد مخرج ۱٫۲۵۳۳ × میانگین "
        "قدرمطلق فاصله‌ها از میانه است و اگر آن هم صفر باشد همهٔ zها صفرند. کمتر از ۳ همتا با نرخ: بدون z. "
        "z ≥ ۳٫۵ یا z ≤ −۳٫۵ نشانه است (آستانهٔ ایگلویچ و هوگلین).",
    ),
    "fraud_flags": (
        "How many of the row's rates have z ≥ 3.5 or z ≤ −3.5.",
        "تعداد نرخ‌های این سطر که z آن‌ها ۳٫۵ یا بیشتر، یا −۳٫۵ یا کمتر است.",
    ),
    "fraud_redemptions": (
        "Redeem entries (points spent, on a sale, a reward or a membership card) the staff member wrote in "
        "the period.",
        "ورودی‌های خرج امتیاز (در فروش، جایزه یا کارت عضویت) که کارمند در بازه ثبت کرده است.",
    ),
    "fraud_soon_after": (
        "Redemptions made within 10 minutes after another sale (earn entry) of the same member at the same "
        "terminal; the redemption's own sale does not count.",
        "خرج امتیازهایی که حداکثر ۱۰ دقیقه پس از فروشی دیگر (کسب امتیاز) به همان عضو در همان پایانه ثبت "
        "شده‌اند؛ فروش خود خرج امتیاز حساب نمی‌شود.",
    ),
    "fraud_soon_per_100": (
        "Redemptions soon after earning per 100 redemptions of the staff member; its robust z-score is "
        "among the same branch's staff.",
        "خرج امتیاز بلافاصله پس از کسب در هر ۱۰۰ خرج امتیاز کارمند؛ امتیاز z مقاوم آن در میان کارکنان همان "
        "شعبه است.",
    ),
    "fraud_member_sales": (
        "The member's sale entries (earn with a positive sale amount) in the period; only members with at "
        "least 5 are compared.",
        "ورودی‌های فروش عضو (کسب امتیاز با مبلغ فروش مثبت) در بازه؛ فقط اعضای دارای دست‌کم ۵ فروش سنجیده "
        "می‌شوند.",
    ),
    "fraud_member_returned": (
        "Of the member's sales in the period, those returned at least in part (by a reversal with a "
        "negative sale amount, at any time up to now); the share is that count divided by the sales.",
        "از فروش‌های عضو در بازه، آن‌هایی که دست‌کم بخشی از آن‌ها مرجوع شده است (با ابطال با مبلغ منفی، در "
        "هر زمان تا اکنون)؛ سهم، این تعداد تقسیم بر فروش‌هاست.",
    ),
    "fraud_member_returned_rials": (
        "The rials returned of the member's sales in the period divided by those sales' rials.",
        "ریال مرجوع‌شده از فروش‌های عضو در بازه تقسیم بر ریال آن فروش‌ها.",
    ),
    "fraud_member_z": (
        "The robust z-score of the member's returned share (count) among every member with at least 5 sales "
        "in the period; listed when z ≥ 3.5 and at least 2 sales were returned, highest first.",
        "امتیاز z مقاوم سهم مرجوعی عضو (تعداد) در میان همهٔ اعضای دارای دست‌کم ۵ فروش در بازه؛ با z ≥ ۳٫۵ و "
        "دست‌کم ۲ فروش مرجوع‌شده فهرست می‌شود، بیشترین اول.",
    ),
    "fraud_split": (
        "A run is a member's sales at one branch, each within 30 minutes of the one before. Listed: runs "
        "where a sale other than the first lifted the member a tier (its tier_change entry), so the run's "
        "earlier sales were part of what crossed the threshold; the run up to the crossing sale.",
        "زنجیره: فروش‌های یک عضو در یک شعبه که هر کدام حداکثر ۳۰ دقیقه پس از قبلی است. فهرست: زنجیره‌هایی "
        "که فروشی جز اولی عضو را یک سطح بالا برده است (ورودی تغییر سطح آن)، پس فروش‌های پیشین زنجیره بخشی "
        "از عبور از آستانه بوده‌اند؛ زنجیره تا فروش عبور.",
    ),
    "fraud_double_admission": (
        "Events with a check-in in the period where a member is admitted more than once (check-in entries "
        "of the event, not reversed, plus-ones aside), as the event's attendance folds them.",
        "رویدادهای دارای ورود در بازه که عضوی بیش از یک بار پذیرفته شده است (ورودی‌های ورود رویداد که ابطال "
        "نشده‌اند، جز همراهان)، همان‌گونه که حضور رویداد محاسبه می‌شود.",
    ),
    "fraud_negative_balance": (
        "Members whose points or cashback wallet stand below zero now (member_balance).",
        "اعضایی که امتیاز یا کیف پول بازگشت وجهشان اکنون زیر صفر است (member_balance).",
    ),
    "fraud_stock": (
        "The stock the current rule set gives the branch for the reward, and the units its reward entries "
        "gave out ever, reversed ones aside.",
        "موجودی‌ای که مجموعه‌قواعد کنونی برای جایزه به شعبه داده است، و واحدهایی که ورودی‌های جایزهٔ آن "
        "شعبه تاکنون داده‌اند، جز ابطال‌شده‌ها.",
    ),
    "fraud_beyond_stock": (
        "Rewards with a unit given at the branch in the period whose units given exceed the stock. In the "
        "order the server received them, the units after the stock-th are beyond it; the terminals are "
        "those that gave the last unit the stock allowed or any beyond it.",
        "جایزه‌هایی با واحدی داده‌شده در شعبه در بازه که واحدهای داده‌شده‌شان از موجودی بیشتر است. به ترتیب "
        "رسیدن به سرور، واحدهای پس از واحد آخرِ موجودی بیش از آن‌اند؛ پایانه‌ها آن‌هایی‌اند که آخرین واحد "
        "مجاز یا واحدی بیش از آن را داده‌اند.",
    ),
}

Number = int | Fraction
Unit = tuple[str, str, str]  # (branch, terminal, staff member or '')
KEEP = 250  # examples kept per unit for the drill-down (two entries each: within MAX_LISTED)


def median(values: Sequence[Number]) -> Fraction:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        raise ValueError("the median of nothing")
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Fraction(ordered[mid])
    return (Fraction(ordered[mid - 1]) + Fraction(ordered[mid])) / 2


def mad(values: Sequence[Number]) -> Fraction:
    """The median absolute deviation from the median."""
    middle = median(values)
    return median([abs(Fraction(v) - middle) for v in values])


@dataclass(frozen=True, slots=True)
class Spread:
    """A group's middle and the denominator its robust z-scores divide by (0: every value is the middle)."""

    middle: Fraction
    scale: Fraction

    def z(self, value: Number) -> Fraction:
        if self.scale == 0:
            return Fraction(0)  # every value of the group equals the median (see the module's note)
        return (Fraction(value) - self.middle) / self.scale


def spread(values: Sequence[Number]) -> Spread | None:
    """The group's median and scale (1.4826 × MAD, else 1.2533 × mean absolute deviation); None for a group
    smaller than MIN_PEERS."""
    if len(values) < MIN_PEERS:
        return None
    middle = median(values)
    deviations = [abs(Fraction(v) - middle) for v in values]
    by_mad = MAD_SCALE * median(deviations)
    if by_mad:
        return Spread(middle, by_mad)
    return Spread(middle, MEAN_AD_SCALE * sum(deviations, Fraction(0)) / len(deviations))


def robust_z(value: Number, group: Sequence[Number]) -> Fraction | None:
    """`value`'s robust z-score within `group` (which includes it); None when the group is too small."""
    found = spread(group)
    return None if found is None else found.z(value)


def robust_zs(values: Sequence[Number | None]) -> list[Fraction | None]:
    """Each value's robust z-score within the group of the values that are not None (a unit with no base
    for its rate has neither a rate nor a z-score, and is no one's peer)."""
    group = [v for v in values if v is not None]
    found = spread(group)
    return [None if v is None or found is None else found.z(v) for v in values]


def flagged(z: Fraction | None) -> bool:
    """|z| ≥ 3.5 (Iglewicz & Hoaglin)."""
    return z is not None and abs(z) >= THRESHOLD


def per_100(count: int, base: int) -> Fraction | None:
    """`count` per 100 of `base`; None when there is no base."""
    return None if base <= 0 else Fraction(100 * count, base)


# ---- redemptions soon after earning ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moment:
    """The few fields of an entry the streaming detectors read, in created_at order."""

    id: str
    at_us: int
    member_id: str
    device_id: str
    branch_id: str
    staff_id: str  # '' when none
    kind: str
    points: int = 0


@dataclass(frozen=True, slots=True)
class SoonRedemption:
    redeem: Moment
    earn: Moment  # the latest other earn of the member at the terminal before it


@dataclass(slots=True)
class SoonAfter:
    """Redemptions (`redeem` entries: points spent, whatever on) made within `window_us` after an `earn` by
    the same member at the same terminal, the redemption's own sale excepted (a sale that spends points
    writes its earn and its redeem together: derived ids, app.domain.companions).

    Feed it entries in created_at order; it keeps only the earns of the last window, so a period of any
    length streams through in little memory. Redemptions before `from_us` are not counted (their earns
    are: the stream starts a window early). Counted per (branch, terminal, staff member); the first `keep`
    of each are kept as examples, for the drill-down."""

    from_us: int
    window_us: int = SOON_AFTER_US
    keep: int = KEEP
    redemptions: dict[Unit, int] = field(default_factory=lambda: defaultdict(int))
    soon: dict[Unit, int] = field(default_factory=lambda: defaultdict(int))
    examples: dict[Unit, list[SoonRedemption]] = field(default_factory=lambda: defaultdict(list))
    _earns: dict[tuple[str, str], deque[Moment]] = field(default_factory=dict)
    _fed: int = 0

    def feed(self, e: Moment) -> None:
        key = (e.member_id, e.device_id)
        if e.kind == "earn":
            self._earns.setdefault(key, deque()).append(e)
        elif e.kind == "redeem" and e.at_us >= self.from_us:
            unit = (e.branch_id, e.device_id, e.staff_id)
            self.redemptions[unit] += 1
            earns = self._earns.get(key, ())
            since = e.at_us - self.window_us
            recent = [x for x in earns if since <= x.at_us <= e.at_us and _redeem_of(x) != e.id]
            if recent:
                self.soon[unit] += 1
                if len(self.examples[unit]) < self.keep:
                    self.examples[unit].append(SoonRedemption(e, recent[-1]))
        self._fed += 1
        if self._fed % 4096 == 0:
            self.forget(e.at_us)

    def forget(self, now_us: int) -> None:
        """Drop the earns too old to matter to any entry from `now_us` on."""
        for key in list(self._earns):
            earns = self._earns[key]
            while earns and earns[0].at_us < now_us - self.window_us:
                earns.popleft()
            if not earns:
                del self._earns[key]


def _redeem_of(sale: Moment) -> str:
    """The id the redeem entry of this sale would have (app.domain.companions)."""
    return str(derived_id(sale.id, Companion.REDEEM))


# ---- sales split to cross a tier threshold ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SplitCrossing:
    """A run of sales whose later sale carried the member into a higher tier."""

    sales: tuple[Moment, ...]  # the run up to and including the crossing sale, oldest first
    upgrade_id: str  # the tier_change entry written with the crossing sale
    tier: str  # the tier it lifted the member to

    @property
    def points(self) -> int:
        return sum(s.points for s in self.sales)


@dataclass(slots=True)
class SplitRuns:
    """Sales split to cross a tier threshold. A *run* is a member's sales (`earn` entries) at one branch,
    each within `window_us` of the one before. A run is flagged when one of its sales other than the first
    carried the member up a tier (the terminal writes a `tier_change` with derived id TIER beside the sale
    that crosses the threshold): the points of the run's earlier sales were part of what crossed it, and the
    sales after the crossing earned at the higher tier's multiplier. Feed entries in created_at order."""

    window_us: int = SPLIT_WINDOW_US
    found: list[SplitCrossing] = field(default_factory=list)
    _runs: dict[tuple[str, str], list[Moment]] = field(default_factory=dict)
    # the crossing sales of the open runs: sale id: (tier_change id, tier)
    _crossings: dict[str, tuple[str, str]] = field(default_factory=dict)
    # tier_change entries whose sale is not in sight yet (same moment, sorted before it): id: (at, tier)
    _waiting: dict[str, tuple[int, str]] = field(default_factory=dict)
    _fed: int = 0

    def feed(self, e: Moment, tier: str = "") -> None:
        """`tier`: for a tier_change entry, the tier it moved the member to (its invoice_ref)."""
        if e.kind == "tier_change":
            sale = next(
                (s for s in self._runs.get((e.member_id, e.branch_id), ()) if _tier_of(s) == e.id), None
            )
            if sale is None:
                self._waiting[e.id] = (e.at_us, tier)
            else:
                self._crossings[sale.id] = (e.id, tier)
        elif e.kind == "earn":
            key = (e.member_id, e.branch_id)
            run = self._runs.get(key)
            if run and e.at_us - run[-1].at_us > self.window_us:
                self._close(run)
                run = None
            if run is None:
                self._runs[key] = [e]
            else:
                run.append(e)
            upgrade = _tier_of(e)
            if upgrade in self._waiting:
                self._crossings[e.id] = (upgrade, self._waiting.pop(upgrade)[1])
        self._fed += 1
        if self._fed % 4096 == 0:
            self.forget(e.at_us)

    def forget(self, now_us: int) -> None:
        """Close the runs no later sale can join (their last sale is more than a window before `now_us`),
        and drop the tier changes whose sale never came."""
        for key in list(self._runs):
            if now_us - self._runs[key][-1].at_us > self.window_us:
                self._close(self._runs.pop(key))
        for upgrade in [u for u, (at, _) in self._waiting.items() if now_us - at > self.window_us]:
            del self._waiting[upgrade]

    def finish(self) -> list[SplitCrossing]:
        for run in self._runs.values():
            self._close(run)
        self._runs.clear()
        return self.found

    def _close(self, run: list[Moment]) -> None:
        crossed = [
            (i, self._crossings.pop(sale.id)) for i, sale in enumerate(run) if sale.id in self._crossings
        ]
        for i, (upgrade, tier) in crossed:
            if i:  # the first sale of a run crossed alone
                self.found.append(SplitCrossing(tuple(run[: i + 1]), upgrade, tier))
                return


def _tier_of(sale: Moment) -> str:
    """The id the tier_change entry written with this sale would have (app.domain.companions)."""
    return str(derived_id(sale.id, Companion.TIER))


# ---- a reward given beyond its stock ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RewardUnit:
    entry_id: str
    device_id: str
    server_seq: int


def beyond_stock(units: Iterable[RewardUnit], stock: int) -> tuple[list[RewardUnit], list[RewardUnit]]:
    """The units a branch gave of a reward (standing: not reversed), in the order the server received
    them: (the contested ones, the ones beyond stock). Beyond stock: every unit after the first `stock`.
    Contested: the last unit the stock allowed and every unit beyond it, the ones that raced for it
    (empty when the stock was not exceeded)."""
    ordered = sorted(units, key=lambda u: u.server_seq)
    if len(ordered) <= stock:
        return [], []
    return ordered[max(0, stock - 1) :], ordered[stock:]
