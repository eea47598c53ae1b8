# SPDX-License-Identifier: GPL-3.0-or-later
"""QR / barcode scanners that type like a keyboard ("keyboard wedge"), told apart from people by timing.

A scanner types a whole code in a burst, a character every few milliseconds, then Enter. A person's keys are
80 ms or more apart. So the classifier holds keys back while they arrive fast; a burst that ends in Enter and
looks machine-made is a scan, anything else is given back, in order, for the UI to type as if nothing
happened. A person's key is held for at most `hold_gap_us` (plus the UI's timer tick): not noticeable.

Keys are timed by when they were typed (`TypingClock`: the platform's stamp on the key event), not by when
the UI got round to reading them: a busy UI reads a queued burst late and all at once, and may stop for a
long while in the middle of one.

Threading: plain logic, not thread-safe. `app.ui.scanner` uses it on the UI thread, where the keys are and
where the ones that are not a scan must be given back, before any later key.

Persian keyboards: with the Persian layout active, a scanner's digit keys arrive as Persian digits
(U+06F0-06F9); scans are read with ASCII digits. Letters arrive as whatever the layout maps them to and
cannot be recovered reliably (shift states differ); scanners should be set to a US layout, or the UI should
feed key codes rather than characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from app.domain.digits import to_latin_digits

ENTER_KEYS = frozenset({"\n", "\r", "Enter", "Return"})


@dataclass(frozen=True, slots=True)
class WedgeThresholds:
    """When a burst of keys is a scan. The defaults come from how the two kinds of typist behave:

    - USB HID scanners send a key every 1-15 ms (the host polls every 1-8 ms and a key is a press and a
      release); Bluetooth ones a little slower. People's keys are 80+ ms apart, even a fast typist's.
    - `fast_gap_us` (30 ms): a gap this short is machine-like.
    - `hold_gap_us` (50 ms): keys are held back while they come at most this far apart. Above `fast_gap_us`
      so that a scanner's hiccup (a full Bluetooth buffer, a busy USB hub) does not break its code in two,
      below a person's 80 ms so that a person's key is given back promptly.
    - `fast_ratio` (0.8): "mostly" fast: this share of the gaps, the one before Enter included, must be
      `fast_gap_us` or less.
    - `min_length` (6): a person's key-rollover can be fast for two or three keys ("the" + Enter), never for
      six; our card codes are far longer.
    - `max_length` (8192): a QR code holds at most ~4,300 characters; a longer burst is a key stuck in repeat.
    """

    fast_gap_us: int = 30_000
    hold_gap_us: int = 50_000
    fast_ratio: float = 0.8
    min_length: int = 6
    max_length: int = 8192
    enter_keys: frozenset[str] = field(default=ENTER_KEYS)


@dataclass(frozen=True, slots=True)
class Typed:
    """Keys a person typed: the UI types them, in this order."""

    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scanned:
    """A scanner's code. `keys` are exactly the keys fed, Enter included; `text` has ASCII digits."""

    text: str
    keys: tuple[str, ...]
    started_us: int
    ended_us: int


WedgeOutput = Typed | Scanned


class WedgeClassifier:
    """Fed keys one by one with their time; says which were a scan and which a person's. Loses no key."""

    def __init__(self, thresholds: WedgeThresholds | None = None) -> None:
        self.thresholds = thresholds or WedgeThresholds()
        self._held: list[tuple[str, int]] = []

    def feed(self, key: str, at_us: int) -> list[WedgeOutput]:
        """One key (a character, or a key name such as "Enter" or "Tab") typed at `at_us` (µs, on one clock
        for every key: `TypingClock`'s)."""
        out = self.flush(at_us)
        if key in self.thresholds.enter_keys:
            return out + self._end_burst(key, at_us)
        if len(key) != 1:  # Tab, Backspace, arrows: a scanner types characters, so this is a person
            return out + self._release() + [Typed((key,))]
        self._held.append((key, at_us))
        if len(self._held) > self.thresholds.max_length:
            out += self._release()
        return out

    def flush(self, now_us: int | None = None) -> list[WedgeOutput]:
        """Give back held keys whose burst is over by `now_us` (None: give back everything now)."""
        if self._held and (now_us is None or _gap(self._held[-1][1], now_us) > self.thresholds.hold_gap_us):
            return self._release()
        return []

    def next_flush_us(self) -> int | None:
        """When, on the keys' clock, the held keys are due back if no key comes first (None: none held)."""
        return self._held[-1][1] + self.thresholds.hold_gap_us + 1 if self._held else None

    def _end_burst(self, enter: str, at_us: int) -> list[WedgeOutput]:
        burst = [*self._held, (enter, at_us)]
        if not self._is_scan(burst):
            return [*self._release(), Typed((enter,))]
        self._held = []
        text = to_latin_digits("".join(key for key, _ in burst[:-1]))
        started = burst[0][1]
        keys = tuple(k for k, _ in burst)
        return [Scanned(text=text, keys=keys, started_us=started, ended_us=max(started, at_us))]

    def _is_scan(self, burst: list[tuple[str, int]]) -> bool:
        if len(burst) - 1 < self.thresholds.min_length:
            return False
        gaps = [_gap(a[1], b[1]) for a, b in pairwise(burst)]
        fast = sum(1 for gap in gaps if gap <= self.thresholds.fast_gap_us)
        return fast >= self.thresholds.fast_ratio * len(gaps)

    def _release(self) -> list[WedgeOutput]:
        held, self._held = self._held, []
        return [Typed(tuple(key for key, _ in held))] if held else []


def _gap(earlier_us: int, later_us: int) -> int:
    return max(0, later_us - earlier_us)  # stamps repeat (ms apart at best) and X's wrap every 49 days


class TypingClock:
    """When each key was typed, in µs on one clock, from what the UI knows of a key event.

    X11, Wayland, Windows and macOS stamp a key event with the time it was typed (`QKeyEvent.timestamp()`,
    ms, on the platform's own clock): that is what tells a scanner from a person, however late the UI reads
    the key. A key without a stamp (0: an event made by a program) is placed after the previous key by the
    time that passed between reading the two, so a mix of both kinds still keeps one clock; with no stamped
    key seen yet, reading time is all there is.
    """

    def __init__(self) -> None:
        self._last: tuple[int, int] | None = None  # the previous key's (typed, read) times, µs

    def typed_at_us(self, stamp_ms: int, read_us: int) -> int:
        """The key stamped `stamp_ms` by the platform (0: no stamp), read by the UI at `read_us` (µs)."""
        if stamp_ms > 0:
            typed = stamp_ms * 1_000
        elif self._last is None:
            typed = read_us
        else:
            last_typed, last_read = self._last
            typed = last_typed + max(0, read_us - last_read)
        self._last = (typed, read_us)
        return typed
