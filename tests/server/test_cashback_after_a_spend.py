# SPDX-License-Identifier: GPL-3.0-or-later
"""A sale that spent points earns cashback on what was paid, and the server prices it so.

Found by the thirty-day soak (bench.soak): the server looked the sale's redeem entry up by a UUID object
where its batch keys ids by text, never found it, priced the cashback on the whole sale and set aside
every cashback credit of a sale that spent points (`price_mismatch`), and then the return that undid it
(`reverses_unknown`): the member lost cashback the rules gave. Both when the redeem is in the same push
and when it was pushed before.
"""

from __future__ import annotations

from typing import Any

from app.domain.companions import Companion
from app.domain.ids import derived_id
from app.domain.ledger import EntryKind
from app.domain.programme import CashbackRule, RuleSet, TierRule
from sync.protocol import WireEntry
from tests.server.club import Terminal, member, member_item, push
from tests.server.test_programme import save_rules

RULES = RuleSet(
    version=0,
    tiers=(
        TierRule("bronze", "برنزی", "Bronze", 0),
        TierRule("silver", "نقره‌ای", "Silver", 1, threshold=500),
    ),
    cashback=CashbackRule(percent_bp=300, from_next_day=True, max_share_percent=50),
)
AMOUNT = 19_858_000
REDEEM = 28  # points, 1,000 rials each at THR
PAID = AMOUNT - REDEEM * 1_000


def outcomes(answer: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["outcome"], r["reason"]) for r in answer["entries"]]


def spent_sale(terminal: Terminal, member_id: str, version: int) -> list[WireEntry]:
    """Earn, redeem, then the cashback on what was paid, as app.services.checkout writes them."""
    sale = terminal.sale(member_id, AMOUNT, redeem=REDEEM, rules_version=version)
    credit = terminal.entry(
        member_id, EntryKind.CASHBACK_CREDIT, 0, cash_delta=PAID * 300 // 10_000, rules_version=version,
        id=str(derived_id(sale[0].id, Companion.CASHBACK)), created_at_us=sale[0].created_at_us,
    )  # fmt: skip
    return [*sale, credit]


def _member_with_points(client, terminal: Terminal, version: int) -> str:
    m = member()
    push(client, terminal, [], [member_item(m)])
    first = terminal.sale(m.id, 10_000_000, rules_version=version)
    assert outcomes(push(client, terminal, first)) == [("accepted", None)]
    return m.id


def test_cashback_on_a_sale_that_spent_points_is_priced_on_what_was_paid(client, club_db, admin, terminal):
    version = save_rules(client, admin, RULES)
    m = _member_with_points(client, terminal, version)
    sale = spent_sale(terminal, m, version)
    assert outcomes(push(client, terminal, sale)) == [("accepted", None)] * 3
    back = terminal.entry(m, EntryKind.REVERSAL, 0, cash_delta=-sale[2].cash_delta // 2, reverses=sale[2].id,
                          invoice_ref=sale[0].invoice_ref, reason="return")  # fmt: skip
    assert outcomes(push(client, terminal, [back])) == [("accepted", None)]


def test_the_same_when_the_redeem_was_pushed_before_its_cashback(client, club_db, admin, terminal):
    version = save_rules(client, admin, RULES)
    m = _member_with_points(client, terminal, version)
    earn, redeem, credit = spent_sale(terminal, m, version)
    assert outcomes(push(client, terminal, [earn, redeem])) == [("accepted", None)] * 2
    assert outcomes(push(client, terminal, [credit])) == [("accepted", None)]
