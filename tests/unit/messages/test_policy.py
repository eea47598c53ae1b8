# SPDX-License-Identifier: GPL-3.0-or-later
"""Property tests of the send policy (sync.server.messages.policy): for random schedules, consent, quiet
hours (club time, over midnight or not) and a provider's rate limit are never violated."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.server.messages import policy
from sync.server.messages.policy import Facts, QuietHours, RateLimit, Verdict

T0 = 1_750_000_000_000_000
MINUTE = policy.US_PER_MINUTE
KINDS = sorted(policy.URGENT_KINDS | policy.REMINDER_KINDS | policy.MARKETING_KINDS)

quiet_hours = st.builds(QuietHours, st.integers(0, 1439), st.integers(0, 1439))
offsets = st.integers(-14 * 60, 14 * 60)
moments = st.integers(T0 - 400 * policy.US_PER_DAY, T0 + 400 * policy.US_PER_DAY)
facts = st.builds(
    Facts,
    kind=st.sampled_from(KINDS),
    marketing=st.booleans(),
    about_us=moments,
    consent=st.booleans(),
    erased=st.booleans(),
    stopped=st.booleans(),
)


def local_minute(at_us: int, offset: int) -> int:
    return (at_us // MINUTE + offset) % 1440


@settings(max_examples=300, deadline=None)
@given(facts, moments, offsets, quiet_hours, st.integers(0, 30))
def test_a_message_that_may_go_breaks_no_rule(fact, now, offset, quiet, max_age):
    decision = policy.decide(fact, now, utc_offset_minutes=offset, quiet=quiet, max_age_days=max_age)
    if decision.verdict is Verdict.SEND:
        assert not fact.stopped and not fact.erased
        assert fact.consent or not fact.marketing
        if fact.marketing or fact.kind in policy.REMINDER_KINDS:
            assert not quiet.contains(local_minute(now, offset))
        if not fact.marketing:
            assert now - fact.about_us <= max_age * policy.US_PER_DAY
    if decision.verdict is Verdict.WAIT:
        assert decision.until_us is not None and decision.until_us > now - MINUTE
        assert not quiet.contains(local_minute(decision.until_us, offset))
    if fact.stopped:
        assert decision.verdict is Verdict.HOLD  # the switch cancels nothing
    if fact.kind in policy.URGENT_KINDS and not fact.marketing and decision.verdict is not Verdict.SEND:
        assert decision.verdict in (Verdict.HOLD, Verdict.CANCEL)  # urgent: never waits for the morning


@settings(max_examples=300, deadline=None)
@given(moments, offsets, quiet_hours)
def test_quiet_hours_end_at_the_first_free_minute(now, offset, quiet):
    end = policy.quiet_over(now, offset, quiet)
    assert end >= now - now % MINUTE
    assert not quiet.contains(local_minute(end, offset))
    # every minute from now until then is quiet: none was skipped
    for at in range(now - now % MINUTE, end, MINUTE * 7):
        assert at == now - now % MINUTE or quiet.contains(local_minute(at, offset))


def test_the_default_window_runs_over_midnight_in_club_time():
    quiet = QuietHours.parse("22:00", "09:00")
    tehran = 210
    # 18:30 UTC is 22:00 in Tehran; 05:30 UTC is 09:00
    day = T0 - T0 % policy.US_PER_DAY
    assert policy.in_quiet_hours(day + 18 * 60 * MINUTE + 30 * MINUTE, tehran, quiet)
    assert not policy.in_quiet_hours(day + 18 * 60 * MINUTE + 29 * MINUTE, tehran, quiet)
    assert policy.in_quiet_hours(day + 5 * 60 * MINUTE + 29 * MINUTE, tehran, quiet)
    assert not policy.in_quiet_hours(day + 5 * 60 * MINUTE + 30 * MINUTE, tehran, quiet)
    assert QuietHours.parse("nonsense", "9") == quiet  # a malformed value: the default, not a stop
    assert not QuietHours.parse("10:00", "10:00").contains(600)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.5, 50),
    st.integers(1, 5),
    st.lists(st.integers(0, 20_000_000), min_size=1, max_size=200),
)
def test_a_rate_limit_is_never_exceeded_over_any_span(rate, burst, gaps):
    limit = RateLimit(rate, burst)
    now, sends = T0, []
    for gap in gaps:  # requests at random moments (in order, as a sender's loop makes them)
        now += gap
        slot = limit.reserve(now)
        assert slot >= now
        sends.append(slot)
    sends.sort()
    interval = limit.interval_us
    for i, start in enumerate(sends):
        for span in (0, interval, 5 * interval, 40 * interval):
            inside = sum(1 for t in sends[i:] if t <= start + span)
            assert inside <= burst + span // interval + 1


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(facts, st.integers(0, 3 * policy.US_PER_DAY)), min_size=1, max_size=40),
    offsets,
    quiet_hours,
    st.floats(1, 20),
)
def test_a_simulated_sender_keeps_every_rule_for_a_random_schedule(schedule, offset, quiet, rate):
    """Messages queued at random moments; a sender that wakes every few minutes, decides each due message
    and takes a rate-limit slot for it: what it sends breaks neither consent, quiet hours nor the limit."""
    limit = RateLimit(rate, 1)
    queued = [
        (T0 + at, fact.__class__(**{**fact.__dict__, "about_us": T0 + at, "stopped": False}))
        for fact, at in schedule
    ]
    due = {i: policy.first_due(f.kind, f.marketing, t, offset, quiet) for i, (t, f) in enumerate(queued)}
    sent: list[tuple[int, Facts]] = []
    clock = T0
    while due and clock < T0 + 5 * policy.US_PER_DAY:
        for i in sorted(k for k, at in due.items() if at <= clock):
            fact = queued[i][1]
            decision = policy.decide(fact, clock, utc_offset_minutes=offset, quiet=quiet, max_age_days=3)
            if decision.verdict is Verdict.WAIT:
                due[i] = decision.until_us or clock
                continue
            del due[i]
            if decision.verdict is Verdict.SEND:
                slot = limit.reserve(clock)
                if not policy.waits_for_quiet_hours(fact.kind, fact.marketing) or not quiet.contains(
                    local_minute(slot, offset)
                ):
                    sent.append((slot, fact))
                else:  # the slot fell into quiet hours: decided again then
                    due[i] = slot
        clock += 7 * MINUTE
    for at, fact in sent:
        assert fact.consent or not fact.marketing
        assert not fact.erased
        if policy.waits_for_quiet_hours(fact.kind, fact.marketing):
            assert not quiet.contains(local_minute(at, offset))
    times = sorted(at for at, _ in sent)
    assert all(b - a >= limit.interval_us for a, b in pairwise(times))
