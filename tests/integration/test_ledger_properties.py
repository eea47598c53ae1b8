# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based tests through the real use cases and the real SQLite file.

A hypothesis state machine sells, redeems, returns and reverses in any order; after every step the
stored balances equal a rebuild from the ledger, every chain holds, and no member holds more points
than the sales they kept would earn.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from app.domain.errors import ClubError
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.ledger_check import verify_ledger
from app.services.returns import ReturnRequest, return_sale, sale_record
from app.services.reversal import reverse_entry
from app.store import club, ledger
from tests.support.club import MANAGER, TEST_CLUB, make_club

RULE = TEST_CLUB.branches[0].earning
MULTIPLIER = {t.code: t.multiplier_percent for t in TEST_CLUB.tiers}


class LedgerMachine(RuleBasedStateMachine):
    @initialize(members=st.integers(1, 3))
    def set_up(self, members: int) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.terminal = make_club(Path(self.tmp.name) / "data")
        self.members = [
            enroll_member(self.terminal, EnrollRequest(name=f"M{i}", phone=f"0912000000{i}")).member.id
            for i in range(members)
        ]
        self.invoices: list[str] = []

    def teardown(self) -> None:
        self.terminal.db.close()
        self.tmp.cleanup()

    def _balance(self, member_id: str) -> int:
        with self.terminal.db.read() as conn:
            return ledger.balance(conn, member_id).points

    @rule(who=st.integers(0, 2), amount=st.integers(1, 30_000_000), spend=st.integers(0, 100))
    def sell(self, who: int, amount: int, spend: int) -> None:
        member = self.members[who % len(self.members)]
        allowed = TEST_CLUB.branches[0].redemption.max_points(amount, max(self._balance(member), 0))
        redeem = allowed * spend // 100
        result = record_sale(self.terminal, SaleRequest(member, amount, redeem_points=redeem))
        self.invoices.append(result.invoice_ref)

    @precondition(lambda self: self.invoices)
    @rule(pick=st.integers(0, 10**6), share=st.integers(1, 100))
    def give_back(self, pick: int, share: int) -> None:
        invoice = self.invoices[pick % len(self.invoices)]
        with self.terminal.db.read() as conn:
            left = sale_record(conn, invoice)[2].returnable_rials
        if left:
            return_sale(self.terminal, ReturnRequest(invoice, max(1, left * share // 100)))

    @precondition(lambda self: self.invoices)
    @rule(pick=st.integers(0, 10**6))
    def manager_voids(self, pick: int) -> None:
        invoice = self.invoices[pick % len(self.invoices)]
        with self.terminal.db.read() as conn:
            sale = sale_record(conn, invoice)[0]
        try:
            reverse_entry(self.terminal, sale.id, "void", MANAGER)
        except ClubError as error:
            assert error.code == "already_reversed"

    @invariant()
    def projections_equal_a_rebuild_and_chains_hold(self) -> None:
        report = verify_ledger(self.terminal.db)
        assert report.ok, report

    @invariant()
    def nobody_keeps_more_points_than_kept_sales_earn(self) -> None:
        with self.terminal.db.read() as conn:
            bound: dict[str, int] = {}
            for invoice in self.invoices:
                sale, _, record = sale_record(conn, invoice)
                kept = record.sale_rials - record.returned_rials
                kept_paid = (record.sale_rials - record.discount_rials) * kept // record.sale_rials
                tier = club.tier(conn, "bronze")
                earned_now = record.earned_points - record.clawed_back_points
                assert earned_now <= RULE.points_for(kept_paid, tier.multiplier_percent)
                spent_now = record.redeemed_points - record.given_back_points
                bound[sale.member_id] = bound.get(sale.member_id, 0) + earned_now - spent_now
            for member_id, expected in bound.items():
                assert ledger.balance(conn, member_id).points == expected


LedgerMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerMachine = LedgerMachine.TestCase
