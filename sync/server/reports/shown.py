# SPDX-License-Identifier: GPL-3.0-or-later
"""A report's `Result` as a page shows it, whatever the report: each value as text by its column's kind
(Persian digits in Persian, Toman for rials, a percentage for a rate), each drill as a link, each
definition in the page's language, and each chart's data as numbers for Chart.js.

One-row tables with many columns (the overview's summary) are shown as a list, a number a line, each
beside its definition; heat maps are tables whose cells are shaded by their value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from app import format as fmt
from sync.server.reports.aggregates import month_label, month_of
from sync.server.reports.table import Cell, Column, Drill, Kind, Result, Table

LIST_FROM = 5  # a single row with at least this many columns is shown as a list
HEAT_STEPS = 10


def text(value: object, kind: Kind, lang: str) -> str:  # noqa: PLR0911 -- one way a kind
    """A value as the page shows it."""
    if value is None:
        return "—"
    if kind is Kind.COUNT:
        return fmt.number(int(value), lang)  # type: ignore[call-overload]
    if kind is Kind.RIALS:
        return fmt.toman(int(value), lang)  # type: ignore[call-overload]
    if kind is Kind.RATE:
        return _decimal(Fraction(value) * 100, 1, lang) + ("٪" if lang == "fa" else "%")  # type: ignore[arg-type]
    if kind is Kind.RATIO:
        return _decimal(Fraction(value), 2, lang)  # type: ignore[arg-type]
    if kind is Kind.Z:
        return _decimal(Fraction(value), 1, lang)  # type: ignore[arg-type]
    if kind is Kind.DAY and isinstance(value, date):
        return fmt.date_text(value, lang)
    if kind is Kind.MONTH and isinstance(value, date):  # the club's (Jalali) month: "آذر ۱۴۰۵"
        return month_label(month_of(value), lang)
    return str(value)


def _decimal(value: Fraction, places: int, lang: str) -> str:
    scaled = round(value * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, part = divmod(abs(scaled), 10**places)
    shown = (
        fmt.number(whole, lang) + ("٫" if lang == "fa" else ".") + fmt.number(part, lang).rjust(places, "0")
    )
    if lang == "fa":
        shown = shown.replace("0", "۰")
    return sign + shown


def number(value: object, kind: Kind) -> float | None:
    """A value as a chart plots it: Toman for rials, percent for a rate."""
    if value is None or kind in {Kind.TEXT, Kind.DAY, Kind.MONTH}:
        return None
    if kind is Kind.RIALS:
        return int(value) / 10  # type: ignore[call-overload]
    if kind is Kind.RATE:
        return float(Fraction(value) * 100)  # type: ignore[arg-type]
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ShownCell:
    text: str
    href: str | None
    numeric: bool
    heat: int | None  # 0..HEAT_STEPS-1 for a heat map's cell


@dataclass(frozen=True, slots=True)
class ShownColumn:
    key: str
    title: str
    numeric: bool
    definition: str  # in the page's language; "" for none


@dataclass(frozen=True, slots=True)
class ShownTable:
    code: str
    title: str
    columns: list[ShownColumn]
    rows: list[list[ShownCell]]
    as_list: bool  # one row of many numbers: shown as a list, each beside its definition
    chart: str  # "line", "bar", "stacked", "heatmap" or ""
    chart_json: str  # the data Chart.js draws ("" for none or a heat map)
    note: str
    definitions: list[tuple[str, str]] = field(default_factory=list)  # (the columns' titles, definition)


def _definitions(columns: list[ShownColumn]) -> list[tuple[str, str]]:
    """Each definition once, under the titles of the columns it defines ("Month 0 … Month 12")."""
    titles: dict[str, list[str]] = {}
    for column in columns:
        if column.definition:
            titles.setdefault(column.definition, []).append(column.title)
    return [
        (named[0] if len(named) == 1 else f"{named[0]} … {named[-1]}", definition)
        for definition, named in titles.items()
    ]


def _cell(value: object) -> Cell:
    return value if isinstance(value, Cell) else Cell(value)  # type: ignore[arg-type]


def _heat(value: object, top: float) -> int | None:
    if value is None or top <= 0:
        return None
    return min(HEAT_STEPS - 1, int(float(value) / top * HEAT_STEPS))  # type: ignore[arg-type]


def table(
    shown: Table, lang: str, definitions: Mapping[str, tuple[str, str]], link: Callable[[Drill], str]
) -> ShownTable:
    fa = lang == "fa"
    columns = [
        ShownColumn(
            c.key,
            c.title_fa if fa else c.title_en,
            c.kind not in {Kind.TEXT, Kind.DAY, Kind.MONTH},
            _definition(c, definitions, fa),
        )
        for c in shown.columns
    ]
    rows = [[_cell(v) for v in row] for row in shown.rows]
    heatmap = shown.chart is not None and shown.chart.kind == "heatmap"
    # a heat map shades the chart's own columns (not, say, a cohort's size beside them)
    y = shown.chart.y if shown.chart is not None and heatmap else ()
    shaded = {i for i, c in enumerate(shown.columns) if i > 0 and c.key in y}
    values = [row[i].value for row in rows for i in shaded if i < len(row)]
    top = max((float(v) for v in values if isinstance(v, (int, float, Fraction))), default=0.0)
    shown_rows = [
        [
            ShownCell(
                text(cell.value, column.kind, lang),
                None if cell.drill is None else link(cell.drill),
                shown_column.numeric,
                _heat(cell.value, top) if i in shaded else None,
            )
            for i, (cell, column, shown_column) in enumerate(zip(row, shown.columns, columns, strict=False))
        ]
        for row in rows
    ]
    return ShownTable(
        code=shown.code,
        title=shown.title_fa if fa else shown.title_en,
        columns=columns,
        rows=shown_rows,
        as_list=len(rows) == 1 and len(columns) >= LIST_FROM and not heatmap,
        chart="" if shown.chart is None else shown.chart.kind,
        chart_json="" if shown.chart is None or heatmap else _chart_json(shown, rows, lang),
        note=shown.note_fa if fa else shown.note_en,
        definitions=_definitions(columns),
    )


def _definition(column: Column, definitions: Mapping[str, tuple[str, str]], fa: bool) -> str:
    if column.definition is None or column.definition not in definitions:
        return ""
    english, persian = definitions[column.definition]
    return persian if fa else english


def _chart_json(shown: Table, rows: list[list[Cell]], lang: str) -> str:
    """What static/reports.js hands Chart.js: the x labels as shown, a series per y column (rials on an
    axis of their own, as Toman: a day's sales dwarf its purchase count)."""
    assert shown.chart is not None
    index = {c.key: i for i, c in enumerate(shown.columns)}
    x = index[shown.chart.x]
    series: list[dict[str, Any]] = []
    for key in shown.chart.y:
        column = shown.columns[index[key]]
        series.append({
            "label": column.title_fa if lang == "fa" else column.title_en,
            "axis": "money" if column.kind is Kind.RIALS else "count",
            "data": [number(row[index[key]].value, column.kind) for row in rows],
        })  # fmt: skip
    labels = [text(row[x].value, shown.columns[x].kind, lang) for row in rows]
    return json.dumps({"kind": shown.chart.kind, "rtl": lang == "fa", "labels": labels, "series": series},
                      ensure_ascii=False)  # fmt: skip


def result(found: Result, lang: str, link: Callable[[Drill], str]) -> list[ShownTable]:
    return [table(t, lang, found.definitions, link) for t in found.tables]


def general_definitions(found: Result, lang: str) -> list[str]:
    """The result's definitions that no column names (how the period, a branch, a tier are read), in the
    page's language: printed once under the tables."""
    named = {c.definition for t in found.tables for c in t.columns}
    return [fa if lang == "fa" else en for key, (en, fa) in found.definitions.items() if key not in named]
