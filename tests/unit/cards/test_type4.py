# SPDX-License-Identifier: GPL-3.0-or-later
"""The Type 4 Tag read and write logic: the exact APDUs exchanged (like nfcpy's driver tests), chunking by
MLe / MLc, every failure as a ReadError, and a fuzz test that no answer makes it raise or loop."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.cards.base import ReadError
from app.cards.type4 import (
    HARD_CAP,
    MAX_READ_APDUS,
    MAX_WRITE_APDUS,
    TagFailure,
    TagRead,
    TagWritten,
    TransmitError,
    read_ndef,
    write_ndef,
)
from tests.support.type4_emulator import Faults, Type4Card

UID = bytes.fromhex("04A1B2C3D4E5F6")
OK = "9000"


def cc(mle: int = 0xFF, mlc: int = 0xFF, file_id: int = 0xE104, size: int = 0x0800, write: int = 0) -> str:
    return (
        struct.pack(">HBHH", 15, 0x20, mle, mlc) + struct.pack(">BBHHBB", 4, 6, file_id, size, 0, write)
    ).hex()


class Script:
    """A transmit that expects exactly these command APDUs, in order, and gives these answers (hex)."""

    def __init__(self, *exchanges: tuple[str, str]) -> None:
        self.exchanges = [(bytes.fromhex(c), bytes.fromhex(r)) for c, r in exchanges]
        self.sent: list[bytes] = []

    def __call__(self, apdu: bytes) -> bytes:
        index = len(self.sent)
        self.sent.append(apdu)
        assert index < len(self.exchanges), f"unexpected extra APDU {apdu.hex().upper()}"
        expected, response = self.exchanges[index]
        assert apdu.hex().upper() == expected.hex().upper(), f"APDU {index + 1}"
        return response

    def done(self) -> bool:
        return len(self.sent) == len(self.exchanges)


def opening(cc_hex: str, file_id: str = "E104") -> list[tuple[str, str]]:
    return [
        ("FFCA000000", UID.hex() + OK),
        ("00A4040007D276000085010100", OK),
        ("00A4000C02E103", OK),
        ("00B000000F", cc_hex + OK),
        ("00A4000C02" + file_id, OK),
    ]


def card_transmit(card: Type4Card):
    """The emulator's card as a transport; its vanishing is what a PC/SC transport reports."""

    def transmit(apdu: bytes) -> bytes:
        response = card.respond(apdu)
        if response is None:
            raise TransmitError(ReadError.REMOVED_MID_READ, "card gone")
        return response

    return transmit


# ---------------------------------------------------------------------- the exact bytes


def test_a_normal_read_sends_exactly_the_type4_apdus() -> None:
    message = bytes(range(20))
    script = Script(*opening(cc()), ("00B0000002", "0014" + OK), ("00B0000214", message.hex() + OK))
    result = read_ndef(script)
    assert result == TagRead(UID, message, apdus=7)
    assert script.done()


def test_the_message_is_read_in_chunks_no_larger_than_mle() -> None:
    message = bytes(i % 251 for i in range(150))
    script = Script(
        *opening(cc(mle=0x3B)),  # DESFire EV1 answers at most 59 bytes
        ("00B0000002", "0096" + OK),
        ("00B000023B", message[0:59].hex() + OK),
        ("00B0003D3B", message[59:118].hex() + OK),
        ("00B0007820", message[118:150].hex() + OK),
    )
    assert read_ndef(script) == TagRead(UID, message, apdus=9)
    assert script.done()


def test_chunks_stay_short_apdus_when_mle_is_larger() -> None:
    message = bytes(300)
    script = Script(
        *opening(cc(mle=0x0100, size=0x1000)),
        ("00B0000002", "012C" + OK),
        ("00B00002FF", message[:255].hex() + OK),
        ("00B001012D", message[255:].hex() + OK),
    )
    assert read_ndef(script) == TagRead(UID, message, apdus=8)


