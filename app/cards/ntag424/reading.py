# SPDX-License-Identifier: GPL-3.0-or-later
"""What a reader backend needs to challenge a chip-keyed card after reading its NDEF file: the terminal's
card keys (app.services.chip_keys, injected: the cards layer does not reach up into services) and the
originality keys it trusts.

The backend runs the proof only for a card that names a club chip key (its key-reference record): a card of
before issue 19 is read as fast as ever, and one that dropped the record is refused by the verdict anyway
(its payload's chip-keyed flag is signed).

Threading: `prove` runs on the card manager's device thread; `card_key_for` must be safe there.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

from app.cards.ntag424.check import ChipProof, prove_chip
from app.cards.ntag424.keys import key_ref_from_ndef
from app.cards.ntag424.originality import NXP_ORIGINALITY_KEYS, public_key_from_point
from app.cards.type4 import Transmit

log = logging.getLogger(__name__)

# Test benches only: more originality keys to trust (hex EC points, comma-separated), since an emulated
# card cannot carry NXP's signature. Trusting one more key never lets a copy through: the AES challenge,
# not the originality signature, is what tells a copy.
EXTRA_ORIGINALITY_KEYS_ENV = "BASHGAH_EXTRA_ORIGINALITY_KEYS"

CardKeyFor = Callable[[bytes, bytes], bytes | None]


def _no_keys(_ndef: bytes, _uid: bytes) -> bytes | None:
    return None


def originality_keys_from_env() -> tuple[EllipticCurvePublicKey, ...]:
    """NXP's keys, and any the environment adds for a test bench (a garbled one is logged and left out)."""
    extra: list[EllipticCurvePublicKey] = []
    listed = os.environ.get(EXTRA_ORIGINALITY_KEYS_ENV, "").split(",")
    for text in filter(None, (part.strip() for part in listed)):
        try:
            extra.append(public_key_from_point(bytes.fromhex(text)))
        except ValueError:
            log.warning("%s holds something that is not an EC point; left out", EXTRA_ORIGINALITY_KEYS_ENV)
    return (*NXP_ORIGINALITY_KEYS, *extra)


@dataclass(frozen=True, slots=True)
class ChipReading:
    """card_key_for(ndef, uid): the card's key 1, diversified, or None when this terminal holds no key for
    it (another branch's card, no keys synced yet)."""

    card_key_for: CardKeyFor = _no_keys
    originality_keys: tuple[EllipticCurvePublicKey, ...] = field(default_factory=originality_keys_from_env)

    @staticmethod
    def wants_proof(ndef: bytes) -> bool:
        return key_ref_from_ndef(ndef) is not None

    def prove(self, transmit: Transmit, ndef: bytes, uid: bytes | None) -> ChipProof:
        """The chip's proof; raises only type4.TransmitError (the card left: the tap failed)."""
        key = None
        if uid:
            try:
                key = self.card_key_for(ndef, uid)
            except Exception:  # the key store's trouble must not lose the tap: the challenge just cannot run
                log.exception("looking up the card's chip key failed")
        return prove_chip(
            transmit, uid=uid, read_key=key, originality_keys=self.originality_keys, read_counter=True
        )
