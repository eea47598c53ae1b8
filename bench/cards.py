# SPDX-License-Identifier: GPL-3.0-or-later
"""Tap to verdict through pcscd: a genuinely signed card on the emulator, verified inside the timed window."""

from __future__ import annotations

from pathlib import Path

from app.cards.base import CardEvent
from app.domain.staff import Role, Staff
from app.services.cards import bind_card, identify_event, prepare_card
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key
from bench import tap
from bench.club import bench_terminal

UID = bytes.fromhex("04B0B1B2B3B4B5")
ISSUER = Staff("bench-manager", "Bench", Role.MANAGER)


def run_tap_to_verdict(work_dir: Path, samples: int) -> dict[str, object]:
    terminal = bench_terminal(work_dir / "tap")
    create_issuing_key(terminal, 1)
    member = enroll_member(terminal, EnrollRequest(name="Tap Bench", phone="09120000777")).member
    prepared = prepare_card(terminal, member.id, staff=ISSUER, uid=UID)
    bind_card(terminal, prepared.card.number, UID)

    def verify(event: CardEvent) -> None:
        result = identify_event(terminal, event)
        if result is None or not result.verdict.valid:
            raise RuntimeError(f"the bench card was refused: {result}")

    figures = tap.run(samples, card=(UID, prepared.ndef or b""), verify=verify)
    return {k.replace("tap_to_event", "tap_to_verdict"): v for k, v in figures.items()}
