# SPDX-License-Identifier: GPL-3.0-or-later
"""Issuing a chip-keyed card on a real reader stack: pyscard → pcscd → vpcd → a factory-fresh NTAG 424 DNA
(the emulator), through the terminal's own services (app.services.cards.write_card_on_reader) with the
branch's keys as the sync client stores them (sealed for this terminal's wrap key).

The issued card is then tapped and is fully valid, its chip having answered the challenge; a card pulled
away at a step of issuing ends in words and the next attempt finishes it; a card that is not factory-fresh
is refused and left as it was; a plain Type 4 card gets a card of before chip keys, unless the club has
retired those.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cards.backends import make_backends
from app.cards.base import CardEvent, CardEventKind
from app.cards.manager import CardManager
from app.cards.ntag424 import keys
from app.domain.errors import ClubError
from app.services.cards import identify_event, write_card_on_reader
from app.services.chip_keys import ChipKeys, chip_reading, ensure_wrap_key
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key
from app.services.terminal import Terminal
from app.store import chip_keys, club, outbox, sync_state
from sync.protocol import CardTapItem, b64encode
from tests.support.club import BRANCH_1, DEVICE_1, MANAGER, make_club
from tests.support.ntag424_emulator import Ntag424Card
from tests.support.ntag424_originality import TEST_PUBLIC_KEY_BYTES
from tests.support.pcscd import Pcscd, pcscd_fixture, wait_until_readers_empty  # noqa: F401  (the fixture)
from tests.support.type4_emulator import VPCD_PORT, CardEmulator, Type4Card, kill_stale_emulators

READER = "Virtual PCD 00 00"
UID = bytes.fromhex("04D1D2D3D4D5D6")
ROOT = bytes(range(100, 132))
WAIT_S = 5.0


def hold_branch_keys(terminal: Terminal) -> ChipKeys:
    """The branch's read and write keys as GET /v1/chip-keys gives an issuing terminal, stored sealed."""
    public = ensure_wrap_key(terminal.data_dir)
    held = [
        chip_keys.WrappedChipKey(
            BRANCH_1, 1, role,
            b64encode(keys.wrap_key(keys.branch_key(ROOT, BRANCH_1, 1, role), public,
                                    keys.KeyIdentity(DEVICE_1, BRANCH_1, 1, role))),
            1_000,
        )
        for role in keys.ROLES
    ]  # fmt: skip
    with terminal.db.write() as conn:
        sync_state.put(conn, sync_state.DEVICE_ID, DEVICE_1)
        sync_state.put(conn, sync_state.BRANCH_ID, BRANCH_1)
        chip_keys.replace_all(conn, held, 1, at_us=2_000)
    return ChipKeys.for_terminal(terminal)


