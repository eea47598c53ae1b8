# SPDX-License-Identifier: GPL-3.0-or-later
"""A club member: who they are, kept to the minimum the club needs (privacy by default)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError

MAX_NAME_LENGTH = 120
# An erased member (the club's erasure of their personal data, sync.server.club.privacy) keeps their id,
# tier, branch, cards (revoked) and ledger; their name and phone hold these placeholders and their birth
# date and national id are gone. The phone placeholder is the mark: no phone number normalises to it
# (app.domain.phone), and it travels in the wire format every terminal already reads (sync.protocol).
ERASED_NAME = "—"
ERASED_PHONE = "erased"


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    name: str
    phone: str
    tier_code: str
    branch_id: str
    joined_at_us: int
    birth_date: date | None = None
    national_id_last4: str | None = None
    referrer_id: str | None = None
    consent_marketing: bool = False

    @property
    def erased(self) -> bool:
        """Whether the club erased this member's personal data (see ERASED_PHONE)."""
        return self.phone == ERASED_PHONE


def clean_name(raw: str) -> str:
    """A member's name with runs of white space folded; refuses an empty or absurd one."""
    name = " ".join((raw or "").split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ClubError("invalid_name", name=raw)
    return name


def national_id_is_valid(raw: str) -> bool:
    """The Iranian national id (کد ملی) check digit: 10 digits, weighted sum mod 11."""
    digits = to_latin_digits(raw or "").strip()
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(digits[i]) * (10 - i) for i in range(9))
    remainder = total % 11
    check = int(digits[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


def national_id_last4(raw: str) -> str:
    """Terminals keep only the last four digits of a national id; the rest is never stored."""
    if not national_id_is_valid(raw):
        raise ClubError("invalid_national_id")
    return to_latin_digits(raw).strip()[-4:]
