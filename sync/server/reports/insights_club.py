# SPDX-License-Identifier: GPL-3.0-or-later
"""The programme's parts: tiers (where members stand, how they moved), rewards and membership cards sold,
and event attendance.

Tier moves, rewards and memberships read the period's entries of their kinds through the ledger's
created_at index (bounded by the period); attendance is folded as the events pages fold it
(sync.server.events.attendances, app.domain.event.fold_attendance) for the period's events only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection, exists, func, select
from sqlalchemy.orm import aliased

from app.domain.companions import Companion
from app.domain.ids import derived_id
from app.domain.ledger import EntryKind
from app.domain.rewards import PREFIX as REWARD_REF_PREFIX
from sync.server import events as store
from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.club.events import _invited_counts
from sync.server.db import one_of
from sync.server.models import ENTRY, EVENT, INVITATION, MEMBER, TIER
from sync.server.reports.drill import UUID_RE
from sync.server.reports.insights_common import Scope, branch_id_of, chunks, ratio, run
from sync.server.reports.insights_common import scope as scope_of
from sync.server.reports.table import (
    MAX_LISTED,
    Cell,
    Chart,
    Column,
    Drill,
    Filters,
    Kind,
    Report,
    Result,
    Table,
)

_TIER_CHANGE = EntryKind.TIER_CHANGE.value
# the tier tables' words, as the Persian page shows them beside the codes
WORDS_FA = {"up": "بالا", "down": "پایین", "same": "بی‌تغییر", "other": "دیگر", "upgrade": "ارتقا",
            "review": "بازبینی"}  # fmt: skip


def _entries_in(scope: Scope, *kinds: str) -> Any:
    """The period's entries of `kinds` (created_at index), at the branch filter's branch, of members of
    the tier filter's tier."""
    query = (
        select(ENTRY.c.id, ENTRY.c.member_id, ENTRY.c.created_at_us, ENTRY.c.kind, ENTRY.c.invoice_ref,
               ENTRY.c.points_delta, ENTRY.c.sale_amount, ENTRY.c.reason)
        .where(ENTRY.c.created_at_us >= scope.start_us, ENTRY.c.created_at_us < scope.end_us,
               ENTRY.c.kind.in_(kinds), ENTRY.c.server_seq.is_not(None))
    )  # fmt: skip
    if scope.branch_id is not None:
        query = query.where(ENTRY.c.branch_id == scope.branch_id)
    if scope.filters.tier is not None:
        query = query.join(MEMBER, MEMBER.c.id == ENTRY.c.member_id).where(
            MEMBER.c.tier_code == scope.filters.tier
        )
    return query


def _listed(ids: list[str]) -> tuple[str, ...]:
    return tuple(ids) if len(ids) <= MAX_LISTED else ()


# ---- tiers -------------------------------------------------------------------------------------------

TIER_DEFINITIONS: dict[str, tuple[str, str]] = {
    "tier_members": (
        "Members in their current tier who joined on or before the period's last day; by home branch.",
        "اعضا در سطح کنونی‌شان که تا آخرین روز بازه عضو شده‌اند؛ بر پایهٔ شعبهٔ اصلی.",
    ),
    "tier_share": ("The tier's members ÷ every member counted.", "اعضای سطح تقسیم بر همهٔ اعضای شمرده."),
    "tier_move": (
        "A tier_change entry made in the period (at the branch filter's branch; of members whose current "
        "tier is the tier filter's). To: its invoice_ref, the new tier. From: the tier the member's "
        "previous tier_change entry (by time, then id) moved them to, or, with none before, the club's "
        "entry tier (the lowest rank). Up or down by the tiers' ranks. Reversed moves are counted as made.",
        "یک ورودی تغییر سطح در بازه (در شعبهٔ فیلتر؛ از اعضایی که سطح کنونی‌شان سطح فیلتر است). به: "
        "invoice_ref آن، سطح تازه. از: سطحی که ورودی تغییر سطح پیشین عضو (به زمان، سپس شناسه) به آن برده، "
        "یا اگر پیشینی نباشد، سطح ورودی باشگاه (پایین‌ترین رتبه). بالا یا پایین به رتبهٔ سطح‌ها. جابه‌جایی‌های "
        "برگشت‌خورده همان‌گونه که ثبت شده‌اند شمرده می‌شوند.",
    ),
    "tier_move_reason": (
        "The tier_change entry's reason: upgrade (a sale lifted the member), review (the daily run moved "
        "them down), or another a person wrote.",
        "دلیل ورودی تغییر سطح: ارتقا (خریدی عضو را بالا برد)، بازبینی (اجرای روزانه پایین آورد)، یا دلیلی "
        "دیگر که کسی نوشته.",
    ),
}