@pytest.fixture
def till(tmp_path: Path, pcscd: Pcscd, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    monkeypatch.setenv("BASHGAH_EXTRA_ORIGINALITY_KEYS", TEST_PUBLIC_KEY_BYTES.hex())  # emulated chips' maker
    monkeypatch.setenv("BASHGAH_WRAP_KEY_STORE", "file")
    kill_stale_emulators(VPCD_PORT)
    wait_until_readers_empty((READER,))
    terminal = make_club(tmp_path / "till")
    create_issuing_key(terminal, 1)
    member = enroll_member(terminal, EnrollRequest(name="Neda Rahimi", phone="09121112233")).member
    chip = hold_branch_keys(terminal)
    manager = CardManager(make_backends("pcsc", chip=chip_reading(chip)))
    manager.start()
    inserted: list[CardEmulator] = []
    yield terminal, member, chip, manager, inserted
    manager.stop()
    for emulator in inserted:
        emulator.remove()
    wait_until_readers_empty((READER,))


def put(till: tuple, card: Type4Card) -> CardEvent:
    """Put `card` on the reader and return the tap the terminal saw."""
    *_, manager, inserted = till
    events = manager.subscribe()
    emulator = CardEmulator(card, port=VPCD_PORT)
    emulator.insert()
    inserted.append(emulator)
    return next_tap(events)


def next_tap(events: queue.Queue[CardEvent]) -> CardEvent:
    deadline = time.monotonic() + WAIT_S
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            break
        if event.kind in (CardEventKind.TAPPED, CardEventKind.READ_FAILED):
            return event
    raise AssertionError("no tap within the time")


def take_off(till: tuple) -> None:
    *_, inserted = till
    while inserted:
        inserted.pop().remove()
    wait_until_readers_empty((READER,))


def issue(till: tuple, event: CardEvent):
    terminal, member, chip, manager, _ = till
    return write_card_on_reader(
        terminal, manager, event, member.id, staff=MANAGER, timeout_s=5, chip_keys=chip
    )


def test_a_factory_fresh_card_is_issued_chip_keyed_and_proves_itself_at_the_next_tap(till) -> None:
    card = Ntag424Card.factory(UID)
    prepared = issue(till, put(till, card))
    assert keys.key_ref_from_ndef(prepared.ndef) == keys.KeyRef(BRANCH_1, 1)
    assert card.keys[keys.READ_KEY_NO] == keys.card_key(keys.branch_key(ROOT, BRANCH_1, 1, "read"), UID, 1)
    assert bytes(16) not in card.keys  # no key left at the factory's zeros
    take_off(till)
    tapped = put(till, card)
    result = identify_event(till[0], tapped)
    assert result is not None and result.verdict.valid and not result.verdict.earn_only
    assert "challenge" in result.verdict.checks and result.card_number == prepared.card.number


def test_an_issued_card_s_taps_carry_its_rising_read_counter_to_the_server(till) -> None:
    """The SDM read counter the issued card has on reaches the card_tap items the server compares: a clone
    keyed with a stolen terminal's read key would count on its own and be caught going backwards."""
    card = Ntag424Card.factory(UID)
    issue(till, put(till, card))
    counters = []
    for _tap in range(2):
        take_off(till)
        tapped = put(till, card)
        assert tapped.chip is not None and tapped.chip.challenge == "passed"
        result = identify_event(till[0], tapped)
        assert result is not None and result.verdict.valid
        counters.append(tapped.chip.read_counter)
    assert counters[0] is not None and counters[1] == counters[0] + 1 == card.sdm_read_counter
    with till[0].db.read() as conn:
        items = [CardTapItem.model_validate_json(i.body) for i in outbox.pending(conn, (outbox.CARD_TAP,))]
    assert [item.read_counter for item in items][-2:] == counters


@pytest.mark.parametrize("step", [1, 2, 4, 6])  # the NDEF write, the file's lock, a spare key, key 0
@pytest.mark.parametrize("committed", [False, True])
def test_a_card_pulled_away_mid_issue_is_said_so_and_the_next_attempt_finishes_it(
    till, step, committed
) -> None:
    card = Ntag424Card.factory(UID)
    event = put(till, card)
    card.tear_after(step, committed=committed)
    with pytest.raises(ClubError, match=r"card_chip_interrupted|card_write_failed"):
        issue(till, event)
    take_off(till)
    prepared = issue(till, put(till, card))
    take_off(till)
    result = identify_event(till[0], put(till, card))
    assert result is not None and result.verdict.valid and "challenge" in result.verdict.checks
    assert result.card_number == prepared.card.number


def test_a_card_keyed_by_someone_else_is_refused_and_left_as_it_was(till) -> None:
    foreign = Ntag424Card.club_card(UID, b"", keys={0: bytes(range(16)), 1: bytes(range(1, 17))})
    before = list(foreign.keys)
    with pytest.raises(ClubError, match="card_chip_not_fresh"):
        issue(till, put(till, foreign))
    assert foreign.keys == before


def test_a_plain_type_4_card_gets_an_old_card_unless_the_club_retired_them(till) -> None:
    terminal = till[0]
    prepared = issue(till, put(till, Type4Card(UID, b"")))
    assert keys.key_ref_from_ndef(prepared.ndef) is None  # a card of before chip keys
    take_off(till)
    with terminal.db.write() as conn:
        club.put_setting(conn, "card_old_cards", "refuse")
    with pytest.raises(ClubError, match="card_chip_required"):
        issue(till, put(till, Type4Card(bytes.fromhex("04D1D2D3D4D5D7"), b"")))
