# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of opting out: the unsubscribe token's signature and the SMS stop word as people type it."""

from __future__ import annotations

import pytest

from sync.server.messages import unsubscribe
from sync.server.messages.inbound import is_stop, normalise

SECRET = bytes(range(32))
MEMBER = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def test_a_token_names_its_member_and_only_under_its_secret() -> None:
    token = unsubscribe.sign(SECRET, MEMBER)
    assert unsubscribe.verify(SECRET, token) == MEMBER
    assert unsubscribe.verify(bytes(32), token) is None
    assert token == unsubscribe.sign(SECRET, MEMBER)  # no expiry, no randomness: the link is stable
    assert all(c.isalnum() or c in "-_." for c in token)  # URL-safe as it is


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace(".", ".A" if ".A" not in t else ".B", 1)[:-1],  # the signature changed
        lambda t: t[:-1] + ("B" if t[-1] == "A" else "A"),  # another spelling of (nearly) the same bytes
        lambda t: unsubscribe.sign(SECRET, "another-member").split(".")[0] + "." + t.split(".")[1],
        lambda t: t.replace(".", ""),
        lambda t: t.split(".")[0],
        lambda _: "",
        lambda _: "!!!.???",
        lambda t: t + "." + t,
        lambda t: t * 10,
    ],
)
def test_a_changed_token_names_no_one(tamper: object) -> None:
    token = unsubscribe.sign(SECRET, MEMBER)
    assert unsubscribe.verify(SECRET, tamper(token)) is None  # type: ignore[operator]


def test_the_signature_is_for_unsubscribing_only() -> None:
    # a plain HMAC of the member id under the same secret (what another feature might sign) is no token
    import base64
    import hashlib
    import hmac

    plain = hmac.new(SECRET, MEMBER.encode(), hashlib.sha256).digest()[:16]
    head = base64.urlsafe_b64encode(MEMBER.encode()).rstrip(b"=").decode()
    forged = head + "." + base64.urlsafe_b64encode(plain).rstrip(b"=").decode()
    assert unsubscribe.verify(SECRET, forged) is None


@pytest.mark.parametrize(
    "text",
    ["لغو", " لغو ", "لغو.", "ل\u200cغو", "۱۱", "١١", "11", " 1 1 ", "stop", "STOP", "Stop!", "ＳＴＯＰ"],
)
def test_the_stop_word_as_people_type_it(text: str) -> None:
    assert is_stop(text)


@pytest.mark.parametrize(
    "text", ["", "سلام", "لغو نکنید لطفا", "111", "1", "stopp", "please stop sending", "۱۲", "ok"]
)
def test_other_replies_are_not_a_stop(text: str) -> None:
    assert not is_stop(text)


def test_normalise_reads_arabic_letters_as_persian() -> None:
    assert normalise("كي") == normalise("کی")