def test_the_ndef_file_is_the_one_the_cc_names() -> None:
    script = Script(
        *opening(cc(file_id=0x0001), file_id="0001"), ("00B0000002", "0001" + OK), ("00B0000201", "AA9000")
    )
    assert read_ndef(script) == TagRead(UID, b"\xaa", apdus=7)


def test_a_write_clears_nlen_then_writes_chunks_of_mlc_then_sets_nlen() -> None:
    message = bytes(range(40))
    script = Script(
        *opening(cc(mlc=0x10)),
        ("00D60000020000", OK),
        ("00D6000210" + message[0:16].hex(), OK),
        ("00D6001210" + message[16:32].hex(), OK),
        ("00D6002208" + message[32:40].hex(), OK),
        ("00D60000020028", OK),
    )
    assert write_ndef(script, message) == TagWritten(UID, apdus=10)
    assert script.done()


# ---------------------------------------------------------------------- against the emulated card


def test_what_is_written_is_read_back() -> None:
    card = Type4Card(UID, b"old message", mlc=0x20)
    message = b"\xd2\x1c\x05application/vnd.bashgah.card" + bytes(range(200))
    written = write_ndef(card_transmit(card), message, expected_uid=UID)
    assert isinstance(written, TagWritten) and written.uid == UID
    assert card.ndef == message
    card.start_session()
    assert read_ndef(card_transmit(card)) == TagRead(UID, message, apdus=7)


def test_a_card_without_uid_support_is_still_read() -> None:
    script = Script(
        ("FFCA000000", "6A81"),  # a contact reader: no UID to give
        *opening(cc())[1:],
        ("00B0000002", "0002" + OK),
        ("00B0000202", "ABCD" + OK),
    )
    assert read_ndef(script) == TagRead(None, b"\xab\xcd", apdus=7)


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(not_ndef=True), ReadError.NOT_NDEF),
        (Faults(truncate_at=1), ReadError.BAD_RESPONSE),  # the UID
        (Faults(truncate_at=4), ReadError.BAD_RESPONSE),  # the CC
        (Faults(truncate_at=6), ReadError.BAD_RESPONSE),  # NLEN
        (Faults(truncate_at=8), ReadError.BAD_RESPONSE),  # the second chunk
        (Faults(bad_sw_at=2), ReadError.BAD_RESPONSE),
        (Faults(bad_sw_at=7), ReadError.BAD_RESPONSE),
        (Faults(vanish_after=5), ReadError.REMOVED_MID_READ),
    ],
)
def test_each_misbehaviour_is_a_read_error(faults: Faults, error: ReadError) -> None:
    card = Type4Card(UID, bytes(400), faults=faults)
    result = read_ndef(card_transmit(card))
    assert isinstance(result, TagFailure)
    assert result.error is error, result.detail
    assert result.apdus == card.apdu_count


def test_a_blank_card_is_not_ndef_and_still_has_its_uid() -> None:
    result = read_ndef(card_transmit(Type4Card(UID, b"")))
    assert isinstance(result, TagFailure)
    assert (result.error, result.uid) == (ReadError.NOT_NDEF, UID)


def test_an_nlen_beyond_the_file_is_a_bad_response() -> None:
    script = Script(*opening(cc(size=0x0100)), ("00B0000002", "0100" + OK))
    result = read_ndef(script)
    assert isinstance(result, TagFailure) and result.error is ReadError.BAD_RESPONSE


def test_a_message_over_the_hard_cap_is_too_large_and_never_read() -> None:
    script = Script(*opening(cc(size=0xFFFE)), ("00B0000002", f"{HARD_CAP:04X}" + OK))
    result = read_ndef(script)
    assert isinstance(result, TagFailure) and result.error is ReadError.TOO_LARGE
    assert script.done()


