# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's providers from the environment, keyed by channel ("sms", "email"). One `if` block a provider:
the first configured for a channel wins."""

from __future__ import annotations

from collections.abc import Mapping

from sync.server.messages.providers import kavenegar, smtp
from sync.server.messages.providers.base import Provider


def configured(env: Mapping[str, str]) -> dict[str, Provider]:
    """Raises smtp.SmtpUrlError for a BASHGAH_SMTP_URL it cannot use (said before anything is sent)."""
    providers: dict[str, Provider] = {}
    # Kavenegar first: the club's documented provider; the webhook is for a provider of its own
    sms = kavenegar.from_env(env)
    if sms is not None:
        providers["sms"] = sms
    if env.get("BASHGAH_SMS_WEBHOOK_URL") and "sms" not in providers:
        from sync.server.messages.providers.webhook import WebhookSms

        rate = env.get("BASHGAH_SMS_WEBHOOK_PER_SECOND", "")
        providers["sms"] = WebhookSms(
            env["BASHGAH_SMS_WEBHOOK_URL"],
            env.get("BASHGAH_SMS_WEBHOOK_SECRET", ""),
            per_second=float(rate) if rate.replace(".", "", 1).isdigit() and float(rate) > 0 else 10.0,
        )
    email = smtp.from_env(env)
    if email is not None:
        providers["email"] = email
    return providers