def _tiers(conn: Connection, scope: Scope) -> Result:
    f = scope.filters
    tiers = list(conn.execute(select(TIER.c.code, TIER.c.name_fa, TIER.c.name_en, TIER.c.rank)
                              .order_by(TIER.c.rank)))  # fmt: skip
    rank = {t.code: t.rank for t in tiers}
    counts = scope.members(
        select(MEMBER.c.tier_code, MEMBER.c.branch_id, func.count().label("n")).select_from(MEMBER)
    ).group_by(MEMBER.c.tier_code, MEMBER.c.branch_id)
    by: dict[str, Counter[str]] = defaultdict(Counter)
    for r in conn.execute(counts):
        by[r.tier_code][r.branch_id] += r.n
    total = sum(sum(c.values()) for c in by.values())
    branch_ids = sorted(scope.branches, key=lambda b: scope.branches[b])
    if scope.branch_id is not None:
        branch_ids = [scope.branch_id]
    codes = [t.code for t in tiers] + sorted(set(by) - set(rank))
    names = {t.code: (t.name_fa, t.name_en) for t in tiers}
    rows = []
    for code in codes:
        members = sum(by[code].values())
        rows.append((code, *names.get(code, (code, code)),
                     Cell(members, Drill("members", None, f.last, f.branch, code, named="joined")),
                     ratio(members, total),
                     *(Cell(by[code][b], Drill("members", None, f.last, scope.code(b), code, named="joined"))
                       for b in branch_ids)))  # fmt: skip
    distribution = Table(
        "tier_distribution", "اعضا بر پایهٔ سطح", "Members by tier",
        (Column("tier", "سطح", "Tier", Kind.TEXT), Column("name_fa", "نام", "Name (fa)", Kind.TEXT),
         Column("name_en", "نام انگلیسی", "Name (en)", Kind.TEXT),
         Column("members", "اعضا", "Members", Kind.COUNT, "tier_members"),
         Column("share", "سهم", "Share", Kind.RATE, "tier_share"),
         *(Column(f"branch_{scope.code(b)}", f"شعبهٔ {scope.code(b)}", f"At {scope.code(b)}", Kind.COUNT,
                  "tier_members") for b in branch_ids)),
        rows, Chart("stacked", "tier", tuple(f"branch_{scope.code(b)}" for b in branch_ids)),
    )  # fmt: skip
    moves = list(conn.execute(_entries_in(scope, _TIER_CHANGE)))
    entry_tier = tiers[0].code if tiers else ""
    previous: dict[str, list[tuple[int, str, str]]] = defaultdict(list)  # member: (at, id, to), in order
    members = sorted({m.member_id for m in moves})
    for part in chunks(members):
        history = (
            select(ENTRY.c.member_id, ENTRY.c.created_at_us, ENTRY.c.id, ENTRY.c.invoice_ref)
            .where(one_of(conn, ENTRY.c.member_id, part), ENTRY.c.kind == _TIER_CHANGE,
                   ENTRY.c.created_at_us < scope.end_us, ENTRY.c.server_seq.is_not(None))
        )  # fmt: skip
        for r in conn.execute(history):
            previous[r.member_id].append((r.created_at_us, r.id, r.invoice_ref or ""))
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    reasons: Counter[str] = Counter()
    for move in moves:
        before = [h for h in previous[move.member_id] if (h[0], h[1]) < (move.created_at_us, move.id)]
        came_from = max(before)[2] if before else entry_tier
        pairs[(came_from, move.invoice_ref or "")].append(move.id)
        reason = move.reason if move.reason in ("upgrade", "review") else "other"
        reasons[reason] += 1

    def direction(came_from: str, went_to: str) -> str:
        if came_from not in rank or went_to not in rank:
            return "other"
        return (
            "up" if rank[went_to] > rank[came_from] else "down" if rank[went_to] < rank[came_from] else "same"
        )

    move_rows = [
        (came_from, went_to, direction(came_from, went_to), WORDS_FA[direction(came_from, went_to)],
         Cell(len(ids), Drill("entries", f.first, f.last, f.branch, f.tier, kinds=(_TIER_CHANGE,),
                              entry_ids=_listed(sorted(ids)))))
        for (came_from, went_to), ids in sorted(pairs.items())
    ]  # fmt: skip
    moved = Table(
        "tier_moves", "جابه‌جایی میان سطح‌ها", "Moves between tiers",
        (Column("from", "از سطح", "From", Kind.TEXT, "tier_move"),
         Column("to", "به سطح", "To", Kind.TEXT, "tier_move"),
         Column("direction", "جهت (انگلیسی)", "Direction", Kind.TEXT, "tier_move"),
         Column("direction_fa", "جهت", "Direction (fa)", Kind.TEXT, "tier_move"),
         Column("moves", "جابه‌جایی", "Moves", Kind.COUNT, "tier_move")),
        move_rows,
    )  # fmt: skip
    by_reason = Table(
        "tier_moves_by_reason", "جابه‌جایی‌ها بر پایهٔ دلیل", "Moves by reason",
        (Column("reason", "دلیل (انگلیسی)", "Reason", Kind.TEXT, "tier_move_reason"),
         Column("reason_fa", "دلیل", "Reason (fa)", Kind.TEXT, "tier_move_reason"),
         Column("moves", "جابه‌جایی", "Moves", Kind.COUNT, "tier_move")),
        [(reason, WORDS_FA[reason], Cell(reasons[reason], Drill("entries", f.first, f.last, f.branch, f.tier,
                                               kinds=(_TIER_CHANGE,))))
         for reason in ("upgrade", "review", "other")],
        Chart("bar", "reason", ("moves",)),
    )  # fmt: skip
    return Result([distribution, moved, by_reason], definitions=TIER_DEFINITIONS)


