# SPDX-License-Identifier: GPL-3.0-or-later
"""Which reader backends a terminal runs, by name: the choice the installer or `--reader` makes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.cards.base import ReaderBackend

if TYPE_CHECKING:
    from app.cards.ntag424.reading import ChipReading

CHOICES = ("any", "pcsc", "nfc", "simulated", "demo")


def make_backends(
    selection: str = "any", nfc_path: str = "usb", chip: ChipReading | None = None
) -> list[ReaderBackend]:
    """The backends for a selection: `any` is every real kind (each says itself whether it is there);
    `demo` adds the simulated reader that `make run`'s F9 taps. `chip` gives the PC/SC backend the
    terminal's chip keys, to challenge chip-keyed cards (without it they are read for earning only)."""
    backends: list[ReaderBackend] = []
    if selection in ("simulated", "demo"):
        from app.cards.simulated import SimulatedReader

        backends.append(SimulatedReader("Demo reader (F9)"))
    if selection in ("any", "pcsc", "demo"):
        from app.cards.pcsc import PcscBackend

        backends.append(PcscBackend(chip=chip))
    if selection in ("any", "nfc", "demo"):
        from app.cards.nfc import NfcBackend

        backends.append(NfcBackend(nfc_path))
    if not backends:
        raise ValueError(f"unknown reader selection {selection!r}")
    return backends
