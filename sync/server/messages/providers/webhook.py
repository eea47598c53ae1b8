# SPDX-License-Identifier: GPL-3.0-or-later
"""The generic SMS webhook: the club's own gateway (or any provider behind a small relay) takes a POST.

    POST <BASHGAH_SMS_WEBHOOK_URL>
    Content-Type: application/json
    Idempotency-Key: <message id>
    X-Bashgah-Signature: sha256=<hex HMAC-SHA256 of the body with BASHGAH_SMS_WEBHOOK_SECRET>

    {"to": "+98912…", "text": "…", "sender": "<club's sender name>", "id": "<message id>"}

A 2xx answer is sent (a JSON body's `id`, if any, is kept as the provider's message id, and `cost_rials`
as the cost); 429, 5xx, a timeout or a refused connection are worth another try (Retry-After honoured,
in seconds); any other 4xx fails the message. The same message is always posted with the same
Idempotency-Key, so a receiver that keeps the keys it has seen sends a message retried after a crash once.
The standard library's HTTP client: the server needs no other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from email.message import Message

from sync.server.messages.providers.base import Channel, Outgoing, ProviderError, Sent

SIGNATURE_HEADER = "X-Bashgah-Signature"
TIMEOUT_S = 10.0


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:  # an HTTP date: not worth parsing, the back-off decides
        return None


class WebhookSms:
    name = "webhook"
    channel: Channel = "sms"

    def __init__(
        self, url: str, secret: str, *, per_second: float = 10.0, timeout_s: float = TIMEOUT_S
    ) -> None:
        self.url = url
        self.secret = secret
        self.per_second = per_second
        self.timeout_s = timeout_s

    def send(self, message: Outgoing) -> Sent:
        payload = {
            "to": message.recipient,
            "text": message.body,
            "sender": message.sender_name,
            "id": message.key,
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": message.key,
                SIGNATURE_HEADER: signature(self.secret, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                status, answer = response.status, response.read(4000)
        except urllib.error.HTTPError as error:
            text = f"{error.code} {error.read(500).decode(errors='replace')}".strip()
            retry = error.code == 429 or error.code >= 500
            raise ProviderError(text, retry=retry, retry_after_s=_retry_after(error.headers)) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ProviderError(f"unreachable: {reason}", retry=True) from None
        text = answer.decode(errors="replace")
        provider_id, cost = None, None
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        if isinstance(data, dict):
            provider_id = str(data["id"])[:64] if data.get("id") is not None else None
            cost = data.get("cost_rials") if isinstance(data.get("cost_rials"), int) else None
        return Sent(provider_id=provider_id, answer=f"{status} {text[:300]}".strip(), cost_rials=cost)