def build_tiers(call: Call, filters: Filters) -> Result:
    return run(call, "tiers", filters, _tiers)


# ---- rewards and membership cards sold ------------------------------------------------------------------

SALES_DEFINITIONS: dict[str, tuple[str, str]] = {
    "sold": (
        "Entries of kind reward (invoice_ref reward:<code>) or membership purchase (invoice_ref the plan) "
        "made in the period, at the branch filter's branch, by members of the tier filter's current tier.",
        "ورودی‌های جایزه (invoice_ref به شکل reward:<code>) یا خرید عضویت (invoice_ref کد طرح) در بازه، در "
        "شعبهٔ فیلتر، از اعضای سطح کنونی فیلتر.",
    ),
    "undone": (
        "Of those, the ones a reversal names (at any time): given back.",
        "از آن‌ها، آن‌هایی که برگشتی (در هر زمان) نامشان را برده: پس داده‌شده.",
    ),
    "kept": ("sold − undone.", "فروخته‌شده منهای پس‌داده‌شده."),
    "points_spent": (
        "Points the kept ones took: their redeem companion entries' points (and their own points_delta, if "
        "any), made positive.",
        "امتیازهایی که نگه‌داشته‌ها برداشتند: امتیاز ورودی‌های خرج همراهشان (و points_delta خودشان، اگر "
        "باشد)، مثبت‌شده.",
    ),
    "rials_paid": (
        "Rials paid for the kept membership cards (their sale_amount); rewards are paid in points only.",
        "ریال پرداخت‌شده برای کارت‌های عضویت نگه‌داشته (sale_amount آن‌ها)؛ جایزه‌ها فقط با امتیاز پرداخت می‌شوند.",
    ),
}


