# SPDX-License-Identifier: GPL-3.0-or-later
"""NTAG 424 DNA's secure-messaging crypto against NXP AN12196's worked examples (tests/unit/cards/ntag424/
an12196.py names each table), and the padding's refusals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cards.ntag424.crypto import (
    BLOCK,
    ChipError,
    ChipFailure,
    CommMode,
    SecureChannel,
    SessionKeys,
    cbc_decrypt,
    command_iv,
    crc32_nk,
    mac_t,
    pad,
    response_iv,
    session_keys,
    session_vector,
    unpad,
)
from tests.unit.cards.ntag424 import an12196 as an

B1 = SessionKeys(an.B1_ENC, an.B1_MAC)
B2 = SessionKeys(an.B2_ENC, an.B2_MAC)


def test_session_keys_of_table_14() -> None:
    keys = session_keys(an.ZERO_KEY, an.T14_RND_A, an.T14_RND_B)
    assert (keys.enc, keys.mac) == (an.A_ENC, an.A_MAC)


def test_session_keys_of_table_23() -> None:
    keys = session_keys(an.ZERO_KEY, an.T23_RND_A, an.T23_RND_B)
    assert (keys.enc, keys.mac) == (an.B2_ENC, an.B2_MAC)


def test_session_vector_layout() -> None:
    """SV1 = A5 5A 00 01 00 80 ‖ RndA[15..14] ‖ (RndA[13..8] ⊕ RndB[15..10]) ‖ RndB[9..0] ‖ RndA[7..0]."""
    rnd_a, rnd_b = bytes(range(16)), bytes(range(0x10, 0x20))
    sv1 = session_vector(b"\xa5\x5a", rnd_a, rnd_b)
    assert len(sv1) == 32
    assert sv1[:6] == bytes.fromhex("A55A00010080") and sv1[6:8] == rnd_a[:2]
    assert sv1[8:14] == bytes(a ^ b for a, b in zip(rnd_a[2:8], rnd_b[:6], strict=True))
    assert sv1[14:24] == rnd_b[6:] and sv1[24:] == rnd_a[8:]


def test_command_ivs_of_tables_17_25_26() -> None:
    assert command_iv(an.A_ENC, an.A_TI, 0) == an.T17_IVC
    assert command_iv(an.B2_ENC, an.B_TI, 2) == an.T25_IVC
    assert command_iv(an.B2_ENC, an.B_TI, 3) == an.T26_IVC


def test_response_iv_decrypts_table_28() -> None:
    """The response IV counts the counter up first: GetCardUID at CmdCtr 0 is answered under CmdCtr 1."""
    encrypted = an.T28_RESP[:16]
    plain = cbc_decrypt(an.T28_ENC, response_iv(an.T28_ENC, an.T28_TI, 1), encrypted)
    assert plain == an.T28_UID + b"\x80" + bytes(8)


def test_mac_truncation_of_table_7() -> None:
    """MACt over INS ‖ CmdCtr ‖ TI ‖ header: the odd-numbered bytes of the CMAC."""
    assert mac_t(an.T7_MAC_KEY, bytes.fromhex("F50000") + an.T7_TI + b"\x02") == an.T7_CMD[6:14]


def test_crc32nk_of_table_25() -> None:
    assert crc32_nk(an.T25_NEW_KEY) == an.T25_CRC


@pytest.mark.parametrize(
    "case",
    [
        (SessionKeys(an.A_ENC, an.A_MAC), an.A_TI, 0, 0x8D, an.T17_CMD[5:12], an.T17_DATA, an.T17_CMD),
        (SessionKeys(an.A_ENC, an.A_MAC), an.A_TI, 1, 0x5F, b"\x02", an.T18_SETTINGS, an.T18_CMD),
        (B1, an.B_TI, 0, 0x8D, bytes.fromhex("030000000A0000"), an.T21_DATA, an.T21_CMD),
        (B2, an.B_TI, 2, 0xC4, b"\x02", an.T25_NEW_KEY + b"\x01" + an.T25_CRC, an.T25_CMD),
        (B2, an.B_TI, 3, 0xC4, b"\x00", an.T26_NEW_KEY + b"\x01", an.T26_CMD),
        (SessionKeys(an.T28_ENC, an.T28_MAC), an.T28_TI, 0, 0x51, b"", b"", an.T28_CMD),
    ],
    ids=["table17-writedata", "table18-changefilesettings", "table21-writedata", "table25-changekey2",
         "table26-changekey0", "table28-getcarduid"],
)  # fmt: skip
def test_full_mode_commands(case: tuple) -> None:
    keys, ti, counter, ins, header, data, expected = case
    assert SecureChannel(keys, ti, counter).command(ins, header, data, CommMode.FULL) == expected


def test_mac_mode_command_of_table_7() -> None:
    channel = SecureChannel(SessionKeys(bytes(16), an.T7_MAC_KEY), an.T7_TI)
    assert channel.command(0xF5, b"\x02", b"", CommMode.MAC) == an.T7_CMD


def test_plain_command_of_table_24() -> None:
    channel = SecureChannel(B2, an.B_TI, 1)
    assert channel.command(0x8D, bytes.fromhex("010E0000120000"), an.T24_DATA, CommMode.PLAIN) == an.T24_CMD


@pytest.mark.parametrize(
    "case",
    [
        (SessionKeys(bytes(16), an.T7_MAC_KEY), an.T7_TI, 0, an.T7_RESP, CommMode.MAC, an.T7_DATA),
        (SessionKeys(an.A_ENC, an.A_MAC), an.A_TI, 0, an.T17_RESP, CommMode.MAC, b""),
        (SessionKeys(an.A_ENC, an.A_MAC), an.A_TI, 1, an.T18_RESP, CommMode.MAC, b""),
        (B1, an.B_TI, 0, an.T21_RESP, CommMode.FULL, b""),
        (B2, an.B_TI, 2, an.T25_RESP, CommMode.MAC, b""),
        (SessionKeys(an.T28_ENC, an.T28_MAC), an.T28_TI, 0, an.T28_RESP, CommMode.FULL, an.T28_UID),
    ],
    ids=["table7", "table17", "table18", "table21", "table25", "table28"],
)
def test_responses_check_and_decrypt(case: tuple) -> None:
    keys, ti, counter, answer, mode, plain = case
    channel = SecureChannel(keys, ti, counter)
    assert channel.response(answer[:-2], 0x9100, mode, "test") == plain
    assert channel.counter == counter + 1


def test_a_response_mac_off_by_one_bit_is_refused() -> None:
    answer = bytearray(an.T28_RESP[:-2])
    answer[-1] ^= 0x01
    channel = SecureChannel(SessionKeys(an.T28_ENC, an.T28_MAC), an.T28_TI)
    with pytest.raises(ChipError) as refused:
        channel.response(bytes(answer), 0x9100, CommMode.FULL, "GetCardUID")
    assert refused.value.reason == ChipFailure.BAD_MAC


def test_a_replayed_response_is_refused_at_the_next_counter() -> None:
    """An answer recorded at one CmdCtr does not pass at another: the counter is in its MAC."""
    channel = SecureChannel(SessionKeys(an.T28_ENC, an.T28_MAC), an.T28_TI, counter=1)
    with pytest.raises(ChipError) as refused:
        channel.response(an.T28_RESP[:-2], 0x9100, CommMode.FULL, "GetCardUID")
    assert refused.value.reason == ChipFailure.BAD_MAC


def test_padding_is_iso9797_method_2() -> None:
    assert pad(b"") == b"\x80" + bytes(15)
    assert pad(bytes(15)) == bytes(15) + b"\x80"
    assert pad(bytes(16)) == bytes(16) + b"\x80" + bytes(15)
    assert unpad(an.T28_UID + b"\x80" + bytes(8)) == an.T28_UID


@pytest.mark.parametrize(
    "padded",
    [b"", bytes(16), bytes(15) + b"\x81", b"\x80" + bytes(16 + 15), bytes(17), b"\x01" * 16],
    ids=["empty", "zeros", "81", "a-whole-block-of-zeros-after-80", "not-blocks", "no-80"],
)
def test_unpad_refuses_with_a_typed_error(padded: bytes) -> None:
    with pytest.raises(ChipError) as refused:
        unpad(padded)
    assert refused.value.reason == ChipFailure.BAD_PADDING


@settings(max_examples=100)
@given(st.binary(max_size=80))
def test_pad_then_unpad_round_trips(data: bytes) -> None:
    padded = pad(data)
    assert len(padded) % BLOCK == 0 and len(padded) > len(data)
    assert unpad(padded) == data


@settings(max_examples=100)
@given(st.binary(max_size=64))
def test_unpad_raises_nothing_but_chip_error(data: bytes) -> None:
    try:
        unpad(data)
    except ChipError as error:
        assert error.reason == ChipFailure.BAD_PADDING


def test_session_keys_never_show_in_a_repr() -> None:
    keys = SessionKeys(an.A_ENC, an.A_MAC)
    shown = repr(keys) + repr(SecureChannel(keys, an.A_TI))
    assert an.A_ENC.hex() not in shown.lower() and an.A_MAC.hex() not in shown.lower()
