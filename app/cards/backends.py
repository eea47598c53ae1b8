# SPDX-License-Identifier: GPL-3.0-or-later
"""Which reader backends a terminal runs, by name: the choice the installer or `--reader` makes."""

from __future__ import annotations

from app.cards.base import ReaderBackend

CHOICES = ("any", "pcsc", "nfc", "simulated", "demo")


def make_backends(selection: str = "any", nfc_path: str = "usb") -> list[ReaderBackend]:
    """The backends for a selection: `any` is every real kind (each says itself whether it is there);
    `demo` adds the simulated reader that `make run`'s F9 taps."""
    backends: list[ReaderBackend] = []
    if selection in ("simulated", "demo"):
        from app.cards.simulated import SimulatedReader

        backends.append(SimulatedReader("Demo reader (F9)"))
    if selection in ("any", "pcsc", "demo"):
        from app.cards.pcsc import PcscBackend

        backends.append(PcscBackend())
    if selection in ("any", "nfc", "demo"):
        from app.cards.nfc import NfcBackend

        backends.append(NfcBackend(nfc_path))
    if not backends:
        raise ValueError(f"unknown reader selection {selection!r}")
    return backends