def test_a_short_chunk_is_a_bad_response() -> None:
    script = Script(*opening(cc()), ("00B0000002", "0010" + OK), ("00B0000210", "00" * 8 + OK))
    result = read_ndef(script)
    assert isinstance(result, TagFailure) and result.error is ReadError.BAD_RESPONSE


@pytest.mark.parametrize(
    ("cc_hex", "error"),
    [
        (cc()[:-2], ReadError.BAD_RESPONSE),  # 14 bytes
        ("000F" + "40" + cc()[6:], ReadError.UNSUPPORTED_CARD),  # mapping version 4.0
        (cc(mle=0x000E), ReadError.BAD_RESPONSE),
        (cc(file_id=0xE103), ReadError.BAD_RESPONSE),
        (cc(size=4), ReadError.BAD_RESPONSE),
        (cc()[:14] + "0608" + cc()[18:], ReadError.UNSUPPORTED_CARD),  # extended NDEF file TLV
    ],
)
def test_a_capability_container_out_of_bounds_is_refused(cc_hex: str, error: ReadError) -> None:
    script = Script(*opening(cc_hex))
    result = read_ndef(script)
    assert isinstance(result, TagFailure) and result.error is error, result


def test_a_transport_error_becomes_its_read_error() -> None:
    def transmit(apdu: bytes) -> bytes:
        raise TransmitError(ReadError.READER_FAILED, "reader unplugged")

    result = read_ndef(transmit)
    assert isinstance(result, TagFailure) and result.error is ReadError.READER_FAILED
    assert result.apdus == 1


def test_a_read_only_card_is_not_written() -> None:
    card = Type4Card(UID, b"keep", read_only=True)
    result = write_ndef(card_transmit(card), b"new")
    assert isinstance(result, TagFailure) and result.error is ReadError.UNSUPPORTED_CARD
    assert card.ndef == b"keep"


def test_a_message_larger_than_the_file_is_not_written() -> None:
    card = Type4Card(UID, b"keep", file_size=64)
    result = write_ndef(card_transmit(card), bytes(63))
    assert isinstance(result, TagFailure) and result.error is ReadError.TOO_LARGE
    assert card.ndef == b"keep"


def test_another_card_than_expected_is_not_written() -> None:
    card = Type4Card(bytes.fromhex("04000000000001"), b"keep")
    result = write_ndef(card_transmit(card), b"new", expected_uid=UID)
    assert isinstance(result, TagFailure) and result.error is ReadError.REMOVED_MID_READ
    assert card.ndef == b"keep"


def test_a_card_pulled_away_mid_write_is_left_empty_not_half_written() -> None:
    card = Type4Card(UID, b"old", mlc=0x10, faults=Faults(vanish_after=8))  # NLEN 0 and one chunk land
    result = write_ndef(card_transmit(card), bytes(range(64)))
    assert isinstance(result, TagFailure) and result.error is ReadError.REMOVED_MID_READ
    assert card.ndef == b""


# ---------------------------------------------------------------------- fuzz


class Replies:
    """A transport answering from a list of arbitrary responses, then with a fallback forever."""

    def __init__(self, responses: list[bytes], fallback: bytes) -> None:
        self.responses, self.fallback, self.count = responses, fallback, 0

    def __call__(self, apdu: bytes) -> bytes:
        self.count += 1
        assert self.count <= MAX_WRITE_APDUS, "unbounded"
        return self.responses[self.count - 1] if self.count <= len(self.responses) else self.fallback


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.binary(max_size=300), max_size=40),
    st.sampled_from([b"", b"\x90\x00", b"\x00" * 255 + b"\x90\x00", b"\x6a\x82"]),
)
def test_any_responses_give_a_result_or_a_read_error(responses: list[bytes], fallback: bytes) -> None:
    transmit = Replies(responses, fallback)
    result = read_ndef(transmit)
    assert isinstance(result, TagRead | TagFailure)
    assert transmit.count <= MAX_READ_APDUS
    assert result.apdus == transmit.count
    if isinstance(result, TagFailure):
        assert isinstance(result.error, ReadError)
    transmit = Replies(responses, fallback)
    assert isinstance(write_ndef(transmit, b"\xd1\x01\x01T"), TagWritten | TagFailure)


