# SPDX-License-Identifier: GPL-3.0-or-later
"""An SMS a member sends back to the club's line. Every marketing SMS ends with the opt-out instruction
("لغو ۱۱"); a reply that is the stop word withdraws marketing consent (`sms_stop`) for every member with
that phone (one phone can be a family's several members: the person who asked to stop holds the phone).
Anything else is recorded in the audit log (what came, from which provider's message) and left there.

The stop word is read the way people type it on a phone: Persian or Arabic digits, Arabic ي/ك for ی/ک,
spaces, zero-width joiners, punctuation and case do not matter: "لغو", "۱۱", "11", "stop" (and "STOP ",
"لغو.", "١١")."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection, select

from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.phone import normalize_phone
from sync.server.alerts import audit
from sync.server.messages import optout
from sync.server.models import MEMBER

STOP_WORDS = frozenset({"لغو", "11", "stop"})
_ARABIC_LETTERS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه"})
_NOISE = re.compile(r"[\s\u200c\u200d\u200e\u200f\u0640.,!?؟،;:'\"()\-_*]+")


def normalise(text: str) -> str:
    """The text as compared with the stop words: NFKC, Latin digits, Persian letters, no spaces or
    punctuation, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = to_latin_digits(text).translate(_ARABIC_LETTERS)
    return _NOISE.sub("", text).casefold()


def is_stop(text: str) -> bool:
    return normalise(text) in STOP_WORDS


@dataclass(frozen=True)
class Inbound:
    """One SMS received on the club's line, as a provider reported it."""

    provider: str  # "kavenegar", "webhook"
    sender: str  # the member's phone, as the provider wrote it
    text: str
    provider_id: str = ""  # the provider's id for the received message


def _phone(raw: str) -> str | None:
    """The sender as the member table spells phones (E.164); providers also write 98912… without a +."""
    text = to_latin_digits(raw.strip())
    for candidate in (text, "+" + text) if text.isdigit() and text.startswith("98") else (text,):
        try:
            return normalize_phone(candidate)
        except ClubError:
            continue
    return None


def receive(conn: Connection, message: Inbound, now_us: int) -> dict[str, object]:
    """Act on one received SMS: a stop from a member's phone withdraws their consent; the rest is recorded.
    What was done, for the provider's answer and the tests."""
    phone = _phone(message.sender)
    stop = is_stop(message.text)
    member_ids: list[str] = []
    if phone is not None:
        found = select(MEMBER.c.id).where(MEMBER.c.phone == phone, MEMBER.c.erased_at_us.is_(None))
        member_ids = sorted(conn.execute(found).scalars())
    withdrawn = [m for m in member_ids if stop and optout.withdraw(conn, m, "sms_stop", now_us)]
    if not withdrawn:  # a stop that changed nothing is recorded too: the club can answer "we got it"
        audit(
            conn,
            now_us,
            f"sms ({message.provider})",
            "message.inbound",
            phone or message.sender[:40],
            provider_id=message.provider_id[:80],
            text=message.text[:320],
            stop=stop,
            members=member_ids,
        )
    return {"stop": stop, "members": member_ids, "withdrawn": withdrawn}
