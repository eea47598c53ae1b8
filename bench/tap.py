# SPDX-License-Identifier: GPL-3.0-or-later
"""Tap-to-event through the real PC/SC stack, and the bare cost of the same APDUs.

`run(samples)` needs pcscd with vsmartcard's vpcd (HARNESS.md); it starts pcscd when none runs (root) and
stops only the one it started. The card is our Type 4 emulator in a child process (`EmulatorProcess`), so
that it does not share this process's GIL with the backend.

- tap to event: the emulator connects to vpcd (the card is inserted; its time.monotonic_ns(), the same clock
  in both processes) → `PcscBackend.poll` returns the TAPPED event. Dominated by pcscd's presence polling
  (every 400 ms), so each tap waits a random 0–400 ms after the previous removal to sample every phase of
  that polling rather than lock onto it.
- read: the event's read_us, i.e. SCardConnect + the Type 4 APDUs + SCardDisconnect inside the backend.
- detect: tap to event minus read, i.e. how long pcscd took to notice the card and wake the backend.
- remove to event: the emulator closes its connection → the backend's REMOVED event (pcscd polling again).
- bare: SCardConnect + the same APDUs with plain SCardTransmit + SCardDisconnect on a card already present,
  no Type 4 logic: the floor for a read.
- verify (when a `verify` is given): the verdict on the TAPPED event, timed on its own inside the tap;
  ours: read + verify, the tap to verdict without pcscd's detection (what our code adds to a tap).

A chip-keyed card (`chip`: the backend's ChipReading; `emulator`: the NTAG 424 DNA emulator's process) is
read and then challenged on the same connection, so its read figure is the read and the chip's proof. Its
APDUs are counted on the same path; no bare floor is timed for it: replaying a recorded challenge is not
the same exchange (the chip's random differs every time, so the recorded answer is wrong).

`python -m bench.tap [--samples N]` prints the figures and the JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Sequence

from app.cards.base import CardEvent, CardEventKind
from app.cards.ntag424.reading import ChipReading
from app.cards.pcsc import PcscBackend
from app.cards.type4 import TagRead, read_ndef
from bench.stats import percentile
from tests.support.pcscd import Pcscd, stack_lock
from tests.support.type4_emulator import VPCD_PORT, EmulatorProcess

READER = "Virtual PCD 00 00"
UID = bytes.fromhex("04A1B2C3D4E5F6")
# About the size of a signed member card payload with a small profile: a few READ BINARY chunks.
NDEF = b"\xc2\x1c" + (512).to_bytes(4, "big") + b"application/vnd.bashgah.card" + bytes(range(256)) * 2
EVENT_TIMEOUT_S = 5.0
POLL_PHASE_S = 0.4  # pcscd's presence polling period


def run(
    samples: int,
    card: tuple[bytes, bytes] | None = None,
    verify: Callable[[CardEvent], object] | None = None,
    *,
    chip: ChipReading | None = None,
    emulator: Callable[[bytes, bytes], EmulatorProcess] | None = None,
) -> dict[str, object]:
    """Tap `samples` times and time the bare APDUs as often; figures in milliseconds (p50, p95).

    `chip` is given to the backend (a chip-keyed card is challenged after its NDEF read) and `emulator`
    starts the card's process from (uid, ndef) (the Type 4 emulator when None). Waits while a test session
    uses the PC/SC stack (`stack_lock`); raises PcscUnavailableError when a part of it is missing."""
    with stack_lock():
        return _run(samples, card or (UID, NDEF), verify, chip, emulator or _type4_emulator)


def _type4_emulator(uid: bytes, ndef: bytes) -> EmulatorProcess:
    return EmulatorProcess(uid, ndef, port=VPCD_PORT)


def _run(
    samples: int,
    served: tuple[bytes, bytes],
    verify: Callable[[CardEvent], object] | None,
    chip: ChipReading | None,
    emulator: Callable[[bytes, bytes], EmulatorProcess],
) -> dict[str, object]:
    service = Pcscd()
    service.ensure_running()
    backend = PcscBackend(reader_filter=lambda name: name == READER, chip=chip)
    try:
        with emulator(*served) as card:
            taps, reads, verifies, removals = _taps(backend, card, samples, verify)
            card.insert()
            _wait(backend, CardEventKind.TAPPED)
            bare, apdus = _bare(0 if chip else samples, chip)
            card.remove()
    finally:
        backend.close()
        started = service.started_here
        service.stop()
    detect = [tap - read for tap, read in zip(taps, reads, strict=True)]
    figures: dict[str, object] = {
        "tap_samples": samples,
        "tap_apdus": apdus,
        "pcscd_started_by_bench": started,
        **_summary("tap_to_event", taps),
        **_summary("tap_detect", detect),
        **_summary("tap_read", reads),
        **_summary("remove_to_event", removals),
    }
    if bare:
        figures |= _summary("bare_apdus", bare)
    if verify is not None:
        figures |= _summary("tap_verify", verifies)
        figures |= _summary("tap_ours", [read + check for read, check in zip(reads, verifies, strict=True)])
    return figures


def _taps(
    backend: PcscBackend, card: EmulatorProcess, samples: int, verify: Callable[[CardEvent], object] | None
) -> tuple[list[int], list[int], list[int], list[int]]:
    """Insert → TAPPED (→ verified, when `verify` is given: it runs inside the timed window)."""
    _wait(backend, CardEventKind.READER_ADDED)
    taps, reads, verifies, removals = [], [], [], []
    for _ in range(samples):
        time.sleep(random.uniform(0, POLL_PHASE_S))  # jitter, not security
        inserted_ns = card.insert()
        tapped = _wait(backend, CardEventKind.TAPPED)
        if verify is not None:
            verify_started = time.monotonic_ns()
            verify(tapped)
            verifies.append(time.monotonic_ns() - verify_started)
        taps.append(time.monotonic_ns() - inserted_ns)
        reads.append((tapped.read_us or 0) * 1000)
        removed_ns = card.remove()
        _wait(backend, CardEventKind.REMOVED)
        removals.append(time.monotonic_ns() - removed_ns)
    return taps, reads, verifies, removals


def _wait(backend: PcscBackend, kind: CardEventKind) -> CardEvent:
    deadline = time.monotonic() + EVENT_TIMEOUT_S
    while time.monotonic() < deadline:
        for event in backend.poll(50):
            if event.kind is kind and event.reader in (READER, ""):
                return event
            if event.kind is CardEventKind.READ_FAILED:
                raise RuntimeError(f"the emulated card was not read: {event.error} ({event.detail})")
    raise RuntimeError(f"no {kind} within {EVENT_TIMEOUT_S} s")


def _bare(samples: int, chip: ChipReading | None = None) -> tuple[list[int], int]:
    """The same APDUs as a Type 4 read (and the chip's proof, with `chip`), sent with nothing but pyscard
    on a card already present; and how many APDUs that is."""
    from smartcard import scard

    status, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if status != scard.SCARD_S_SUCCESS:
        raise RuntimeError(scard.SCardGetErrorMessage(status))
    try:
        apdus = _recorded_apdus(context, chip)
        timings = [_bare_once(context, apdus) for _ in range(samples)]
    finally:
        scard.SCardReleaseContext(context)
    return timings, len(apdus)


def _connect(context: int) -> tuple[int, int]:
    from smartcard import scard

    status, card, protocol = scard.SCardConnect(
        context, READER, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
    )
    if status != scard.SCARD_S_SUCCESS:
        raise RuntimeError(scard.SCardGetErrorMessage(status))
    return card, protocol


def _recorded_apdus(context: int, chip: ChipReading | None) -> list[list[int]]:
    from smartcard import scard

    card, protocol = _connect(context)
    sent: list[list[int]] = []

    def transmit(apdu: bytes) -> bytes:
        sent.append(list(apdu))
        _, response = scard.SCardTransmit(card, protocol, list(apdu))
        return bytes(response)

    try:
        read = read_ndef(transmit)
        if chip is not None and isinstance(read, TagRead) and chip.wants_proof(read.ndef):
            chip.prove(transmit, read.ndef, read.uid)
    finally:
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
    return sent


def _bare_once(context: int, apdus: list[list[int]]) -> int:
    from smartcard import scard

    started = time.monotonic_ns()
    card, protocol = _connect(context)
    for apdu in apdus:
        scard.SCardTransmit(card, protocol, apdu)
    scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
    return time.monotonic_ns() - started


def _summary(name: str, samples_ns: Sequence[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)
    return {
        f"{name}_p50_ms": round(percentile(ordered, 50) / 1e6, 3),
        f"{name}_p95_ms": round(percentile(ordered, 95) / 1e6, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tap", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50, help="taps (and bare reads)")
    results = run(parser.parse_args(argv).samples)
    for key in ("tap_to_event", "tap_detect", "tap_read", "bare_apdus", "remove_to_event"):
        print(f"{key:<14} p50 {results[f'{key}_p50_ms']:8.3f} ms   p95 {results[f'{key}_p95_ms']:8.3f} ms")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
