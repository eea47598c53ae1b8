# SPDX-License-Identifier: GPL-3.0-or-later
"""SMS through Kavenegar (کاوه‌نگار), an Iranian provider, by its documented REST API:
https://kavenegar.com/rest.html (the official clients follow it: github.com/kavenegar/kavenegar-python,
github.com/kavenegar/kavenegar-go).

What the documentation and the official clients establish, and what this adapter does with it:
- A call is `https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.json`, parameters as GET query or
  POST form (UTF-8); the API key is in the path, so it is in every URL: this module never prints a URL,
  and every error text it makes has the key replaced by `***` (`_redact`).
- Every answer is `{"return": {"status": …, "message": …}, "entries": …}`; `return.status` 200 is
  success. An error answer carries the same envelope with the HTTP status equal to `return.status`
  (the official Go client reads the envelope of any non-200 answer): 400 parameters incomplete,
  401 account disabled, 402 operation failed, 403 API key not valid, 404 method unknown, 405 GET/POST
  wrong, 406 required parameter empty, 407 access denied (IP), 409 the server cannot answer now, try
  later, 411 receptor invalid, 412 sender invalid, 413 message empty or too long, 414 request too large,
  416 IP not allowed, 417 date invalid, 418 credit not enough, 422 characters not processable,
  424 template not found, 426 needs the advanced service, 428/431/432 verify-only codes.
- `sms/send.json` takes `receptor`, `sender` (the club's line; the account's default line without it),
  `message`, and optionally `date`, `type` and `localid`, and answers one entry per receptor:
  `messageid`, `message`, `status`, `statustext`, `sender`, `receptor`, `date`, `cost`.
- `localid` is the caller's own numeric id for the message; `sms/statuslocalmessageid.json?localid=…`
  answers the message Kavenegar holds under it (`messageid`, `localid`, `status`, `statustext`), status
  100 when it holds none. The documentation names `localid` the client's reference; it does not promise,
  in what could be checked, that a second `send` with the same `localid` is refused. So this adapter
  does not rely on that: before each send it asks `statuslocalmessageid` for the outbox message's localid
  and, when Kavenegar already holds it, answers that message instead of sending again. A message retried
  after a crash or a timeout (the request may have reached Kavenegar) is therefore sent once; the
  remaining window is two senders asking at the same instant, which the outbox's claim already excludes.
- `sms/status.json?messageid=…` answers the delivery state: 1 queued, 2 scheduled, 4/5 sent to the
  operator, 6 failed, 10 delivered, 11 undelivered, 13 cancelled, 14 blocked by the receiver, 100 id not
  valid (`delivery`).
- `cost` in an entry is what the message cost the account, in rials (the account is billed in rials).

Errors map to `ProviderError(retry=…)`: a timeout, a connection error, a 5xx, 409 and 402 are worth
another try later; 418 (credit), 412 (sender), 411 (receptor) and the other 4xx are the message's end
(a wrong setting or a wrong number: trying again would be refused again)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import requests

from sync.server.messages.providers.base import Outgoing, ProviderError, Sent

API_URL = "https://api.kavenegar.com"
API_KEY_ENV = "BASHGAH_KAVENEGAR_API_KEY"
SENDER_ENV = "BASHGAH_KAVENEGAR_SENDER"
URL_ENV = "BASHGAH_KAVENEGAR_URL"  # another base (a test server, a proxy); the path is the API's
TIMEOUT_S = (5.0, 20.0)  # connect, read
# Answers worth another try: the server busy (409), "operation failed" (402), rate or server trouble.
_RETRY_STATUSES = frozenset({402, 409, 429})
_UNKNOWN_LOCALID = 100
STATUS_BATCH = 500  # 414 "request too large" beyond this many ids in one status call
DeliveryState = Literal["queued", "sent", "delivered", "failed", "unknown"]
_DELIVERY: dict[int, DeliveryState] = {
    1: "queued",
    2: "queued",
    4: "sent",
    5: "sent",
    6: "failed",
    10: "delivered",
    11: "failed",
    13: "failed",
    14: "failed",
}


def local_id(key: str) -> int:
    """The outbox message's id as Kavenegar's numeric `localid`: the key itself when it is a number,
    else 63 bits of its SHA-256 (a collision needs billions of messages)."""
    if key.isdigit() and 0 < int(key) < 2**63:
        return int(key)
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1


def receptor(recipient: str) -> str:
    """The number as Kavenegar's examples write it: 09… for an Iranian mobile (the outbox holds E.164)."""
    if recipient.startswith("+98"):
        return "0" + recipient[3:]
    if recipient.startswith("+"):
        return "00" + recipient[1:]
    return recipient


