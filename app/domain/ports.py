# SPDX-License-Identifier: GPL-3.0-or-later
"""The ports the core needs from the outside world; adapters implement them."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    def now_us(self) -> int:
        """Microseconds since the Unix epoch, UTC."""
        ...


class EntropySource(Protocol):
    def random_bytes(self, n: int) -> bytes: ...
