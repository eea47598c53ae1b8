# SPDX-License-Identifier: GPL-3.0-or-later
"""The texts of messages: a default per kind and language (fa, en), the club's own (`message_template`)
over it, rendered with the message's facts (`params`) by safe substitution of named fields.

A template names fields as `{points}`; only the kind's fields may appear (`check`, which the back office
calls before it saves a template: an unknown field is refused then, never discovered at send time). The
values are formatted for the language: Persian digits and Toman in fa (app.format), grouped digits in en.
`enabled` on the fa row switches a kind off for every language. A campaign's text is its own
(`message_campaign`: body_fa/body_en, subject_fa/subject_en), with the same fields as every kind.

Every marketing SMS ends with the opt-out instruction (`OPT_OUT`): the member answers 11 (or لغو, or
STOP) and the provider's inbound webhook withdraws their consent (sync.server.messages.unsubscribe).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.digits import to_persian_digits
from app.domain.money import RIALS_PER_TOMAN
from app.format import date_text, number

LANGUAGES = ("fa", "en")
# the opt-out instruction every marketing SMS ends with: the inbound side takes 11, لغو or STOP
OPT_OUT = {"fa": "برای لغو، ۱۱ بفرستید", "en": "Reply 11 to stop"}

# the fields each kind's text may name (besides the common ones)
COMMON_FIELDS = frozenset({"name", "club"})
FIELDS: dict[str, frozenset[str]] = {
    "points_earned": frozenset({"earned", "spent", "balance", "amount", "invoice"}),
    "return": frozenset({"taken", "given_back", "balance", "invoice"}),
    "tier_upgrade": frozenset({"tier", "balance"}),
    "points_expiring": frozenset({"points", "date", "balance"}),
    "membership_ending": frozenset({"plan", "date"}),
    "invitation": frozenset({"event", "date", "venue", "link", "plus_ones"}),
    "birthday": frozenset({"bonus"}),
    "campaign": frozenset({"balance", "tier"}),  # the member's own: a campaign has no cause
    "sign_in_code": frozenset({"code"}),  # the member page's one-time code (sync.server.portal)
}
KINDS = tuple(FIELDS)
# Kinds whose text is the server's, never the club's: the back office neither edits nor switches them off
# (a sign-in code without its code, or switched off, would lock every member out of their page).
FIXED_KINDS = frozenset({"sign_in_code"})
# Kinds whose facts are secrets: once the message has gone, its row keeps neither its facts nor its text
# (a sign-in code is kept only as an HMAC, sync.server.portal.sign_in; the outbox must not undo that).
SECRET_KINDS = frozenset({"sign_in_code"})
# fields that are numbers of points or rials (formatted for the language), and dates (club-day ISO)
_POINTS = frozenset({"earned", "spent", "balance", "taken", "given_back", "points", "bonus", "plus_ones"})
_RIALS = frozenset({"amount"})
_DATES = frozenset({"date"})

DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {  # kind → language → (subject, body)
    "points_earned": {
        "fa": (
            "امتیاز خرید شما",
            "{name} عزیز، با این خرید {earned} امتیاز گرفتید و {spent} امتیاز خرج کردید. "
            "موجودی امتیاز شما: {balance}. {club}",
        ),
        "en": (
            "Your purchase points",
            "Dear {name}, this purchase earned you {earned} points and spent {spent}. "
            "Your balance: {balance} points. {club}",
        ),
    },
    "return": {
        "fa": (
            "بازگشت کالا",
            "{name} عزیز، با بازگشت کالا {taken} امتیاز از حساب شما کم شد. "
            "موجودی امتیاز شما: {balance}. {club}",
        ),
        "en": (
            "Your return",
            "Dear {name}, your return took back {taken} points. Your balance: {balance} points. {club}",
        ),
    },
    "tier_upgrade": {
        "fa": ("سطح تازهٔ شما", "تبریک {name}! سطح عضویت شما به {tier} رسید. {club}"),
        "en": ("Your new tier", "Congratulations {name}! You have reached {tier}. {club}"),
    },
    "points_expiring": {
        "fa": (
            "امتیازهایی که منقضی می‌شوند",
            "{name} عزیز، {points} امتیاز شما در {date} منقضی می‌شود. موجودی: {balance}. {club}",
        ),
        "en": (
            "Points about to expire",
            "Dear {name}, {points} of your points expire on {date}. Balance: {balance}. {club}",
        ),
    },
    "membership_ending": {
        "fa": ("پایان عضویت", "{name} عزیز، عضویت {plan} شما در {date} به پایان می‌رسد. {club}"),
        "en": ("Your membership ends", "Dear {name}, your {plan} membership ends on {date}. {club}"),
    },
    "invitation": {
        "fa": (
            "دعوت‌نامه",
            "{name} عزیز، به {event} در {date} دعوت شده‌اید. کارت ورود شما: {link} {club}",
        ),
        "en": (
            "Your invitation",
            "Dear {name}, you are invited to {event} on {date}. Your entry pass: {link} {club}",
        ),
    },
    "birthday": {
        "fa": ("تولدتان مبارک", "{name} عزیز، تولدتان مبارک! {bonus} امتیاز هدیهٔ تولد در خرید بعدی. {club}"),
        "en": (
            "Happy birthday",
            "Happy birthday, {name}! {bonus} bonus points are yours with your next purchase. {club}",
        ),
    },
    "campaign": {"fa": ("", ""), "en": ("", "")},
    # The code in ASCII digits in both languages, with nothing after it: a phone's one-time-code autofill
    # (iOS, Android's SMS Retriever/User Consent) reads Latin digits; a Persian run of digits it misses.
    "sign_in_code": {
        "fa": ("کد ورود", "کد ورود {club}: {code}\nاین کد را به کسی ندهید."),
        "en": ("Sign-in code", "{club} sign-in code: {code}\nDo not share it with anyone."),
    },
}
assert set(DEFAULTS) == set(FIELDS)


class TemplateError(ValueError):
    """A club's template that cannot be rendered: `field` names what is wrong."""

    def __init__(self, problem: str, field: str = "") -> None:
        super().__init__(f"{problem}: {field}" if field else problem)
        self.problem = problem
        self.field = field


