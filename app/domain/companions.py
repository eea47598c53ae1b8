# SPDX-License-Identifier: GPL-3.0-or-later
"""The entries one use case writes together, and how their ids follow from the first one's.

A sale is its `earn` entry (the sale's id) and companions whose ids are `derived_id(sale id, n)`
(app.domain.ids), written in the same transaction right after it, in this order; spending on a membership
card or a reward is the same: the primary entry, then its redeem (1) and override (2). A retried request
therefore names the same entries, and the club server can find a companion's primary entry (to re-price
it) among the few entries just before it in the device's chain.
"""

from __future__ import annotations

from enum import IntEnum


class Companion(IntEnum):
    REDEEM = 1  # points spent (a sale, a membership card, a reward)
    OVERRIDE = 2  # a manager let the spending go beyond the offline grant
    WALLET = 3  # cashback_spend: the wallet paid part of the sale
    CASHBACK = 4  # cashback_credit: what the sale earned to the wallet
    TIER = 5  # tier_change: the sale lifted the member
    BIRTHDAY = 6  # bonus entries the sale triggered
    REFERRED = 7
    REFERRER = 8  # for the referrer: another member, same sale


# a companion sits at most this many places after its primary entry in the device's chain
MAX_DISTANCE = len(Companion)
