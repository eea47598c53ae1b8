# SPDX-License-Identifier: GPL-3.0-or-later
"""Tap to verdict through pcscd: a genuinely signed card on the emulator, verified inside the timed window.

Two cards, each on its own terminal of the bench club:
- today's card (the signed payload bound to the UID) on the Type 4 emulator: `tap_*` figures;
- a chip-keyed NTAG 424 DNA (the same signed payload, chip_keyed, and the key-reference record) on the
  NTAG 424 DNA emulator holding its diversified keys; the backend reads it, then proves the chip on the same
  connection (Read_Sig and the AES challenge with the card's key 1), and the verdict must name the
  challenge: `chip_tap_*` figures, and what the chip adds (`chip_tap_extra_*`: APDUs, and the difference at
  p50 and p95 of the tap to verdict and of our part — read, proof and verdict, without pcscd's detection).

The chip's keys are the bench's own, made up here (no club's): the emulator gets them on its command line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.cards.base import CardEvent
from app.cards.ntag424 import keys
from app.cards.ntag424.originality import NXP_ORIGINALITY_KEYS
from app.cards.ntag424.reading import ChipReading
from app.cards.verify import CHECK_CHALLENGE
from app.domain.staff import Role, Staff
from app.services.cards import bind_card, identify_event, prepare_card
from app.services.chip_keys import IssuingChipKeys
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key
from app.services.terminal import Terminal
from bench import tap
from bench.club import BRANCH_ID, bench_terminal
from tests.support.ntag424_emulator import Ntag424EmulatorProcess
from tests.support.ntag424_originality import TEST_PUBLIC_KEY
from tests.support.type4_emulator import VPCD_PORT, EmulatorProcess

UID = bytes.fromhex("04B0B1B2B3B4B5")
CHIP_UID = bytes.fromhex("04B0B1B2B3B4C6")
ISSUER = Staff("bench-manager", "Bench", Role.MANAGER)
# the bench branch's chip keys (generation 1): made up for the bench, never a club's
BRANCH_READ_KEY, BRANCH_WRITE_KEY = bytes(range(0xA0, 0xB0)), bytes(range(0xB0, 0xC0))
KEY_REF = keys.KeyRef(BRANCH_ID, 1)


def run_tap_figures(work_dir: Path, samples: int) -> dict[str, object]:
    """Both cards' tap to verdict, and what the chip's proof adds."""
    plain = run_tap_to_verdict(work_dir, samples)
    chip = run_chip_tap_to_verdict(work_dir, samples)
    extra: dict[str, object] = {
        "chip_tap_extra_apdus": _number(chip, "chip_tap_apdus") - _number(plain, "tap_apdus")
    }
    for name in ("tap_to_verdict", "tap_ours", "tap_read", "tap_verify"):
        for q in ("p50", "p95"):
            difference = _number(chip, f"chip_{name}_{q}_ms") - _number(plain, f"{name}_{q}_ms")
            extra[f"chip_{name}_extra_{q}_ms"] = round(difference, 3)
    return plain | chip | extra


def _number(figures: dict[str, object], key: str) -> float:
    value = figures[key]
    assert isinstance(value, int | float)
    return value


def run_tap_to_verdict(work_dir: Path, samples: int) -> dict[str, object]:
    """Today's card: the signed payload bound to the UID, no chip to prove."""
    terminal = bench_terminal(work_dir / "tap")
    create_issuing_key(terminal, 1)
    member = enroll_member(terminal, EnrollRequest(name="Tap Bench", phone="09120000777")).member
    prepared = prepare_card(terminal, member.id, staff=ISSUER, uid=UID)
    bind_card(terminal, prepared.card.number, UID)
    figures = tap.run(samples, card=(UID, prepared.ndef or b""), verify=_verifier(terminal, challenge=False))
    terminal.db.close()
    return {k.replace("tap_to_event", "tap_to_verdict"): v for k, v in figures.items()}


def run_chip_tap_to_verdict(work_dir: Path, samples: int) -> dict[str, object]:
    """A chip-keyed NTAG 424 DNA of the bench branch, challenged at every tap: valid with the challenge."""
    terminal = bench_terminal(work_dir / "chip-tap")
    create_issuing_key(terminal, 1)
    member = enroll_member(terminal, EnrollRequest(name="Chip Bench", phone="09120000778")).member
    issuing = IssuingChipKeys(
        KEY_REF,
        keys.card_key(BRANCH_WRITE_KEY, CHIP_UID, keys.MASTER_KEY_NO),
        keys.card_key(BRANCH_READ_KEY, CHIP_UID, keys.READ_KEY_NO),
        tuple(keys.card_key(BRANCH_WRITE_KEY, CHIP_UID, n) for n in keys.SPARE_KEY_NOS),
    )
    prepared = prepare_card(terminal, member.id, staff=ISSUER, uid=CHIP_UID, chip=issuing)
    bind_card(terminal, prepared.card.number, CHIP_UID)
    card_keys = (issuing.master, issuing.read, *issuing.spares)
    key_args = tuple(arg for n, key in enumerate(card_keys) for arg in ("--key", f"{n}:{key.hex()}"))

    def emulator(uid: bytes, ndef: bytes) -> EmulatorProcess:
        return Ntag424EmulatorProcess(uid, ndef, port=VPCD_PORT, extra_args=key_args)

    # what app.services.chip_keys gives a terminal of the bench branch: the card's key 1 for its own cards;
    # NXP's originality keys and the test manufacturer's, which signed the emulated chip
    trusted = (*NXP_ORIGINALITY_KEYS, TEST_PUBLIC_KEY)
    chip = ChipReading(card_key_for=_bench_branch_key, originality_keys=trusted)
    figures = tap.run(
        samples, card=(CHIP_UID, prepared.ndef or b""), verify=_verifier(terminal, challenge=True),
        chip=chip, emulator=emulator,
    )  # fmt: skip
    terminal.db.close()
    return {"chip_" + k.replace("tap_to_event", "tap_to_verdict"): v for k, v in figures.items()}


def _bench_branch_key(ndef: bytes, uid: bytes) -> bytes | None:
    ref = keys.key_ref_from_ndef(ndef)
    return keys.card_key(BRANCH_READ_KEY, uid, keys.READ_KEY_NO) if ref == KEY_REF else None


def _verifier(terminal: Terminal, *, challenge: bool) -> Callable[[CardEvent], None]:
    def verify(event: CardEvent) -> None:
        result = identify_event(terminal, event)
        if result is None or not result.verdict.valid:
            raise RuntimeError(f"the bench card was refused: {result and result.verdict.reason}")
        if challenge and CHECK_CHALLENGE not in result.verdict.checks:
            raise RuntimeError(f"the chip card was valid without the challenge ({result.verdict.checks})")

    return verify
