# SPDX-License-Identifier: GPL-3.0-or-later
"""The branch's own day report, offline, from the terminal's ledger (app.domain.day_report).

The day is the local date in the terminal's time zone, from 00:00 to the end of the day, on the entries'
`created_at`. Entries the club server set aside count nowhere (app.store.ledger.uncounted_ids), so they
are left out here too. Reads the store: call it on a worker, not the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.domain.branch import Branch
from app.domain.day_report import DayReport, day_report
from app.domain.ledger import EntryKind
from app.services.terminal import Terminal
from app.store import club, ledger

US = 1_000_000
_REVERSIBLE = (EntryKind.EARN, EntryKind.CHECK_IN, EntryKind.GUEST_CHECK_IN)


@dataclass(frozen=True, slots=True)
class BranchDay:
    day: date
    start_us: int
    end_us: int
    branch: Branch
    report: DayReport
    staff_names: dict[str, str]  # by staff id: every staff member the terminal knows
    made_at_us: int
    club_name_fa: str = ""
    club_name_en: str = ""

    def staff_name(self, staff_id: str | None) -> str | None:
        return None if staff_id is None else self.staff_names.get(staff_id, staff_id)


def local_day_bounds(day: date) -> tuple[int, int]:
    """The local day as [start, end) in UTC microseconds (a day is 23 or 25 hours across a clock change)."""
    start = datetime.combine(day, time()).astimezone()  # naive: the terminal's local time
    end = datetime.combine(day + timedelta(days=1), time()).astimezone()
    return _us(start), _us(end)


def _us(moment: datetime) -> int:
    return round(moment.astimezone(UTC).timestamp() * US)


def local_today(now_us: int) -> date:
    return datetime.fromtimestamp(now_us // US, tz=UTC).astimezone().date()


def branch_day_report(terminal: Terminal, day: date | None = None) -> BranchDay:
    """The day's report of the terminal's branch; today (local) when no day is given."""
    now = terminal.clock.now_us()
    day = day or local_today(now)
    start_us, end_us = local_day_bounds(day)
    with terminal.db.read() as conn:
        uncounted = ledger.uncounted_ids(conn)
        entries = [e for e in ledger.created_between(conn, start_us, end_us) if e.id not in uncounted]
        targets = [e.id for e in entries if e.kind in _REVERSIBLE and e.branch_id == terminal.branch_id]
        later = [e for e in ledger.reversals_of_any(conn, targets) if e.id not in uncounted]
        branch = club.branch(conn, terminal.branch_id)
        names = {s.id: s.name for s in club.all_staff(conn)}
        club_fa, club_en = club.setting(conn, "club_name_fa") or "", club.setting(conn, "club_name_en") or ""
    report = day_report(terminal.branch_id, entries, later_reversals=later)
    return BranchDay(day, start_us, end_us, branch, report, names, now, club_fa, club_en)