@dataclass
class Kavenegar:
    api_key: str = field(repr=False)
    sender: str | None = None
    base_url: str = API_URL
    timeout_s: tuple[float, float] = TIMEOUT_S
    name: str = "kavenegar"
    channel: Literal["sms"] = "sms"
    # Kavenegar publishes no per-second limit for `send`; a few a second keeps well clear of any.
    per_second: float = 5.0
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __repr__(self) -> str:  # never the key
        return f"Kavenegar(sender={self.sender!r}, base_url={self.base_url!r}, api_key='***')"

    def send(self, message: Outgoing) -> Sent:
        localid = local_id(message.key)
        held = self._held(localid)
        if held is not None:
            return held
        params: dict[str, Any] = {
            "receptor": receptor(message.recipient),
            "message": message.body,
            "localid": str(localid),
        }
        if self.sender:
            params["sender"] = self.sender
        entries = self.call("sms", "send", params)
        entry = _first(entries)
        if entry is None or entry.get("messageid") in (None, ""):
            raise ProviderError("kavenegar: send answered no message id", retry=True)
        cost = entry.get("cost")
        return Sent(
            provider_id=str(entry["messageid"]),
            answer=_short(f"{entry.get('status', '')} {entry.get('statustext', '')}".strip() or "sent"),
            cost_rials=int(cost) if isinstance(cost, int | float) else None,
        )

    def delivery(self, provider_ids: list[str]) -> dict[str, tuple[DeliveryState, str]]:
        """The delivery state of sent messages by their `messageid`: state and Kavenegar's words (asked
        500 at a time, the most one `status` call takes)."""
        found: dict[str, tuple[DeliveryState, str]] = {}
        for start in range(0, len(provider_ids), STATUS_BATCH):
            batch = provider_ids[start : start + STATUS_BATCH]
            entries = self.call("sms", "status", {"messageid": ",".join(batch)})
            for entry in entries if isinstance(entries, list) else [entries]:
                if isinstance(entry, dict) and "messageid" in entry:
                    state = _DELIVERY.get(int(entry.get("status") or 0), "unknown")
                    found[str(entry["messageid"])] = (state, str(entry.get("statustext", "")))
        return found

    def _held(self, localid: int) -> Sent | None:
        """The message Kavenegar already holds under `localid` (sent by an attempt whose answer was lost)."""
        try:
            entry = _first(self.call("sms", "statuslocalmessageid", {"localid": str(localid)}))
        except ProviderError as error:
            if error.retry:  # Kavenegar cannot say now: the message may be held, so not sent now either
                raise
            return None  # refused (a wrong key, say): the send says why, in its own answer
        if entry is None or int(entry.get("status") or _UNKNOWN_LOCALID) == _UNKNOWN_LOCALID:
            return None
        if entry.get("messageid") in (None, "", 0):
            return None
        return Sent(
            provider_id=str(entry["messageid"]),
            answer=_short(f"already held under localid {localid}: {entry.get('statustext', '')}".strip()),
        )

    def call(self, scope: str, method: str, params: Mapping[str, Any]) -> Any:
        """One API call (POST form, as the official clients make it); its `entries`, or ProviderError."""
        url = f"{self.base_url.rstrip('/')}/v1/{self.api_key}/{scope}/{method}.json"
        try:
            response = self.session.post(
                url, data=dict(params), headers={"Accept": "application/json"}, timeout=self.timeout_s
            )
        except requests.Timeout as error:
            raise ProviderError(self._redact(f"kavenegar: timed out ({error})"), retry=True) from None
        except requests.RequestException as error:
            raise ProviderError(self._redact(f"kavenegar: no answer ({error})"), retry=True) from None
        try:
            body = response.json()
            status = int(body["return"]["status"])
            said = str(body["return"].get("message", ""))
        except (ValueError, KeyError, TypeError):
            retry = response.status_code >= 500 or response.status_code in _RETRY_STATUSES
            raise ProviderError(
                f"kavenegar: HTTP {response.status_code}, not the API's answer", retry=retry
            ) from None
        if status == 200 and response.status_code == 200:
            return body.get("entries")
        code = status if status != 200 else response.status_code
        retry = code >= 500 or code in _RETRY_STATUSES
        after = response.headers.get("Retry-After")
        raise ProviderError(
            self._redact(_short(f"kavenegar {code}: {said}")),
            retry=retry,
            retry_after_s=float(after) if after and after.isdigit() else None,
        )

    def _redact(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text


def _first(entries: Any) -> dict[str, Any] | None:
    if isinstance(entries, list):
        return entries[0] if entries and isinstance(entries[0], dict) else None
    return entries if isinstance(entries, dict) else None


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:297] + "…"


def from_env(env: Mapping[str, str]) -> Kavenegar | None:
    """The adapter the environment configures (BASHGAH_KAVENEGAR_API_KEY, BASHGAH_KAVENEGAR_SENDER,
    BASHGAH_KAVENEGAR_URL), or None without an API key."""
    key = (env.get(API_KEY_ENV) or "").strip()
    if not key:
        return None
    return Kavenegar(
        api_key=key,
        sender=(env.get(SENDER_ENV) or "").strip() or None,
        base_url=(env.get(URL_ENV) or "").strip() or API_URL,
    )
