# SPDX-License-Identifier: GPL-3.0-or-later
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member


def test_a_sale_earns_points(terminal):
    member = enroll_member(terminal, EnrollRequest(name="Ali", phone="09121234567")).member
    result = record_sale(terminal, SaleRequest(member.id, 1_500_000))
    assert result.points_earned == 15
    assert result.balance.points == 15
