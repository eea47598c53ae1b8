# SPDX-License-Identifier: GPL-3.0-or-later
"""How the reports page shows a table (sync.server.reports.shown): a heat map shades its chart's own columns
only, and a definition several columns share is printed once, under their titles."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from sync.server.reports import shown
from sync.server.reports.table import Chart, Column, Kind, Table

DEFINITIONS = {
    "size": ("Members in the cohort.", "اعضای گروه."),
    "share": ("The share who bought.", "سهم خریداران."),
}


def retention() -> Table:
    columns = (
        Column("cohort", "ماه", "Month", Kind.MONTH),
        Column("members", "اعضا", "Cohort size", Kind.COUNT, "size"),
        *(Column(f"m{k}", f"ماه {k}", f"Month {k}", Kind.RATE, "share") for k in range(3)),
    )
    rows = [
        (date(2026, 10, 23), 60, Fraction(1, 2), Fraction(1, 4), None),
        (date(2026, 11, 22), 5, Fraction(1), None, None),
    ]
    return Table(
        "retention", "ماندگاری", "Retention", columns, rows, Chart("heatmap", "cohort", ("m0", "m1", "m2"))
    )


def test_a_heat_map_shades_its_own_columns_only():
    found = shown.table(retention(), "en", DEFINITIONS, lambda _drill: "")
    sizes = [row[1] for row in found.rows]
    assert [cell.heat for cell in sizes] == [None, None]  # the cohort's size is not a share
    assert found.rows[1][2].heat == shown.HEAT_STEPS - 1  # 100 %: the top of the scale
    assert found.rows[0][2].heat == shown.HEAT_STEPS // 2 and found.rows[0][4].heat is None


def test_a_shared_definition_is_printed_once_under_its_columns_titles():
    found = shown.table(retention(), "en", DEFINITIONS, lambda _drill: "")
    assert found.definitions == [
        ("Cohort size", "Members in the cohort."),
        ("Month 0 … Month 2", "The share who bought."),
    ]
    persian = shown.table(retention(), "fa", DEFINITIONS, lambda _drill: "")
    assert persian.definitions[1] == ("ماه 0 … ماه 2", "سهم خریداران.")
