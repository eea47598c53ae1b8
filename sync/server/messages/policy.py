# SPDX-License-Identifier: GPL-3.0-or-later
"""When a message may go, as pure functions (no SQL): property-tested (tests/unit/messages/test_policy.py).

- Marketing goes only to a member who consented, and never in quiet hours.
- Reminders (points expiring, a membership ending, the birthday greeting) are not urgent either: they wait
  for the end of quiet hours like marketing, but need no marketing consent (they are about the member's
  own account).
- Urgent transactional messages (a sale's points, a return, a tier upgrade, an invitation) go at once.
- A sign-in code for the member page (`sign_in_code`) goes at once too, by SMS whatever channel the member
  prefers (the code proves they hold the phone), and is cancelled once its code has expired (`LIFETIME_US`):
  a code that arrives after it stopped working only confuses.
- Quiet hours are club time: the rule set's `utc_offset_minutes` (Tehran +03:30 by default), between the
  club's `messages_quiet_start` and `messages_quiet_end` (22:00–09:00 by default; equal: none). A window
  whose start is after its end runs over midnight.
- A message about something older than `messages_max_age_days` is not sent (an entry that reached the
  server days late: "150 points were added" a week later is noise, or worse); a campaign has no age.
- The stop switch (`messages_stopped`) holds everything where it is: nothing is cancelled by it.
- A provider's rate limit is next-slot arithmetic (`RateLimit`): each message takes the next free slot,
  1/rate apart, with a small burst allowance.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

US_PER_MINUTE = 60_000_000
US_PER_DAY = 24 * 60 * US_PER_MINUTE
MINUTES_PER_DAY = 24 * 60

URGENT_KINDS = frozenset({"points_earned", "return", "tier_upgrade", "invitation", "sign_in_code"})
SMS_ONLY_KINDS = frozenset({"sign_in_code"})
# how long after its cause a message is still worth sending, for kinds that die sooner than max age
LIFETIME_US = {"sign_in_code": 5 * US_PER_MINUTE}
REMINDER_KINDS = frozenset({"points_expiring", "membership_ending", "birthday"})
MARKETING_KINDS = frozenset({"campaign"})


@dataclass(frozen=True)
class QuietHours:
    """Club-time minutes of the day: [start, end), over midnight when start > end; start == end: none."""

    start_min: int
    end_min: int

    @classmethod
    def parse(cls, start: str, end: str) -> QuietHours:
        """From the settings' HH:MM (checked when saved: sync.server.club.club_settings); a malformed value
        falls back to the default rather than stopping every message."""
        return cls(_minutes(start, 22 * 60), _minutes(end, 9 * 60))

    @property
    def none(self) -> bool:
        return self.start_min == self.end_min

    def contains(self, minute_of_day: int) -> bool:
        if self.none:
            return False
        if self.start_min < self.end_min:
            return self.start_min <= minute_of_day < self.end_min
        return minute_of_day >= self.start_min or minute_of_day < self.end_min


def _minutes(text: str, default: int) -> int:
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        return default
    return value if 0 <= value < MINUTES_PER_DAY else default


def _local_minute(at_us: int, utc_offset_minutes: int) -> int:
    return ((at_us // US_PER_MINUTE) + utc_offset_minutes) % MINUTES_PER_DAY


def in_quiet_hours(at_us: int, utc_offset_minutes: int, quiet: QuietHours) -> bool:
    return quiet.contains(_local_minute(at_us, utc_offset_minutes))


def quiet_over(at_us: int, utc_offset_minutes: int, quiet: QuietHours) -> int:
    """The first moment at or after `at_us` outside quiet hours (club time)."""
    if not in_quiet_hours(at_us, utc_offset_minutes, quiet):
        return at_us
    minute = _local_minute(at_us, utc_offset_minutes)
    wait_min = (quiet.end_min - minute) % MINUTES_PER_DAY
    start_of_minute = at_us - at_us % US_PER_MINUTE
    return start_of_minute + wait_min * US_PER_MINUTE


def waits_for_quiet_hours(kind: str, marketing: bool) -> bool:
    """Marketing and the non-urgent reminders keep out of quiet hours; urgent messages do not."""
    return marketing or kind not in URGENT_KINDS


def too_old(at_us: int, now_us: int, max_age_days: int) -> bool:
    """Whether something that happened at `at_us` is too old, at `now_us`, to be told about."""
    return now_us - at_us > max_age_days * US_PER_DAY


def first_due(kind: str, marketing: bool, now_us: int, utc_offset_minutes: int, quiet: QuietHours) -> int:
    """When a message queued now may first go."""
    if waits_for_quiet_hours(kind, marketing):
        return quiet_over(now_us, utc_offset_minutes, quiet)
    return now_us


class Verdict(StrEnum):
    SEND = "send"
    WAIT = "wait"  # not yet: quiet hours; `until_us` says when
    HOLD = "hold"  # sending is stopped: left queued, as it is
    CANCEL = "cancel"  # never: `reason` says why


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    until_us: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Facts:
    """What the sender knows of a message at send time."""

    kind: str
    marketing: bool
    about_us: int  # when its cause happened (the entry's time; the queueing for a campaign)
    consent: bool  # the member's marketing consent now
    erased: bool
    stopped: bool  # the club's stop switch


def decide(
    facts: Facts, now_us: int, *, utc_offset_minutes: int, quiet: QuietHours, max_age_days: int
) -> Decision:
    """May this message go now? Checked again at send time: consent may have been withdrawn since."""
    if facts.stopped:
        return Decision(Verdict.HOLD)
    if facts.erased:
        return Decision(Verdict.CANCEL, reason="member_erased")
    if facts.marketing and not facts.consent:
        return Decision(Verdict.CANCEL, reason="no_consent")
    lifetime = LIFETIME_US.get(facts.kind)
    expired = lifetime is not None and now_us - facts.about_us >= lifetime
    if not facts.marketing and (expired or too_old(facts.about_us, now_us, max_age_days)):
        return Decision(Verdict.CANCEL, reason="expired" if expired else "too_old")
    if waits_for_quiet_hours(facts.kind, facts.marketing) and in_quiet_hours(
        now_us, utc_offset_minutes, quiet
    ):
        return Decision(Verdict.WAIT, until_us=quiet_over(now_us, utc_offset_minutes, quiet))
    return Decision(Verdict.SEND)


class RateLimit:
    """A provider's rate limit as next-slot arithmetic: each send takes the next free slot, `1/per_second`
    after the one before, and up to `burst` slots may be taken at once after an idle spell. Over any span
    of T seconds at most `burst + T·per_second` messages go (the property test's invariant). Thread-safe:
    one limiter a provider, shared by the sender's threads."""

    def __init__(self, per_second: float, burst: int = 1) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and burst")
        self.interval_us = max(1, round(1_000_000 / per_second))
        self.burst = burst
        self._next_us: int | None = None
        self._lock = threading.Lock()

    def reserve(self, now_us: int) -> int:
        """Take the next slot; the moment (>= now_us) the message may go at."""
        with self._lock:
            # after an idle spell the schedule may run up to `burst - 1` intervals behind now
            earliest = now_us - (self.burst - 1) * self.interval_us
            slot = earliest if self._next_us is None else max(self._next_us, earliest)
            self._next_us = slot + self.interval_us
            return max(slot, now_us)
