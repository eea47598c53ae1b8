# SPDX-License-Identifier: GPL-3.0-or-later
"""What a report returns, for the page, the chart, the drill-down and the exports alike.

A report is a function `(Call, Filters) -> Result`. A `Result` is a list of `Table`s; a table has typed
`Column`s and rows of values or `Cell`s. A cell may name a `Drill`: the entries or members behind the number,
which the back office lists page by page (sync.server.reports.drill). Every column may carry a definition
key: the definition (English, Persian) is printed beside the number in the page, the PDF and the docs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync.server.club.access import Permission
    from sync.server.club.act import Call


class Kind(StrEnum):
    """How a column's values are shown and exported."""

    TEXT = "text"
    COUNT = "count"  # an integer count (members, entries, points)
    RIALS = "rials"  # integer rials; shown in Toman
    RATE = "rate"  # a Fraction between 0 and 1; shown as a percentage
    RATIO = "ratio"  # a Fraction, any size (purchase frequency)
    DAY = "day"  # a date (local, the club's calendar)
    MONTH = "month"  # a date, the month's first day
    Z = "z"  # a robust z-score (Fraction or float), shown to one decimal


@dataclass(frozen=True, slots=True)
class Filters:
    """What the reports section's filter bar chooses. Dates are local, both inclusive."""

    first: date
    last: date
    branch: str | None = None  # branch code
    tier: str | None = None  # tier code (the member's current tier)
    campaign: str | None = None  # campaign code (the rule set's)


@dataclass(frozen=True, slots=True)
class Drill:
    """The entries or members behind a number. Every field narrows; the period is the report's unless
    `first`/`last` say otherwise. `entry_ids`/`member_ids` list them outright (at most `MAX_LISTED`)."""

    target: str  # "entries" | "members"
    first: date | None = None
    last: date | None = None
    branch: str | None = None  # branch code (where the entries were written; for members: home branch)
    tier: str | None = None
    kinds: tuple[str, ...] = ()  # entry kinds
    member_id: str | None = None
    staff_id: str | None = None
    device_id: str | None = None
    entry_ids: tuple[str, ...] = ()
    member_ids: tuple[str, ...] = ()
    named: str | None = None  # a named set the drill module computes, e.g. "active", "repeat", "engaged"


MAX_LISTED = 500


@dataclass(frozen=True, slots=True)
class Cell:
    value: int | Fraction | float | str | date | None
    drill: Drill | None = None


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title_fa: str
    title_en: str
    kind: Kind = Kind.COUNT
    definition: str | None = None  # a key of the report's `definitions`


@dataclass(frozen=True, slots=True)
class Chart:
    """How the page draws a table: `kind` line | bar | stacked | heatmap; `x` a column key; `y` column keys
    (for a heatmap: the first row value is the row label, the rest are the cells)."""

    kind: str
    x: str
    y: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    code: str
    title_fa: str
    title_en: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell | int | Fraction | float | str | date | None, ...]]
    chart: Chart | None = None
    note_fa: str = ""  # a sentence under the table (what was chosen, what is left out)
    note_en: str = ""


@dataclass(frozen=True, slots=True)
class AsOf:
    """When the aggregates last counted, and how far: entries past `server_seq` are not in the numbers."""

    counted_at_us: int
    server_seq: int
    behind: int  # entries the server holds that are not counted yet


@dataclass(frozen=True, slots=True)
class Result:
    tables: list[Table]
    as_of: AsOf | None = None
    definitions: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # key: (English, Persian)


Progress = Callable[[int], None]  # a slow report's build may take `progress=`: call it with 0 to 100


@dataclass(frozen=True, slots=True)
class Report:
    code: str  # its address: /admin/reports/<code>
    title_fa: str
    title_en: str
    # build(call, filters) -> Result; a build may also take `progress: Progress | None = None` as a keyword,
    # which the background jobs (sync.server.reports.jobs) hand it to show how far it is. Call it between
    # reads, not inside one: it writes the job's row (on SQLite, inside another write it would wait forever)
    build: Callable[[Call, Filters], Result]
    definitions: Mapping[str, tuple[str, str]]
    permission: Permission
    slow: bool = False  # True: built by a background job with progress, never in the request
    filters: tuple[str, ...] = ("period", "branch", "tier")  # the filters it honours (and "campaign")
