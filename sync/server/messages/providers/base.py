# SPDX-License-Identifier: GPL-3.0-or-later
"""What the sender needs of a channel: send one message, say what the provider answered, and whether a
failure is worth another try. Each provider is built from its settings (the environment or the back
office) and knows nothing of the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Channel = Literal["sms", "email"]


@dataclass(frozen=True)
class Outgoing:
    """One rendered message. `key` is the outbox row's id: a provider that has an idempotency key (or a
    local id) sends it, so a message retried after a crash is not sent twice."""

    key: str
    channel: Channel
    recipient: str  # an Iranian mobile (09…) or an email address
    body: str
    subject: str = ""  # email only
    sender_name: str = ""
    # email only: the signed one-click unsubscribe URL (RFC 8058), for marketing messages
    unsubscribe_url: str | None = None
    language: str = "fa"  # the text's language (fa, en)


@dataclass(frozen=True)
class Sent:
    provider_id: str | None  # the provider's id for the message, for delivery reports
    answer: str  # what the provider said, short, kept on the message row
    cost_rials: int | None = None  # when the provider says what it charged


class ProviderError(Exception):
    """The provider did not take the message. `retry`: worth trying again later (a timeout, a 5xx, a
    rate limit); otherwise the message fails (a bad number, a refused sender, credit exhausted)."""

    def __init__(self, answer: str, *, retry: bool, retry_after_s: float | None = None) -> None:
        super().__init__(answer)
        self.answer = answer
        self.retry = retry
        self.retry_after_s = retry_after_s


class Provider(Protocol):
    name: str  # kept on the message row: "kavenegar", "webhook", "smtp"
    channel: Channel
    per_second: float  # the provider's rate limit, messages a second

    def send(self, message: Outgoing) -> Sent: ...