def _sales(conn: Connection, scope: Scope) -> Result:
    f = scope.filters
    reversal = aliased(ENTRY)
    undone = exists().where(reversal.c.reverses == ENTRY.c.id, reversal.c.kind == EntryKind.REVERSAL.value)
    base = _entries_in(scope, EntryKind.REWARD.value, EntryKind.MEMBERSHIP_PURCHASE.value)
    sold_rows = list(conn.execute(base.add_columns(undone.label("undone"))))
    # the points are spent by each one's redeem companion (app.domain.companions), found by its derived id
    companions = {str(derived_id(r.id, Companion.REDEEM)): r.id for r in sold_rows}
    spent: dict[str, int] = defaultdict(int)
    for part in chunks(list(companions)):
        query = select(ENTRY.c.id, ENTRY.c.points_delta).where(one_of(conn, ENTRY.c.id, part))
        for companion_id, points in conn.execute(query):
            spent[companions[companion_id]] -= points
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # sold, undone, points, rials
    for r in sold_rows:
        key = (r.kind, r.invoice_ref or "")
        sums[key][0] += 1
        if r.undone:
            sums[key][1] += 1
        else:
            sums[key][2] += spent[r.id] - r.points_delta
            sums[key][3] += r.sale_amount
    rules = scope.calendar
    rewards = {r.code: (r.name_fa, r.name_en) for r in rules.rewards}
    plans = {p.code: (p.name_fa, p.name_en) for p in rules.memberships}
    tables = []
    for kind, code_of, names, title in (
        (EntryKind.REWARD.value, lambda ref: ref.removeprefix(REWARD_REF_PREFIX), rewards,
         ("rewards_sold", "جایزه‌های داده‌شده", "Rewards given")),
        (EntryKind.MEMBERSHIP_PURCHASE.value, lambda ref: ref, plans,
         ("memberships_sold", "کارت‌های عضویت فروخته‌شده", "Membership cards sold")),
    ):  # fmt: skip
        rows = []
        for (entry_kind, ref), (sold, back, points, rials) in sorted(sums.items()):
            if entry_kind != kind:
                continue
            code = code_of(ref)
            drill = Drill("entries", f.first, f.last, f.branch, f.tier, kinds=(kind,))
            rows.append((code, *names.get(code, (code, code)), Cell(sold, drill), back, sold - back, points,
                         rials))  # fmt: skip
        columns = (
            Column("code", "کد", "Code", Kind.TEXT), Column("name_fa", "نام", "Name (fa)", Kind.TEXT),
            Column("name_en", "نام انگلیسی", "Name (en)", Kind.TEXT),
            Column("sold", "ثبت‌شده", "Sold", Kind.COUNT, "sold"),
            Column("undone", "پس‌داده", "Undone", Kind.COUNT, "undone"),
            Column("kept", "نگه‌داشته", "Kept", Kind.COUNT, "kept"),
            Column("points", "امتیاز", "Points", Kind.COUNT, "points_spent"),
            Column("rials", "ریال", "Rials paid", Kind.RIALS, "rials_paid"),
        )  # fmt: skip
        tables.append(Table(title[0], title[1], title[2], columns, rows, Chart("bar", "code", ("kept",))))
    return Result(tables, definitions=SALES_DEFINITIONS)


def build_sales(call: Call, filters: Filters) -> Result:
    return run(call, "rewards_memberships", filters, _sales)


# ---- event attendance ---------------------------------------------------------------------------------

EVENT_DEFINITIONS: dict[str, tuple[str, str]] = {
    "events_in_period": (
        "Events that start in the period (cancelled ones too, marked); branch: the events that branch "
        "holds (club-wide events have none).",
        "رویدادهایی که در بازه آغاز می‌شوند (لغوشده‌ها هم، با نشان)؛ شعبه: رویدادهایی که آن شعبه برگزار "
        "می‌کند (رویدادهای سراسری شعبه ندارند).",
    ),
    "invited": (
        "Members on the guest list: every member of an invited tier, and those invited by name (not "
        "cancelled), as the events page counts them.",
        "اعضای فهرست مهمانان: همهٔ اعضای سطح‌های دعوت‌شده و دعوت‌شدگان با نام (لغونشده)، همان‌گونه که "
        "صفحهٔ رویدادها می‌شمارد.",
    ),
    "admitted": (
        "Members admitted at the door (check_in entries not reversed), each once however many doors let "
        "them in.",
        "اعضایی که دم در پذیرفته شدند (ورودی‌های ورود برگشت‌نخورده)، هر عضو یک بار هرچند درِ پذیرفته باشد.",
    ),
    "no_shows": (
        "Invited members who were not admitted: invited − the admitted members who were on the guest list.",
        "دعوت‌شدگانی که نیامدند: دعوت‌شدگان منهای پذیرفته‌شدگانی که در فهرست مهمانان بودند.",
    ),
    "plus_ones": (
        "Guests admitted under members' invitations (guest_check_in entries not reversed).",
        "همراهانی که با دعوت اعضا پذیرفته شدند (ورودی‌های ورود همراه برگشت‌نخورده).",
    ),
    "show_rate": (
        "The admitted members who were on the guest list ÷ invited (0 with nobody invited).",
        "پذیرفته‌شدگانی که در فهرست مهمانان بودند تقسیم بر دعوت‌شدگان (۰ اگر کسی دعوت نشده).",
    ),
    "doubly_admitted": (
        "Members admitted more than once (two doors, offline).",
        "اعضایی که بیش از یک بار پذیرفته شدند (دو در، بدون اتصال).",
    ),
}


def _on_list(conn: Connection, event: Any, member_ids: list[str]) -> set[str]:
    """Which of the admitted members were on the event's guest list (invited tier, or by name)."""
    tiers = set(event.invited_tiers)
    found: set[str] = set()
    for part in chunks(member_ids):
        if tiers:
            query = select(MEMBER.c.id).where(one_of(conn, MEMBER.c.id, part), MEMBER.c.tier_code.in_(tiers))
            found |= set(conn.execute(query).scalars())
        named = select(INVITATION.c.member_id).where(
            INVITATION.c.event_id == event.id, INVITATION.c.cancelled.is_(False),
            one_of(conn, INVITATION.c.member_id, part),
        )  # fmt: skip
        found |= set(conn.execute(named).scalars())
    return found