_FORMATTER = string.Formatter()


def fields_of(body: str) -> set[str]:
    """The named fields a text uses; raises TemplateError for a malformed one ({0}, {a.b}, {x!r}, a lone
    brace)."""
    found: set[str] = set()
    try:
        parsed = list(_FORMATTER.parse(body))
    except ValueError as error:
        raise TemplateError("malformed", str(error)) from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not re.fullmatch(r"[a-z_]+", name) or spec or conversion:
            raise TemplateError("malformed_field", name)
        found.add(name)
    return found


def check(kind: str, body: str) -> None:
    """Refuse a text that names a field its kind does not have (the back office, before it saves)."""
    if kind not in FIELDS:
        raise TemplateError("unknown_kind", kind)
    allowed = FIELDS[kind] | COMMON_FIELDS
    for name in sorted(fields_of(body)):
        if name not in allowed:
            raise TemplateError("unknown_field", name)


def _points(value: int, language: str) -> str:
    return number(value, language)


def _toman(rials: int, language: str) -> str:
    whole = rials // RIALS_PER_TOMAN
    return f"{number(whole, language)} تومان" if language == "fa" else f"{number(whole, language)} Toman"


def _date(iso: str, language: str) -> str:
    if language != "fa":
        return iso
    try:
        return date_text(date.fromisoformat(iso), "fa")
    except ValueError:
        return to_persian_digits(iso)


def values(params: Mapping[str, Any], language: str) -> dict[str, str]:
    """The params as the language shows them."""
    shown: dict[str, str] = {}
    for key, value in params.items():
        if key in _POINTS and isinstance(value, int):
            shown[key] = _points(value, language)
        elif key in _RIALS and isinstance(value, int):
            shown[key] = _toman(value, language)
        elif key in _DATES and isinstance(value, str):
            shown[key] = _date(value, language)
        elif isinstance(value, dict):  # a per-language text: {"fa": …, "en": …}
            shown[key] = str(value.get(language) or value.get("fa") or "")
        else:
            shown[key] = str(value)
    return shown


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def render(
    body: str, subject: str, params: Mapping[str, Any], language: str, *, marketing: bool, sms: bool
) -> Text:
    """The text with its fields filled; a field the params lack is left empty (a club's template was checked
    when saved, so that is a fact the cause did not know, e.g. no invoice number)."""
    shown = values(params, language)
    filled = _FORMATTER.vformat(body, (), _Blank(shown))
    title = _FORMATTER.vformat(subject, (), _Blank(shown)) if subject else ""
    # what an empty field leaves behind: doubled spaces, a space before a full stop (lines are kept)
    filled = "\n".join(re.sub(r"[ \t]{2,}", " ", line).strip() for line in filled.strip().splitlines())
    if marketing and sms:
        filled = f"{filled}\n{OPT_OUT.get(language, OPT_OUT['fa'])}"
    return Text(subject=title, body=filled)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def text_for(
    kind: str,
    language: str,
    club_rows: Mapping[tuple[str, str], Any],
) -> tuple[str, str] | None:
    """(subject, body) of a kind in a language: the club's row over the default; None when the kind is
    switched off (`enabled` false on its fa row)."""
    fa_row = club_rows.get((kind, "fa"))
    if fa_row is not None and not fa_row.enabled:
        return None
    row = club_rows.get((kind, language))
    if row is not None and row.body.strip():
        return row.subject, row.body
    return DEFAULTS[kind].get(language, DEFAULTS[kind]["fa"])
