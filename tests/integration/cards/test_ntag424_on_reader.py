# SPDX-License-Identifier: GPL-3.0-or-later
"""The NTAG 424 DNA emulator through the real stack: pyscard → libpcsclite → pcscd → vpcd → the emulated
chip. The Type 4 NDEF read of our PC/SC backend gets its payload as from any Type 4 tag; a raw AES challenge
over pyscard (the minimal PCD of tests/support/ntag424_pcd.py, written from AN12196) passes with the right
key, fails with a wrong one and fails on a magic clone; a tear cuts the card off and it comes back as the
tear left it; the emulator also runs as a child process.

pcscd is started by the `pcscd` fixture when none runs (CI=true: fails rather than skips without it). Every
wait has a timeout of a few seconds and none is a fixed sleep.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.cards.base import CardEventKind
from app.cards.pcsc import PcscBackend
from tests.support import ntag424_pcd as pcd
from tests.support.ntag424_emulator import Ntag424Card, Ntag424EmulatorProcess
from tests.support.ntag424_originality import TEST_PUBLIC_KEY, verify_uid
from tests.support.pcscd import Pcscd, pcscd_fixture, wait_until_readers_empty  # noqa: F401  (the fixture)
from tests.support.type4_emulator import VPCD_PORT, CardEmulator, kill_stale_emulators

READER = "Virtual PCD 00 00"
UID = bytes.fromhex("04C0FFEE424242")
NDEF = bytes.fromhex("D1010A5402656E68656C6C6F2121")
MASTER, READ_KEY = bytes.fromhex("11" * 16), bytes.fromhex("00112233445566778899AABBCCDDEEFF")
WAIT_S = 5.0


@pytest.fixture
def slot(pcscd: Pcscd) -> Iterator[list[CardEmulator]]:
    """Reader 00 00, empty before and after the test; the test appends the emulators it inserts."""
    kill_stale_emulators(VPCD_PORT)
    wait_until_readers_empty((READER,))
    inserted: list[CardEmulator] = []
    yield inserted
    for emulator in inserted:
        emulator.remove()
    wait_until_readers_empty((READER,))


def put(slot: list[CardEmulator], card: Ntag424Card) -> CardEmulator:
    emulator = CardEmulator(card, port=VPCD_PORT)
    emulator.insert()
    slot.append(emulator)
    return emulator


class Connection:
    """A raw pyscard connection to the card on READER, once pcscd has seen it."""

    def __init__(self) -> None:
        from smartcard import scard

        self._scard = scard
        hresult, self._context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert hresult == scard.SCARD_S_SUCCESS
        self._wait_present()
        hresult, self._card, self._protocol = scard.SCardConnect(
            self._context, READER, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)

    def _wait_present(self) -> None:
        scard = self._scard
        states = [(READER, scard.SCARD_STATE_UNAWARE)]
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            hresult, found = scard.SCardGetStatusChange(self._context, 200, states)
            if hresult == scard.SCARD_S_SUCCESS and found[0][1] & scard.SCARD_STATE_PRESENT:
                return
            if hresult == scard.SCARD_S_SUCCESS:
                states = [(READER, found[0][1] & ~scard.SCARD_STATE_CHANGED)]
        raise AssertionError(f"pcscd did not see a card on {READER} within {WAIT_S} s")

    def transmit(self, apdu: bytes) -> bytes:
        hresult, response = self._scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if hresult != self._scard.SCARD_S_SUCCESS:
            raise ConnectionError(self._scard.SCardGetErrorMessage(hresult))
        return bytes(response)

    def close(self) -> None:
        if self._context is None:
            return
        self._scard.SCardDisconnect(self._card, self._scard.SCARD_LEAVE_CARD)
        self._scard.SCardReleaseContext(self._context)
        self._context = None


@pytest.fixture
def connect() -> Iterator[type[Connection]]:
    opened: list[Connection] = []

    class Opened(Connection):
        def __init__(self) -> None:
            super().__init__()
            opened.append(self)

    yield Opened
    for connection in opened:
        connection.close()


def select_application(connection: Connection) -> None:
    assert connection.transmit(bytes.fromhex("00A4040007D276000085010100")) == b"\x90\x00"


# ---------------------------------------------------------------------- the tests


def test_the_pcsc_backend_reads_the_ndef_message_of_an_ntag_424(slot: list[CardEmulator]) -> None:
    backend = PcscBackend(retry_s=0.2, reader_filter=lambda name: name == READER)
    try:
        put(slot, Ntag424Card.club_card(UID, NDEF, {0: MASTER, 1: READ_KEY}))
        deadline = time.monotonic() + WAIT_S
        tapped = None
        while tapped is None and time.monotonic() < deadline:
            tapped = next((e for e in backend.poll(100) if e.kind is CardEventKind.TAPPED), None)
        assert tapped is not None, "no tap within the time"
        assert (tapped.uid, tapped.ndef) == (UID, NDEF)
    finally:
        backend.close()


def test_the_aes_challenge_over_pyscard(slot: list[CardEmulator], connect: type[Connection]) -> None:
    card = Ntag424Card.club_card(UID, NDEF, {0: MASTER, 1: READ_KEY})
    put(slot, card)
    connection = connect()
    select_application(connection)
    session = pcd.authenticate(connection.transmit, 1, READ_KEY)
    assert pcd.command(connection.transmit, session, 0x51) == UID  # GetCardUID, CommMode.Full
    signature = pcd.command(connection.transmit, session, 0x3C, b"\x00")  # Read_Sig, Full
    assert verify_uid(UID, signature, TEST_PUBLIC_KEY)
    with pytest.raises(pcd.PcdError) as wrong:
        pcd.authenticate(connection.transmit, 1, bytes(16))  # the factory key: not this card's any more
    assert wrong.value.status == b"\x91\xae"


@pytest.mark.parametrize("challenge", ["wrong_key", "refuse"])
def test_a_magic_clone_fails_the_challenge(
    slot: list[CardEmulator], connect: type[Connection], challenge: str
) -> None:
    genuine = Ntag424Card.club_card(UID, NDEF, {0: MASTER, 1: READ_KEY})
    put(slot, Ntag424Card.magic_clone(UID, NDEF, challenge=challenge, signature=genuine.signature))
    connection = connect()
    assert connection.transmit(bytes.fromhex("FFCA000000")) == UID + b"\x90\x00"
    select_application(connection)
    signature, status = pcd.exchange(connection.transmit, 0x3C, b"\x00")
    assert (signature, status) == (genuine.signature, b"\x91\x00")  # a copied signature passes: no defence
    with pytest.raises(pcd.PcdError) as failed:
        pcd.authenticate(connection.transmit, 1, READ_KEY)
    assert failed.value.status == (b"\x91\xae" if challenge == "wrong_key" else b"\x91\x1c")


def test_a_tear_cuts_the_card_off_and_it_keeps_what_it_had(
    slot: list[CardEmulator], connect: type[Connection]
) -> None:
    card = Ntag424Card.factory(UID, NDEF)
    emulator = put(slot, card)
    connection = connect()
    select_application(connection)
    session = pcd.authenticate(connection.transmit, 0, bytes(16))
    card.tear_after(1, committed=True)
    with pytest.raises((ConnectionError, pcd.PcdError)):
        pcd.change_key(connection.transmit, session, 0, MASTER, 1, bytes(16))
    assert emulator.vanished.wait(WAIT_S)
    connection.close()
    slot.remove(emulator)
    emulator.remove()
    wait_until_readers_empty((READER,))
    put(slot, card)  # the same chip back on the reader: the key change took effect whole
    connection = connect()
    select_application(connection)
    pcd.authenticate(connection.transmit, 0, MASTER)


def test_the_emulator_runs_as_a_child_process(pcscd: Pcscd, connect: type[Connection]) -> None:
    kill_stale_emulators(VPCD_PORT)
    wait_until_readers_empty((READER,))
    args = ("--key", f"0:{MASTER.hex()}", "--key", f"1:{READ_KEY.hex()}")
    with Ntag424EmulatorProcess(UID, NDEF, port=VPCD_PORT, extra_args=args) as child:
        child.insert()
        connection = connect()
        select_application(connection)
        session = pcd.authenticate(connection.transmit, 1, READ_KEY)
        assert pcd.command(connection.transmit, session, 0x51) == UID
        connection.close()
        child.remove()
    wait_until_readers_empty((READER,))
