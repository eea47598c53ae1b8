# SPDX-License-Identifier: GPL-3.0-or-later
"""Latency summaries: nearest-rank percentiles of nanosecond samples, reported in microseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(ordered: Sequence[int], q: float) -> int:
    """The nearest-rank q-th percentile (0 < q <= 100) of ascending samples."""
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_us(samples_ns: Sequence[int]) -> dict[str, float]:
    """p50, p99 and max in microseconds, to a tenth."""
    ordered = sorted(samples_ns)
    return {
        "p50": round(percentile(ordered, 50) / 1000, 1),
        "p99": round(percentile(ordered, 99) / 1000, 1),
        "max": round(ordered[-1] / 1000, 1),
    }
