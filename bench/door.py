# SPDX-License-Identifier: GPL-3.0-or-later
"""The event door at party size: 100,000 members on the terminal, 5,000 invitations, half of them inside.

The store is the lookup benchmark's (Database.open, then bulk-loaded members and cards); the event, its
guest list and the check-ins already written go through the real store functions and the real ledger
(sealed, chained entries). Every invited guest has a genuinely signed chip card bound to its UID.

- door decision: `admit_card` (verify the signature, the guest list, who is inside, the counts, and the
  durable check-in write for ADMIT), in process, for guests not yet inside (ADMIT) and again (ALREADY
  INSIDE);
- tap to verdict painted: a signed card inserted on the Type 4 emulator → pcscd → the real window (offscreen)
  at the door: the card manager, the bridge, the door view, its worker (`admit_card_event`) and the verdict
  on screen, repainted. Each admission is undone after its clock stopped, so every tap is an ADMIT with its
  fsync. pcscd notices a card by polling (every 400 ms), which dominates (see `bench.tap`).
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.cards.payload import sign_card
from app.domain.event import Event, Invitation, Verdict
from app.domain.ids import uuid7
from app.domain.ledger import EntryDraft, EntryKind
from app.domain.staff import Role, Staff
from app.services import door
from app.services.issuing_key import create_issuing_key
from app.services.terminal import Terminal, open_terminal
from app.store import events, ledger
from app.store.database import DB_FILENAME
from bench import tap
from bench.club import bench_terminal
from bench.lookup import Population, _load
from bench.stats import percentile

HOUR_US = 3600 * 1_000_000
HOST = Staff("00000000-0000-7000-8000-0000000000b1", "Bench host", Role.HOST)
MANAGER = Staff("00000000-0000-7000-8000-0000000000a1", "Bench manager", Role.MANAGER)


def guest_uid(serial: int) -> bytes:
    return b"\x04" + serial.to_bytes(6, "big")


class DoorClub:
    """The loaded terminal, its event, and each invited guest's (UID, NDEF) card."""

    def __init__(self, work_dir: Path, members: int, invitations: int, seed: int = 6) -> None:
        rng = random.Random(seed)
        data_dir = work_dir / "door"
        started = time.perf_counter()
        bench_terminal(data_dir).db.close()
        pop = Population(phones=rng.sample(range(10**9), members))
        _load(data_dir / DB_FILENAME, pop, rng, members, 0)
        self.terminal: Terminal = open_terminal(data_dir)
        key = create_issuing_key(self.terminal, 1)
        now = self.terminal.clock.now_us()
        self.event = door.save_event(
            self.terminal,
            MANAGER,
            Event(self.terminal.new_id(), "Bench gala", now - HOUR_US, now + 6 * HOUR_US),
        )
        invited = rng.sample(range(members), invitations)
        self.cards: list[tuple[bytes, bytes]] = []
        with self.terminal.db.write() as conn:
            for serial in invited:
                member_id = pop.member_ids[serial]
                events.put_invitation(conn, Invitation(self._id(rng), self.event.id, member_id))
                uid = guest_uid(serial)
                conn.exec_driver_sql(
                    "UPDATE card SET uid = ? WHERE number = ?", (uid.hex(), pop.card(serial))
                )
                ndef = sign_card(
                    key, member_id=member_id, card_number=pop.card(serial), uid=uid,
                    issued_at_us=now - HOUR_US, expires_at_us=now + 365 * 24 * HOUR_US,
                )  # fmt: skip
                self.cards.append((uid, ndef))
        # half the guests are inside already (sealed check-ins, one transaction): the counts and the
        # "inside" lookup work on a full evening
        inside = [pop.member_ids[serial] for serial in invited[: invitations // 2]]
        with self.terminal.db.write() as conn:
            ledger.append(conn, self.terminal.device_id, [self._check_in(rng, m) for m in inside])
        self.load_s = time.perf_counter() - started
        del pop
        gc.collect()

    def _check_in(self, rng: random.Random, member_id: str) -> EntryDraft:
        return EntryDraft(
            id=self._id(rng),
            created_at_us=self.terminal.clock.now_us(),
            branch_id=self.terminal.branch_id,
            member_id=member_id,
            kind=EntryKind.CHECK_IN,
            staff_id=HOST.id,
            invoice_ref=self.event.id,
        )

    def _id(self, rng: random.Random) -> str:
        return str(uuid7(self.terminal.clock.now_us() // 1000, rng.randbytes(10)))

    @property
    def waiting(self) -> list[tuple[bytes, bytes]]:
        return self.cards[len(self.cards) // 2 :]


def decision_ms(club: DoorClub, samples: int) -> dict[str, list[float]]:
    """admit_card for guests at the door (ADMIT), then the same cards again (ALREADY INSIDE)."""
    figures: dict[str, list[float]] = {"door_admit": [], "door_already_inside": []}
    chosen = club.waiting[:samples]
    for name, want in (("door_admit", Verdict.ADMIT), ("door_already_inside", Verdict.ALREADY_INSIDE)):
        for uid, ndef in chosen:
            started = time.perf_counter_ns()
            result = door.admit_card(club.terminal, club.event.id, ndef, uid, HOST)
            figures[name].append((time.perf_counter_ns() - started) / 1e6)
            if result.verdict is not want:
                raise AssertionError(f"{name}: {result.verdict} ({result.reason})")
    return figures


def tap_to_verdict_painted(club: DoorClub, samples: int) -> list[float]:
    """Milliseconds from a card inserted on the emulator to the door view's verdict painted, in the real
    window (offscreen): pcscd → PcscBackend → the card manager → the bridge → the door view → its worker
    (verify, decide, durable check-in) → the verdict on screen, repainted. Each admission is undone after its
    clock stopped, so every tap is an ADMIT with its fsync; taps are spread over pcscd's polling phase."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop

    from app.cards.pcsc import PcscBackend
    from app.ui.app import start_window
    from tests.support.pcscd import Pcscd, stack_lock
    from tests.support.type4_emulator import VPCD_PORT, EmulatorProcess

    uid, ndef = club.waiting[-1]
    with stack_lock():
        service = Pcscd()
        service.ensure_running()
        backend = PcscBackend(reader_filter=lambda name: name == tap.READER)
        running = start_window(club.terminal, [backend], lang="fa")
        loop = QEventLoop()
        shown: list[tuple[int, str]] = []

        def painted(verdict: str) -> None:
            running.window.door.repaint()  # paint now, synchronously: the figure includes it
            shown.append((time.monotonic_ns(), verdict))
            loop.quit()

        try:
            with EmulatorProcess(uid, ndef, port=VPCD_PORT) as card:
                running.ctx.session.log_in(HOST)
                running.window.show_door()
                _wait_for(loop, running.window.door_open)
                running.window.door.verdict_shown.connect(painted)
                return [_one_tap(club, running, card, loop, shown) for _ in range(samples)]
        finally:
            running.close()
            service.stop()


def _one_tap(club: DoorClub, running: Any, card: Any, loop: Any, shown: list[tuple[int, str]]) -> float:
    _pause(loop, random.uniform(0, tap.POLL_PHASE_S))  # jitter, not security
    before = len(shown)
    inserted_ns = card.insert()
    deadline = time.monotonic() + tap.EVENT_TIMEOUT_S
    while len(shown) == before:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no verdict within {tap.EVENT_TIMEOUT_S} s")
        _pause(loop, 0.5)  # quits early on the verdict
    at_ns, verdict = shown[-1]
    if verdict != Verdict.ADMIT.value:
        raise RuntimeError(f"the bench guest was not admitted: {verdict}")
    card.remove()
    result = running.window.door.result()
    if result is not None and result.check_in is not None:
        door.undo_admission(club.terminal, club.event.id, result.check_in.entry_id, MANAGER, "bench")
    _pause(loop, 0.5)  # pcscd sees the card gone before the next tap
    return (at_ns - inserted_ns) / 1e6


def _pause(loop: Any, seconds: float) -> None:
    """Run the event loop for `seconds` (or until something quits it): the window works meanwhile. The
    timer is stopped afterwards: a stray single-shot quit would cut a later pause short (and a card put
    back before pcscd saw it go costs a polling cycle)."""
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(int(seconds * 1000))
    loop.exec()
    timer.stop()


def _wait_for(loop: Any, condition: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the door did not open")
        _pause(loop, 0.02)


def summary(name: str, samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        f"{name}_p50_ms": round(percentile(ordered, 50), 2),
        f"{name}_p95_ms": round(percentile(ordered, 95), 2),
    }
