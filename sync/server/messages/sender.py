# SPDX-License-Identifier: GPL-3.0-or-later
"""The sender: claims due messages, renders them, chooses the channel and sends through its provider.

One round (`Sender.run_once`) claims a few due messages at a time in a transaction of its own — on
PostgreSQL `FOR UPDATE SKIP LOCKED`, so several server processes share the outbox without waiting on each
other; SQLite has one writer, one process — and marks them `sending` with attempts + 1, committed before
anything goes out. Each message is then decided again (consent withdrawn since: cancelled; member erased:
cancelled; the club's stop switch: back to queued as it was; quiet hours: back to queued until they end),
rendered (sync.server.messages.templates), given a channel (the member's preferred one, else the other;
none: skipped) and sent, no transaction open while the provider answers. The answer is recorded in a
last transaction: sent with the provider's id, answer and cost, or failed; a provider's passing error is
tried again after a back-off with full jitter (base·2^attempt, capped, at least its Retry-After), until
`max_attempts`, then failed.

Crash safety. A message is `sending` from its claim to its answer's record. A sender killed in between
leaves it `sending`; once its lease (`lease_s`, well over a provider's timeout) has run out another round
claims it again and sends it with the SAME key (`Outgoing.key` is the message id), which a provider with
an idempotency key (the webhook adapter's Idempotency-Key header; Kavenegar's local id) uses to drop the
second copy. For a provider without one, the window for a double send is the time between the provider
accepting the message and our recording it: one HTTP answer and one short UPDATE, milliseconds; it cannot
be closed without the provider's help (an outbox written after the send could lose the message instead).
A message is never lost: nothing leaves `sending` but a recorded answer or a decision.

Delivery. A provider that reports delivery (Kavenegar: `sms/status`) is asked every few minutes about its
messages sent in the last two days and still `sent` (`check_delivery`): delivered or failed, with its words.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from sync.server import club
from sync.server import rules as rule_sets
from sync.server.chore import Chore
from sync.server.clock import Clock, SystemClock
from sync.server.db import Database
from sync.server.messages import outbox, policy, templates, unsubscribe
from sync.server.messages.providers.base import Outgoing, Provider, ProviderError
from sync.server.messages.providers.parts import sms_parts
from sync.server.models import BALANCE, MEMBER, MESSAGE, MESSAGE_CAMPAIGN, MESSAGE_TEMPLATE, TIER

log = logging.getLogger("bashgah.server.messages")

CLAIM = 20  # messages claimed per transaction
LEASE_S = 300.0  # a `sending` message is another sender's for this long (well over a provider's timeout)
MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 30.0
BACKOFF_CAP_S = 3600.0
EVERY_S = 2.0  # the thread's poll when nothing is due
DELIVERY_EVERY_S = 300.0  # how often providers that report delivery are asked
DELIVERY_WINDOW_US = 2 * 86_400 * 1_000_000  # after two days a message not reported delivered stays `sent`
DELIVERY_BATCH = 5_000
LANGUAGE = "fa"  # a member's language when theirs is not one the club writes in: Persian first


@dataclass
class Summary:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0
    skipped: int = 0
    waiting: int = 0  # back to queued: quiet hours, the stop switch
    statuses: dict[str, str] = field(default_factory=dict)  # message id → what became of it

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "retried": self.retried,
            "cancelled": self.cancelled,
            "skipped": self.skipped,
            "waiting": self.waiting,
        }


def backoff_s(attempts: int, rng: random.Random, *, base_s: float, cap_s: float) -> float:
    """Full jitter (AWS's "exponential backoff and jitter"): uniform in [0, min(cap, base·2^(n-1))]."""
    return rng.uniform(0.0, min(cap_s, base_s * 2 ** max(0, attempts - 1)))


def _usable_phone(phone: str | None) -> bool:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return len(digits) >= 10 and phone != "erased"


def choose_channel(member: Any, available: Mapping[str, Provider]) -> tuple[str, str] | None:
    """(channel, recipient): the member's preferred channel when it reaches them and the club has a
    provider for it, else the other; None when neither does."""
    reach = {
        "sms": member.phone if _usable_phone(member.phone) else None,
        "email": member.email if member.email and "@" in member.email else None,
    }
    preferred = member.preferred_channel if member.preferred_channel in reach else "sms"
    for channel in (preferred, "email" if preferred == "sms" else "sms"):
        recipient = reach[channel]
        if recipient and channel in available:
            return channel, recipient
    return None


class Sender:
    """Sends the outbox's due messages through the club's providers (keyed by channel)."""

    def __init__(
        self,
        db: Database,
        providers: Mapping[str, Provider],
        clock: Clock | None = None,
        *,
        claim: int = CLAIM,
        lease_s: float = LEASE_S,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base_s: float = BACKOFF_BASE_S,
        backoff_cap_s: float = BACKOFF_CAP_S,
        rng: random.Random | None = None,
        stop: threading.Event | None = None,
        public_url: str | None = None,
    ) -> None:
        self.db = db
        self.providers = dict(providers)
        self.clock = clock or SystemClock()
        self.claim = claim
        self.lease_us = int(lease_s * 1_000_000)
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.rng = rng or random.Random()
        self.stop = stop or threading.Event()
        # the server's address as members reach it (BASHGAH_PUBLIC_URL): a marketing email's signed one-click
        # unsubscribe link (RFC 8058, sync.server.messages.unsubscribe) lives under it; without it no
        # marketing email goes (one without a working way out would break the law and the member's trust)
        self.public_url = public_url or None
        self.limits = {
            channel: policy.RateLimit(max(p.per_second, 0.001), burst=max(1, int(p.per_second)))
            for channel, p in self.providers.items()
        }

    # ---- a round ----------------------------------------------------------------------------------

    def run_once(self, limit: int | None = None) -> Summary:
        """Send what is due now, claim after claim, until nothing is due (or `limit` messages were
        handled, or the sender is stopped)."""
        summary = Summary()
        if not self.providers:
            return summary
        handled = 0
        while not self.stop.is_set() and (limit is None or handled < limit):
            size = self.claim if limit is None else min(self.claim, limit - handled)
            claimed = self.db.write(lambda conn, size=size: self._claim(conn, size))
            if not claimed:
                break
            for row in claimed:
                if self.stop.is_set():
                    break  # left `sending`: the lease brings it back to another round
                self._one(row, summary)
                handled += 1
        return summary

    def check_delivery(self) -> int:
        """Ask each provider that reports delivery (Kavenegar's `sms/status`) about its messages sent in the
        last two days and still only `sent`: delivered or failed are recorded with the provider's words.
        Returns how many changed. A provider that cannot answer now is asked again next time."""
        now = self.clock.now_us()
        changed = 0
        for provider in self.providers.values():
            ask = getattr(provider, "delivery", None)
            if ask is None:
                continue
            with self.db.read() as conn:
                rows = conn.execute(
                    select(MESSAGE.c.id, MESSAGE.c.provider_id)
                    .where(
                        MESSAGE.c.status == outbox.SENT,
                        MESSAGE.c.provider == provider.name,
                        MESSAGE.c.provider_id.is_not(None),
                        MESSAGE.c.sent_at_us >= now - DELIVERY_WINDOW_US,
                    )
                    .order_by(MESSAGE.c.sent_at_us)
                    .limit(DELIVERY_BATCH)
                ).all()
            if not rows:
                continue
            try:
                states = ask([r.provider_id for r in rows])
            except ProviderError as error:
                log.warning("delivery reports from %s: %s", provider.name, error.answer)
                continue
            by_provider_id = {r.provider_id: r.id for r in rows}
            final = [
                (by_provider_id[pid], state, said)
                for pid, (state, said) in states.items()
                if pid in by_provider_id and state in (outbox.DELIVERED, outbox.FAILED)
            ]
            if final:
                changed += self.db.write(lambda conn, final=final: _record_delivery(conn, final, now))
        return changed

    def _claim(self, conn: Connection, size: int) -> list[Any]:
        now = self.clock.now_us()
        if club.setting(conn, "messages_stopped") == "1":
            return []
        due = or_(
            and_(MESSAGE.c.status == outbox.QUEUED, MESSAGE.c.due_at_us <= now),
            and_(MESSAGE.c.status == outbox.SENDING, MESSAGE.c.status_at_us <= now - self.lease_us),
        )
        ids = list(
            conn.execute(
                select(MESSAGE.c.id)
                .where(due)
                .order_by(MESSAGE.c.due_at_us, MESSAGE.c.id)
                .limit(size)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            return []
        conn.execute(
            update(MESSAGE)
            .where(MESSAGE.c.id.in_(ids))
            .values(status=outbox.SENDING, attempts=MESSAGE.c.attempts + 1, status_at_us=now)
        )
        return list(conn.execute(select(MESSAGE).where(MESSAGE.c.id.in_(ids)).order_by(MESSAGE.c.due_at_us)))

    def _one(self, row: Any, summary: Summary) -> None:
        try:
            prepared = self.db.write(lambda conn: self._prepare(conn, row))
        except Exception:
            log.exception("message %s could not be prepared; tried again later", row.id)
            self._record(row, status=outbox.QUEUED, answer="prepare_failed", due_in_s=self.backoff_cap_s)
            summary.retried += 1
            return
        if isinstance(prepared, str):  # decided without sending
            summary.statuses[row.id] = prepared
            if prepared == outbox.CANCELLED:
                summary.cancelled += 1
            elif prepared == outbox.SKIPPED:
                summary.skipped += 1
            else:
                summary.waiting += 1
            return
        outgoing, provider, settings = prepared
        slot = self.limits[outgoing.channel].reserve(self.clock.now_us())
        wait_s = (slot - self.clock.now_us()) / 1_000_000
        if wait_s > 0 and self.stop.wait(wait_s):
            return  # stopped while waiting for the slot: the lease brings it back
        quiet_until = settings.get("quiet_until_us", 0)
        if quiet_until and self.clock.now_us() >= quiet_until:  # the slot fell into quiet hours
            self.db.write(lambda conn: self._requeue(conn, row, quiet_until, "quiet_hours"))
            summary.waiting += 1
            return
        parts = sms_parts(outgoing.body) if outgoing.channel == "sms" else 1
        try:
            sent = provider.send(outgoing)
        except ProviderError as error:
            self._failed(row, outgoing, provider, error, summary)
            return
        except Exception as error:  # an adapter's bug or a broken network stack: a passing error
            log.exception("provider %s raised", provider.name)
            self._failed(row, outgoing, provider, ProviderError(str(error)[:200], retry=True), summary)
            return
        if sent.cost_rials is not None:
            cost = sent.cost_rials
        elif outgoing.channel == "sms":
            cost = parts * settings["sms_part_rials"]
        else:
            cost = settings["email_rials"]
        self._record(
            row,
            status=outbox.SENT,
            outgoing=outgoing,
            provider=provider.name,
            answer=sent.answer,
            provider_id=sent.provider_id,
            parts=parts if outgoing.channel == "sms" else 0,
            cost=cost,
            sent=True,
        )
        summary.sent += 1
        summary.statuses[row.id] = outbox.SENT

    def _failed(
        self, row: Any, outgoing: Outgoing, provider: Provider, error: ProviderError, summary: Summary
    ) -> None:
        if error.retry and row.attempts < self.max_attempts:
            wait = backoff_s(row.attempts, self.rng, base_s=self.backoff_base_s, cap_s=self.backoff_cap_s)
            wait = max(wait, error.retry_after_s or 0.0)
            self._record(row, status=outbox.QUEUED, outgoing=outgoing, provider=provider.name,
                         answer=error.answer, due_in_s=wait)  # fmt: skip
            summary.retried += 1
            summary.statuses[row.id] = outbox.QUEUED
            return
        self._record(
            row, status=outbox.FAILED, outgoing=outgoing, provider=provider.name, answer=error.answer
        )
        summary.failed += 1
        summary.statuses[row.id] = outbox.FAILED

    # ---- deciding and rendering ---------------------------------------------------------------------

    def _prepare(  # noqa: PLR0911 (each way out is one decision)
        self, conn: Connection, row: Any
    ) -> str | tuple[Outgoing, Provider, dict[str, int]]:
        """The message to send, or the status it was given instead (in this transaction)."""
        now = self.clock.now_us()
        member = conn.execute(select(MEMBER).where(MEMBER.c.id == row.member_id)).one()
        values = club.settings(conn)

        def get(key: str) -> str:
            default = club.DEFAULT_SETTINGS.get(key) or club.SERVER_SETTINGS.get(key, "")
            return values.get(key, default)

        rules = rule_sets.current(conn)
        quiet = policy.QuietHours.parse(get("messages_quiet_start"), get("messages_quiet_end"))
        params = json.loads(row.params or "{}")
        facts = policy.Facts(
            kind=row.kind,
            marketing=bool(row.marketing),
            about_us=int(params.get("at_us") or row.created_at_us),
            consent=bool(member.consent_marketing),
            erased=member.erased_at_us is not None,
            stopped=get("messages_stopped") == "1",
        )
        decision = policy.decide(
            facts,
            now,
            utc_offset_minutes=rules.utc_offset_minutes,
            quiet=quiet,
            max_age_days=_whole(get("messages_max_age_days"), 3),
        )
        if decision.verdict is policy.Verdict.HOLD:
            return self._requeue(conn, row, row.due_at_us, "stopped")
        if decision.verdict is policy.Verdict.WAIT:
            return self._requeue(conn, row, decision.until_us or now, "quiet_hours")
        if decision.verdict is policy.Verdict.CANCEL:
            return self._finish(conn, row, outbox.CANCELLED, decision.reason)
        language = member.language if member.language in templates.LANGUAGES else LANGUAGE
        text = self._text(conn, row, params, language)
        if text is None:
            return self._finish(conn, row, outbox.CANCELLED, "kind_off")
        chosen = self._channel(row.kind, member)
        if chosen is None:
            return self._finish(conn, row, outbox.SKIPPED, "no_channel")
        channel, recipient = chosen
        unsubscribe_url = None
        if row.marketing and channel == "email":
            if self.public_url is None:
                return self._finish(conn, row, outbox.CANCELLED, "no_public_url")
            unsubscribe_url = unsubscribe.link(conn, self.public_url, row.member_id, now)
        subject, body, language = text
        club_name = get("club_name_fa") if language == "fa" else get("club_name_en")
        shown = params | {"name": member.name, "club": club_name}
        if row.kind == "tier_upgrade":
            tier = conn.execute(select(TIER).where(TIER.c.code == params.get("tier", ""))).first()
            if tier is not None:
                shown["tier"] = {"fa": tier.name_fa, "en": tier.name_en}
        if row.kind == "campaign":  # a campaign names the member's own facts, as they are when it goes
            shown |= _member_facts(conn, member)
        rendered = templates.render(
            body, subject, shown, language, marketing=bool(row.marketing), sms=channel == "sms"
        )
        if not rendered.body.strip():
            return self._finish(conn, row, outbox.CANCELLED, "empty_text")
        outgoing = Outgoing(
            key=row.id,
            channel=channel,  # type: ignore[arg-type]
            recipient=recipient,
            body=rendered.body,
            subject=rendered.subject,
            sender_name=get("messages_sender_name") or club_name,
            unsubscribe_url=unsubscribe_url,
            language=language,
        )
        costs = {
            "sms_part_rials": _whole(get("messages_sms_part_rials"), 0),
            "email_rials": _whole(get("messages_email_rials"), 0),
            # when quiet hours begin, for a message that keeps out of them (0: none or not concerned)
            "quiet_until_us": _quiet_begins(now, rules.utc_offset_minutes, quiet)
            if policy.waits_for_quiet_hours(row.kind, bool(row.marketing))
            else 0,
        }
        return outgoing, self.providers[channel], costs

    def _channel(self, kind: str, member: Any) -> tuple[str, str] | None:
        if kind in policy.SMS_ONLY_KINDS:  # to the phone itself, whatever the member prefers
            reachable = "sms" in self.providers and _usable_phone(member.phone)
            return ("sms", member.phone) if reachable else None
        return choose_channel(member, self.providers)

    def _text(
        self, conn: Connection, row: Any, params: dict[str, Any], language: str
    ) -> tuple[str, str, str] | None:
        """(subject, body, language) of the message before its fields are filled; None: not to be sent."""
        if row.kind == "campaign":
            campaign = conn.execute(
                select(MESSAGE_CAMPAIGN).where(MESSAGE_CAMPAIGN.c.id == row.campaign_id)
            ).first()
            if campaign is None or campaign.status == "cancelled":
                return None
            if language == "en" and not campaign.body_en.strip():  # no English text: the Persian one
                language = "fa"
            body = campaign.body_fa if language == "fa" else campaign.body_en
            subject = campaign.subject_fa if language == "fa" else campaign.subject_en
            return subject, body, language
        if row.kind not in templates.FIELDS:
            return None
        if row.kind in templates.FIXED_KINDS:  # the server's own text: never the club's, never off
            return (*templates.DEFAULTS[row.kind].get(language, templates.DEFAULTS[row.kind]["fa"]), language)
        rows = {
            (r.kind, r.language): r
            for r in conn.execute(select(MESSAGE_TEMPLATE).where(MESSAGE_TEMPLATE.c.kind == row.kind))
        }
        found = templates.text_for(row.kind, language, rows)
        if found is None:
            return None
        return found[0], found[1], language

    def _requeue(self, conn: Connection, row: Any, due_at_us: int, why: str) -> str:
        """Back to queued as it was (this claim was no attempt)."""
        conn.execute(
            update(MESSAGE)
            .where(MESSAGE.c.id == row.id, MESSAGE.c.status == outbox.SENDING)
            .values(
                status=outbox.QUEUED,
                attempts=MESSAGE.c.attempts - 1,
                due_at_us=due_at_us,
                status_at_us=self.clock.now_us(),
                provider_answer=why,
            )
        )
        return outbox.QUEUED

    def _finish(self, conn: Connection, row: Any, status: str, why: str) -> str:
        forget = {"params": "{}"} if row.kind in templates.SECRET_KINDS else {}
        conn.execute(
            update(MESSAGE)
            .where(MESSAGE.c.id == row.id, MESSAGE.c.status == outbox.SENDING)
            .values(status=status, status_at_us=self.clock.now_us(), provider_answer=why, **forget)
        )
        return status

    def _record(
        self,
        row: Any,
        *,
        status: str,
        answer: str,
        outgoing: Outgoing | None = None,
        provider: str = "",
        provider_id: str | None = None,
        parts: int = 0,
        cost: int = 0,
        sent: bool = False,
        due_in_s: float = 0.0,
    ) -> None:
        """The answer, on the message this claim holds (`attempts` names the claim: a sender whose lease
        ran out does not overwrite a later claim's record)."""
        now = self.clock.now_us()
        values: dict[str, Any] = {"status": status, "status_at_us": now, "provider_answer": answer[:2000]}
        if outgoing is not None:
            values |= {
                "channel": outgoing.channel,
                "recipient": outgoing.recipient,
                "language": outgoing.language,
                "subject": outgoing.subject,
                "body": outgoing.body,
                "provider": provider,
            }
        if sent:
            values |= {"provider_id": provider_id, "parts": parts, "cost_rials": cost, "sent_at_us": now}
        if status == outbox.QUEUED:
            values["due_at_us"] = now + int(due_in_s * 1_000_000)
        if row.kind in templates.SECRET_KINDS:  # its text is never kept; once it has gone, nor its facts
            values |= {"body": _REDACTED} if "body" in values else {}
            values |= {"params": "{}"} if status != outbox.QUEUED else {}
        self.db.write(
            lambda conn: conn.execute(
                update(MESSAGE)
                .where(
                    MESSAGE.c.id == row.id,
                    MESSAGE.c.status == outbox.SENDING,
                    MESSAGE.c.attempts == row.attempts,
                )
                .values(**values)
            )
        )


_REDACTED = "…"  # the text of a message whose facts were a secret, once it has gone


def _quiet_begins(now_us: int, utc_offset_minutes: int, quiet: policy.QuietHours) -> int:
    """The next moment quiet hours begin after `now_us` (0: no quiet hours)."""
    if quiet.none:
        return 0
    minute = ((now_us // policy.US_PER_MINUTE) + utc_offset_minutes) % policy.MINUTES_PER_DAY
    ahead = (quiet.start_min - minute) % policy.MINUTES_PER_DAY or policy.MINUTES_PER_DAY
    return now_us - now_us % policy.US_PER_MINUTE + ahead * policy.US_PER_MINUTE


def _member_facts(conn: Connection, member: Any) -> dict[str, Any]:
    """The member's balance and tier (its name in both languages), for a campaign's text."""
    points = conn.execute(select(BALANCE.c.points).where(BALANCE.c.member_id == member.id)).scalar()
    tier = conn.execute(select(TIER.c.name_fa, TIER.c.name_en).where(TIER.c.code == member.tier_code)).first()
    facts: dict[str, Any] = {"balance": int(points or 0)}
    if tier is not None:
        facts["tier"] = {"fa": tier.name_fa, "en": tier.name_en}
    return facts


def _record_delivery(conn: Connection, final: list[tuple[str, str, str]], now_us: int) -> int:
    changed = 0
    for message_id, state, said in final:
        changed += conn.execute(
            update(MESSAGE)
            .where(MESSAGE.c.id == message_id, MESSAGE.c.status == outbox.SENT)  # a report never goes back
            .values(status=state, status_at_us=now_us, provider_answer=said[:500])
        ).rowcount
    return changed


def _whole(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


class SenderChore(Chore):
    """`bashgah-server serve`'s sender thread: a round every few seconds (start()/stop())."""

    name = "messages-sender"

    def __init__(
        self,
        db: Database,
        providers: Mapping[str, Provider],
        clock: Clock | None = None,
        every_s: float = EVERY_S,
        public_url: str | None = None,
    ) -> None:
        super().__init__(db, clock)
        self.every_s = every_s
        self.sender = Sender(db, providers, self.clock, stop=self._stop, public_url=public_url)
        self.total = Summary()
        self._delivery_due_us = 0

    def round(self) -> float:
        done = self.sender.run_once()
        self.total.sent += done.sent
        self.total.failed += done.failed
        if self.clock.now_us() >= self._delivery_due_us:
            self._delivery_due_us = self.clock.now_us() + int(DELIVERY_EVERY_S * 1_000_000)
            self.sender.check_delivery()
        return self.every_s
