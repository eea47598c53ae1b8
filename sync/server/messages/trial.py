# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah-server messages test --to EMAIL_OR_PHONE`: one test message through the channel the
environment configures (email when the address has an @, else SMS), and what the provider answered."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from app.domain.errors import ClubError
from app.domain.ids import uuid7
from app.domain.phone import normalize_phone
from sync.server.messages.providers import kavenegar, smtp
from sync.server.messages.providers.base import Channel, Outgoing, Provider, ProviderError
from sync.server.messages.providers.config import configured

TEXT = "پیام آزمایشی باشگاه: ارسال پیام درست کار می‌کند.\nA test message from the club: messages work."
SUBJECT = "پیام آزمایشی · Test message"
_SETTINGS = {
    "sms": f"set {kavenegar.API_KEY_ENV} (and {kavenegar.SENDER_ENV}, the club's line)"
    " or BASHGAH_SMS_WEBHOOK_URL",
    "email": f"set {smtp.URL_ENV}, e.g. smtp://user:password@host:587?from=club@example.com",
}


class TrialError(Exception):
    """Nothing was sent: the one-line reason."""


def providers_from_env(env: Mapping[str, str]) -> dict[Channel, Provider]:
    """The channels the environment configures, by channel: the sender's own (providers.config)."""
    try:
        return configured(env)  # type: ignore[return-value]
    except smtp.SmtpUrlError as error:
        raise TrialError(str(error)) from None


def send_test(providers: Mapping[Channel, Provider], to: str, text: str | None = None) -> dict[str, Any]:
    to = to.strip()
    channel: Channel = "email" if "@" in to else "sms"
    if channel == "sms":
        try:
            to = normalize_phone(to)
        except ClubError:
            raise TrialError(f"{to!r} is neither an email address nor a mobile number") from None
    provider = providers.get(channel)
    if provider is None:
        raise TrialError(f"no {channel} provider is configured: {_SETTINGS[channel]}")
    message = Outgoing(
        key=str(uuid7(int(time.time() * 1000), os.urandom(10))),
        channel=channel,
        recipient=to,
        body=text or TEXT,
        subject=SUBJECT,
        sender_name="Bashgah",
    )
    try:
        sent = provider.send(message)
    except ProviderError as error:
        later = "worth another try later" if error.retry else "final"
        raise TrialError(f"{provider.name} refused the message ({later}): {error.answer}") from None
    return {
        "channel": channel,
        "provider": provider.name,
        "to": to,
        "provider_id": sent.provider_id,
        "answer": sent.answer,
        "cost_rials": sent.cost_rials,
    }
