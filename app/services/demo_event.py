# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo club's party: an event open now, its gold tier and some named guests invited.

The simulated reader taps the demo's cards in turn, so the guests are chosen among those cards' holders:
a host at the demo door sees ADMIT, ALREADY INSIDE (the second tap) and NOT INVITED without any setup.
"""

from __future__ import annotations

from app.domain.event import Event
from app.domain.staff import Staff
from app.services.demo_cards import demo_card_numbers
from app.services.door import invite, save_event
from app.services.terminal import Terminal
from app.store import cards

HOUR_US = 3600 * 1_000_000
DEMO_EVENT_NAME = "جشن پایان سال باشگاه"
DEMO_VENUE = "تهران، تالار برج میلاد"


def seed_demo_event(terminal: Terminal, manager: Staff) -> Event:
    """A week-long event starting within the hour (the door is open from three hours before)."""
    starts = terminal.clock.now_us() // HOUR_US * HOUR_US + HOUR_US
    event = save_event(
        terminal,
        manager,
        Event(
            id=terminal.new_id(),
            name=DEMO_EVENT_NAME,
            venue=DEMO_VENUE,
            starts_at_us=starts,
            ends_at_us=starts + 7 * 24 * HOUR_US,
            capacity=120,
            invited_tiers=("gold",),
            plus_ones=1,
        ),
    )
    # every other demo card's holder by name: the simulated reader's taps alternate invited / not
    with terminal.db.read() as conn:
        holders = [c.member_id for n in demo_card_numbers(terminal) if (c := cards.card(conn, n))]
    for member_id in dict.fromkeys(holders[::2]):
        invite(terminal, manager, event.id, member_id)
    return event