valid_cc = st.fixed_dictionaries(
    {
        "cclen": st.sampled_from([0x000F, 0x0017]),
        "version": st.sampled_from([0x10, 0x20, 0x30]),
        "mle": st.one_of(st.sampled_from([0x0F, 0x3B, 0xFF, 0x100]), st.integers(0x0F, 0xFFFF)),
        "mlc": st.integers(1, 0xFFFF),
        "tag": st.just(0x04),
        "length": st.just(0x06),
        "file_id": st.sampled_from([0xE104, 0x0001, 0x1234]),
        "size": st.one_of(st.sampled_from([0x0800, 0xFFFE]), st.integers(5, 0xFFFE)),
        "read": st.just(0x00),
        "write": st.sampled_from([0x00, 0xFF]),
    }
)
broken_cc = st.dictionaries(
    st.sampled_from(["cclen", "version", "mle", "mlc", "tag", "length", "file_id", "size", "read"]),
    st.integers(0, 0xFFFF),
    max_size=2,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    valid=valid_cc,
    broken=st.one_of(st.just({}), broken_cc),
    nlen=st.one_of(st.integers(1, 600), st.integers(0, 0xFFFF)),
    corrupt=st.one_of(st.just({}), st.dictionaries(st.integers(1, 12), st.binary(max_size=20), max_size=2)),
    short_by=st.sampled_from([0, 0, 0, 1, 2]),
)
def test_a_plausible_card_with_any_limits_gives_a_bounded_read(
    valid: dict[str, int], broken: dict[str, int], nlen: int, corrupt: dict[int, bytes], short_by: int
) -> None:
    """A card that answers each command plausibly, but with any CC and NLEN and a few garbled answers."""
    fields = valid | {name: value & (0xFF if name in ("version", "tag", "length", "read") else 0xFFFF)
                      for name, value in broken.items()}  # fmt: skip
    cc_bytes = struct.pack(">HBHH", fields["cclen"], fields["version"], fields["mle"], fields["mlc"])
    cc_bytes += struct.pack(">BBHHBB", fields["tag"], fields["length"], fields["file_id"], fields["size"],
                            fields["read"], fields["write"])  # fmt: skip
    sent: list[bytes] = []

    def transmit(apdu: bytes) -> bytes:
        sent.append(apdu)
        assert len(sent) <= MAX_READ_APDUS, "unbounded"
        if len(sent) in corrupt:
            return corrupt[len(sent)]
        if apdu == bytes.fromhex("FFCA000000"):
            return UID + b"\x90\x00"
        if apdu[1] == 0xA4:
            return b"\x90\x00"
        if apdu == bytes.fromhex("00B000000F"):
            return cc_bytes + b"\x90\x00"
        if apdu == bytes.fromhex("00B0000002"):
            return nlen.to_bytes(2, "big") + b"\x90\x00"
        assert apdu[1] == 0xB0 and len(apdu) == 5
        assert 1 <= apdu[4] <= min(fields["mle"], 255), "a chunk larger than MLe"
        assert int.from_bytes(apdu[2:4], "big") < 0x8000
        return bytes(max(0, apdu[4] - (short_by if len(sent) == 8 else 0))) + b"\x90\x00"

    result = read_ndef(transmit)
    event(result.error if isinstance(result, TagFailure) else "read")  # --hypothesis-show-statistics
    assert isinstance(result, TagRead | TagFailure)
    assert result.apdus == len(sent) <= MAX_READ_APDUS
    if isinstance(result, TagRead):
        assert len(result.ndef) == nlen <= min(fields["size"], HARD_CAP) - 2
