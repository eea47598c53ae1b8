# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's clock: UTC microseconds since the Unix epoch. Tests pass their own."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_us(self) -> int: ...


class SystemClock:
    def now_us(self) -> int:
        return time.time_ns() // 1_000