def _admitted(attendance: Any) -> list[str]:
    """The members an event admitted (its guests' plus-ones apart), in id order."""
    return sorted({c.member_id for c in attendance.check_ins if not c.guest})


def _events_query(scope: Scope) -> Any:
    """The period's events (starting in it), at the branch filter's branch."""
    query = select(EVENT).where(EVENT.c.starts_at_us >= scope.start_us, EVENT.c.starts_at_us < scope.end_us)
    if scope.branch_id is not None:
        query = query.where(EVENT.c.branch_id == scope.branch_id)
    return query


def members_of(call: Call, named: str, filters: Filters) -> list[str] | None:
    """The members behind "admitted:<event id>": those the event admitted, an event of the report's (in
    the filters' period, at their branch). None: not mine."""
    kind, _, event_id = named.partition(":")
    if kind != "admitted" or not UUID_RE.fullmatch(event_id):
        return None

    def ids(conn: Connection) -> list[str]:
        found = conn.execute(_events_query(scope_of(conn, filters)).where(EVENT.c.id == event_id)).first()
        if found is None:
            return []
        return _admitted(store.attendances(conn, [event_id])[event_id])

    return read(call, "report.members.admitted", named, ids, branch_id=branch_id_of(call, filters))


def _events(conn: Connection, scope: Scope) -> Result:
    found = list(conn.execute(_events_query(scope).order_by(EVENT.c.starts_at_us, EVENT.c.id)))
    listed = [store.wire_event(r) for r in found]
    folded = store.attendances(conn, [e.id for e in listed])
    invited = _invited_counts(conn, listed)
    rows = []
    for event, row in zip(listed, found, strict=True):
        attendance = folded[event.id]
        admitted = _admitted(attendance)
        guests = sum(1 for c in attendance.check_ins if c.guest)
        came = len(_on_list(conn, event, admitted))
        day = scope.calendar.local_date(event.starts_at_us)
        rows.append((
            event.name, day, "cancelled" if event.cancelled else "", scope.code(row.branch_id),
            invited[event.id],
            Cell(len(admitted), Drill("members", member_ids=_listed(admitted), named=f"admitted:{event.id}")),
            max(0, invited[event.id] - came), guests, attendance.people,
            Cell(len(attendance.doubly_admitted),
                 Drill("members", member_ids=_listed(sorted(attendance.doubly_admitted)))
                 if attendance.doubly_admitted else None),
            ratio(came, invited[event.id]),
        ))  # fmt: skip
    table = Table(
        "event_attendance", "حضور در رویدادها", "Event attendance",
        (Column("event", "رویداد", "Event", Kind.TEXT, "events_in_period"),
         Column("starts", "روز", "Day", Kind.DAY, "events_in_period"),
         Column("state", "وضعیت", "State", Kind.TEXT),
         Column("branch", "شعبه", "Branch", Kind.TEXT, "events_in_period"),
         Column("invited", "دعوت‌شده", "Invited", Kind.COUNT, "invited"),
         Column("admitted", "پذیرفته", "Admitted", Kind.COUNT, "admitted"),
         Column("no_shows", "نیامده", "No-shows", Kind.COUNT, "no_shows"),
         Column("plus_ones", "همراه", "Plus-ones", Kind.COUNT, "plus_ones"),
         Column("people", "کل حاضران", "People inside", Kind.COUNT, "plus_ones"),
         Column("doubly_admitted", "پذیرش دوباره", "Admitted twice", Kind.COUNT, "doubly_admitted"),
         Column("show_rate", "نرخ حضور", "Show rate", Kind.RATE, "show_rate")),
        rows, Chart("bar", "event", ("admitted", "no_shows", "plus_ones")),
    )  # fmt: skip
    return Result([table], definitions=EVENT_DEFINITIONS)


def build_events(call: Call, filters: Filters) -> Result:
    return run(call, "event_attendance", filters, _events)


REPORTS = [
    Report("tiers", "سطح‌ها و جابه‌جایی‌ها", "Tiers and moves", build_tiers, TIER_DEFINITIONS,
           Permission.READ),
    Report("rewards_memberships", "جایزه‌ها و کارت‌های عضویت", "Rewards and membership cards",
           build_sales, SALES_DEFINITIONS, Permission.READ),
    Report("event_attendance", "حضور در رویدادها", "Event attendance", build_events, EVENT_DEFINITIONS,
           Permission.READ, filters=("period", "branch")),
]  # fmt: skip
