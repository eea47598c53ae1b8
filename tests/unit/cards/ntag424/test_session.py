# SPDX-License-Identifier: GPL-3.0-or-later
"""The NTAG 424 DNA session over a transport: AN12196's recorded exchanges replayed APDU for APDU, and a fuzz
test that no card answer makes it raise anything but ChipError."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cards.base import ReadError
from app.cards.ntag424.crypto import ChipError, ChipFailure, CommMode, SecureChannel, SessionKeys
from app.cards.ntag424.session import Ntag424Session
from app.cards.type4 import TransmitError
from tests.unit.cards.ntag424 import an12196 as an
from tests.unit.cards.ntag424.chip import Chip, Script

UID = bytes.fromhex("04A1B2C3D4E5F6")


def test_session_a_of_an12196_replayed() -> None:
    """Table 14 (authenticate with key 0), Table 17 (WriteData in Full), Table 18 (ChangeFileSettings)."""
    script = Script(
        (an.T14_CMD1, an.T14_RESP1),
        (an.T14_CMD2, an.T14_RESP2),
        (an.T17_CMD, an.T17_RESP),
        (an.T18_CMD, an.T18_RESP),
    )
    session = Ntag424Session(script)
    session.authenticate_ev2_first(0, an.ZERO_KEY, an.T14_RND_A)
    session.write_data(2, 0, an.T17_DATA, CommMode.FULL)
    session.change_file_settings(2, an.T18_SETTINGS)
    assert script.done() and session.authenticated


def test_session_b_of_an12196_replayed() -> None:
    """Table 22 (SELECT), Table 19 (authenticate with key 3), Table 21 (WriteData in Full)."""
    script = Script(
        (an.T22_CMD, bytes.fromhex("9000")),
        (an.T19_CMD1, an.T19_RESP1),
        (an.T19_CMD2, an.T19_RESP2),
        (an.T21_CMD, an.T21_RESP),
    )
    session = Ntag424Session(script)
    session.select_application()
    session.authenticate_ev2_first(3, an.ZERO_KEY, an.T19_RND_A)
    session.write_data(3, 0, an.T21_DATA, CommMode.FULL)
    assert script.done()


def test_change_keys_of_an12196_replayed() -> None:
    """After Table 23's AuthenticateEV2NonFirst with key 0 (CmdCtr 1): Table 24 (WriteData in Plain),
    Table 25 (ChangeKey 2, answered with a MAC), Table 26 (ChangeKey 0: a bare 91 00, the session ends)."""
    script = Script((an.T24_CMD, an.T24_RESP), (an.T25_CMD, an.T25_RESP), (an.T26_CMD, an.T26_RESP))
    channel = SecureChannel(SessionKeys(an.B2_ENC, an.B2_MAC), an.B_TI, counter=1)
    session = Ntag424Session.resumed(script, channel, key_no=0)
    session.write_data(1, 0x0E, an.T24_DATA, CommMode.PLAIN)
    session.change_key(2, an.T25_NEW_KEY, 0x01, old_key=an.ZERO_KEY)
    session.change_key(0, an.T26_NEW_KEY, 0x01)
    assert script.done() and not session.authenticated


def test_get_card_uid_of_an12196_replayed() -> None:
    script = Script((an.T28_CMD, an.T28_RESP))
    channel = SecureChannel(SessionKeys(an.T28_ENC, an.T28_MAC), an.T28_TI)
    assert Ntag424Session.resumed(script, channel, key_no=0).get_card_uid() == an.T28_UID


def test_a_card_without_the_key_fails_authentication() -> None:
    """The card's own answer 91 AE to part 2: it could not decrypt our RndB' with its key."""
    chip = Chip(UID, keys=[bytes(range(16))] * 5)
    with pytest.raises(ChipError) as refused:
        Ntag424Session(chip).authenticate_ev2_first(1, bytes(16))
    assert refused.value.reason == ChipFailure.AUTH_FAILED


def test_a_card_answering_a_wrong_rnd_a_fails_authentication() -> None:
    """A clone that says 91 00 to anything: its 'RndA′' is not ours."""
    script = Script((an.T14_CMD1, an.T14_RESP1), (an.T14_CMD2, an.T19_RESP2))
    with pytest.raises(ChipError) as refused:
        Ntag424Session(script).authenticate_ev2_first(0, an.ZERO_KEY, an.T14_RND_A)
    assert refused.value.reason == ChipFailure.AUTH_FAILED


def test_version_read_sig_and_uid_from_a_chip() -> None:
    chip = Chip(UID, signature=bytes(range(56)))
    session = Ntag424Session(chip)
    session.select_application()
    assert session.get_version().uid == UID
    assert session.read_sig() == bytes(range(56))  # plain
    session.authenticate_ev2_first(1, bytes(16))
    assert session.read_sig() == bytes(range(56))  # Full, in the session
    assert session.get_card_uid() == UID


def test_commands_needing_a_session_refuse_without_one() -> None:
    session = Ntag424Session(Chip(UID))
    for command in (session.get_card_uid, session.get_file_counters):
        with pytest.raises(ChipError) as refused:
            command()
        assert refused.value.reason == ChipFailure.NO_SESSION
    with pytest.raises(ChipError):
        session.change_key(1, bytes(16), 1, old_key=bytes(16))


def test_a_transport_failure_passes_through() -> None:
    with pytest.raises(TransmitError) as failed:
        Ntag424Session(Chip(UID, vanish_at=2)).get_version()
    assert failed.value.error == ReadError.REMOVED_MID_READ


def test_after_a_refused_answer_the_session_is_dropped() -> None:
    chip = Chip(UID)
    session = Ntag424Session(chip)
    session.authenticate_ev2_first(0, bytes(16))
    with pytest.raises(ChipError):
        session.get_file_counters()  # this chip has no SDM: 91 9D
    assert not session.authenticated


# ---------------------------------------------------------------------- fuzzing the card's answers

_STATUS = st.sampled_from([b"\x91\x00", b"\x91\xaf", b"\x91\x90", b"\x90\x00", b"\x91\xae", b"\x91\x1e"])
_ANSWER = st.one_of(
    st.binary(max_size=80),
    st.tuples(st.binary(min_size=0, max_size=72), _STATUS).map(lambda t: t[0] + t[1]),
    st.tuples(st.sampled_from([0, 7, 8, 14, 15, 16, 24, 32, 56, 64, 72]), _STATUS).map(
        lambda t: bytes(t[0]) + t[1]
    ),
)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ANSWER, min_size=1, max_size=12))
def test_no_card_answer_raises_anything_but_chip_error(answers: list[bytes]) -> None:
    """Every command against a card answering garbage: ChipError or a result, never another exception."""
    queue = iter(answers)

    def transmit(_apdu: bytes) -> bytes:
        return next(queue, b"\x91\x00")

    session = Ntag424Session(transmit)
    for step in (
        session.select_application,
        session.get_version,
        session.read_sig,
        lambda: session.authenticate_ev2_first(1, bytes(16)),
        session.read_sig,
        session.get_card_uid,
        session.get_file_counters,
        lambda: session.change_key(1, bytes(16), 1, old_key=bytes(16)),
        lambda: session.change_file_settings(2, b"\x00\x00\xe0"),
        lambda: session.write_data(2, 0, b"x" * 20, CommMode.FULL),
        lambda: session.change_key(1, bytes(16), 1),
    ):
        try:
            step()
        except ChipError as error:
            assert isinstance(error.reason, ChipFailure)
        except ValueError as error:  # our own precondition: ChangeKey of another key without its old key
            assert "old key" in str(error)


_MUTATION = st.one_of(
    st.just(("keep", 0, 0)),
    st.tuples(st.just("flip"), st.integers(0, 200), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 200), st.just(0)),
    st.tuples(st.just("extend"), st.integers(1, 20), st.integers(0, 255)),
    st.tuples(st.just("status"), st.integers(0, 0xFFFF), st.just(0)),
)


def _mutate(answer: bytes, mutation: tuple[str, int, int]) -> bytes:
    kind, a, b = mutation
    if kind == "flip" and answer:
        index = a % len(answer)
        return answer[:index] + bytes([answer[index] ^ b]) + answer[index + 1 :]
    if kind == "truncate":
        return answer[: a % (len(answer) + 1)]
    if kind == "extend":
        return answer[:-2] + bytes([b]) * a + answer[-2:]
    if kind == "status":
        return answer[:-2] + a.to_bytes(2, "big")
    return answer


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MUTATION, min_size=8, max_size=8))
def test_a_genuine_sessions_answers_altered_are_refused_or_unchanged(mutations: list) -> None:
    """A real session whose answers are altered (a bit, a cut, extra bytes, another status word): each
    command returns the chip's own value or raises ChipError, never anything else, and inside the session
    (MAC'd answers) never a wrong value. (Read_Sig outside a session is plain: the signature check is what
    catches an altered one.)"""
    chip = Chip(UID, signature=bytes(range(56)))
    queue = iter(mutations)

    def transmit(apdu: bytes) -> bytes:
        return _mutate(chip(apdu), next(queue, ("keep", 0, 0)))

    session = Ntag424Session(transmit)
    results = {}
    for name, step in (
        ("select", session.select_application),
        ("auth", lambda: session.authenticate_ev2_first(0, bytes(16))),
        ("sig", session.read_sig),
        ("uid", session.get_card_uid),
        ("settings", lambda: session.change_file_settings(2, b"\x00\xe0\xee")),
        ("key", lambda: session.change_key(1, bytes(range(16)), 1, old_key=bytes(16))),
    ):
        try:
            results[name] = step()
        except ChipError:
            results[name] = "refused"
    if results["auth"] != "refused":
        assert results["sig"] in (bytes(range(56)), "refused")
    assert results["uid"] in (UID, "refused")


def test_get_version_of_a_real_ntag424() -> None:
    """A genuine NTAG 424 DNA's GetVersion as logged by NXP's sample app and posted on NXP's community
    forum ("NTagJavaSamleApp: NTAG424 not supported", 2023): hardware 04 04 08 30 00 11 05."""
    script = Script(
        (bytes.fromhex("9060000000"), bytes.fromhex("0404083000110591AF")),
        (bytes.fromhex("90AF000000"), bytes.fromhex("0404020102110591AF")),
        (bytes.fromhex("90AF000000"), bytes.fromhex("04873D2AAA6180CD6594511039189100")),
    )
    version = Ntag424Session(script).get_version()
    assert version.is_ntag424 and version.uid == bytes.fromhex("04873D2AAA6180")


def test_get_version_of_another_chip_is_refused() -> None:
    """A DESFire EV2 (type 01) answers GetVersion too: it is not the club's card."""
    script = Script(
        (bytes.fromhex("9060000000"), bytes.fromhex("0401011200160591AF")),
        (bytes.fromhex("90AF000000"), bytes.fromhex("0401010200160591AF")),
        (bytes.fromhex("90AF000000"), bytes.fromhex("04873D2AAA6180CD6594511039189100")),
    )
    with pytest.raises(ChipError) as refused:
        Ntag424Session(script).get_version()
    assert refused.value.reason == ChipFailure.NOT_NTAG424
