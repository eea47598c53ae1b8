# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading Type 2 and Type 4 tags through the nfc backend, with recorded exchanges.

nfcpy cannot emulate Type 2 or Type 4 tags (HARNESS.md), so, as nfcpy's own tests do, `exchange` (and `sense`
where activation re-senses) is patched on an unopened ContactlessFrontend and the tag is activated with
`nfc.tag.activate(clf, RemoteTarget("106A"))`. The exchanges asserted are the exact bytes a reader sends.
"""

from __future__ import annotations

import errno
from unittest import mock

import ndef
import nfc
import nfc.clf
import nfc.tag
import nfc.tag.tt2_nxp
import nfc.tag.tt4
import pytest

from app.cards.base import CardEventKind, ReadError
from app.cards.nfc import NfcBackend, exchange_limit, ndef_structure_error, read_tag, target_id
from tests.support.reader_contract import NDEF, UID


def HEX(s: str) -> bytearray:  # noqa: N802  (nfcpy's tests' helper name, kept for recognisability)
    return bytearray.fromhex(s)


TIMEOUT = nfc.clf.TimeoutError


def unopened_frontend(responses) -> nfc.ContactlessFrontend:
    """A ContactlessFrontend with no device whose `exchange` answers `responses` (a list or a function)."""
    clf = nfc.ContactlessFrontend()
    clf.exchange = mock.Mock(side_effect=responses)
    clf.sense = mock.Mock(side_effect=lambda *targets, **options: targets[0])
    return clf


def commands(clf) -> list[str]:
    return [bytes(c.args[0]).hex() for c in clf.exchange.mock_calls]


# --- NDEF framing -----------------------------------------------------------------------------------------


def test_well_formed_messages_pass_the_framing_check():
    long_record = ndef.Record("application/vnd.bashgah.card", "id-1", bytes(300))  # SR=0, IL=1
    two = b"".join(ndef.message_encoder([long_record, ndef.UriRecord("https://example.com")]))
    assert ndef_structure_error(NDEF) is None
    assert ndef_structure_error(two) is None
    assert ndef_structure_error(bytes.fromhex("d00000")) is None  # one empty record


@pytest.mark.parametrize(
    ("octets", "problem"),
    [
        (b"", "truncated record header"),
        (b"\xd2\x1c", "truncated record header"),
        (b"\x12\x01\x00T", "message begin flag wrong"),
        (bytes.fromhex("d7 01 00 54"), "reserved TNF"),
        (NDEF[:-1], "record longer than the message"),
        (NDEF + b"\x00", "bytes after the last record"),
        (bytes.fromhex("92 01 00 54") + bytes.fromhex("92 01 00 54"), "message begin flag wrong"),
        (bytes.fromhex("c2 01 00 00 00"), "truncated record header"),  # long record cut in its length
    ],
)
def test_broken_framing_is_named(octets, problem):
    assert ndef_structure_error(octets) == problem


# --- Type 2: an NTAG213 -----------------------------------------------------------------------------------

# NTAG213 memory: UID with its check bytes (pages 0-2), capability container E1 10 12 00 (page 3), then the
# NDEF message TLV (03 len ... FE) from page 4 on.
NTAG_CC = "E1 10 12 00"


def ntag_memory(cc: str = NTAG_CC, tlv: bytes = b"\x03" + bytes([len(NDEF)]) + NDEF + b"\xfe") -> bytearray:
    memory = bytearray(45 * 4)
    memory[0:4] = bytes([UID[0], UID[1], UID[2], 0x88 ^ UID[0] ^ UID[1] ^ UID[2]])
    memory[4:8] = UID[3:7]
    memory[8] = UID[3] ^ UID[4] ^ UID[5] ^ UID[6]
    memory[12:16] = HEX(cc)
    memory[16 : 16 + len(tlv)] = tlv
    return memory


def ntag_target() -> nfc.clf.RemoteTarget:
    target = nfc.clf.RemoteTarget("106A")
    target.sens_res, target.sel_res, target.sdd_res = HEX("4400"), HEX("00"), bytearray(UID)
    return target


NTAG213_VERSION = HEX("0004040201000F03")


def activate_ntag(clf) -> nfc.tag.Tag:
    tag = nfc.tag.activate(clf, ntag_target())
    assert isinstance(tag, nfc.tag.tt2_nxp.NTAG213)
    # AUTHENTICATE (1A) is unknown to an NTAG, which goes mute (nfcpy re-senses), then GET_VERSION (60).
    assert commands(clf) == ["1a00", "60"]
    clf.exchange.reset_mock()
    return tag


def chunks(memory: bytearray, *pages: int) -> list[bytearray]:
    return [memory[page * 4 : page * 4 + 16] for page in pages]


def test_type2_ndef_is_read_with_the_exact_exchanges():
    memory = ntag_memory()
    clf = unopened_frontend([TIMEOUT, NTAG213_VERSION, *chunks(memory, 0, 4, 8, 12)])
    tag = activate_ntag(clf)
    result = read_tag(tag)
    assert (result.uid, result.ndef, result.error) == (UID, NDEF, None)
    assert commands(clf) == ["3000", "3004", "3008", "300c"]
    assert all(c.args[1] == 0.005 for c in clf.exchange.mock_calls)  # READ waits 5 ms
    assert result.read_us >= 0


def test_type2_without_ndef_is_not_ndef_and_keeps_its_uid():
    memory = ntag_memory(cc="00 00 00 00")  # never formatted for NDEF
    clf = unopened_frontend([TIMEOUT, NTAG213_VERSION, *chunks(memory, 0), *chunks(memory, 0)])
    result = read_tag(activate_ntag(clf))
    assert (result.error, result.uid, result.ndef) == (ReadError.NOT_NDEF, UID, None)
    assert commands(clf) == ["3000", "3000"]  # the capability container, then the presence check


def test_type2_pulled_away_mid_read():
    memory = ntag_memory()
    clf = unopened_frontend([TIMEOUT, NTAG213_VERSION, *chunks(memory, 0), *[TIMEOUT] * 20])
    result = read_tag(activate_ntag(clf))
    assert result.error is ReadError.REMOVED_MID_READ and result.uid == UID


def test_type2_with_a_malformed_message_is_a_bad_response():
    garbage = NDEF[:-3]
    memory = ntag_memory(tlv=b"\x03" + bytes([len(garbage)]) + garbage + b"\xfe")
    clf = unopened_frontend([TIMEOUT, NTAG213_VERSION, *chunks(memory, 0, 4, 8, 12)])
    result = read_tag(activate_ntag(clf))
    assert result.error is ReadError.BAD_RESPONSE
    assert "record longer than the message" in result.detail


def test_type2_with_a_message_over_the_limit_is_too_large():
    memory = ntag_memory()
    clf = unopened_frontend([TIMEOUT, NTAG213_VERSION, *chunks(memory, 0, 4, 8, 12)])
    result = read_tag(activate_ntag(clf), max_ndef_bytes=16)
    assert result.error is ReadError.TOO_LARGE


def test_a_reader_failing_during_a_read_is_a_reader_failure():
    clf = unopened_frontend([TIMEOUT, NTAG213_VERSION, OSError(errno.EIO, "usb")])
    result = read_tag(activate_ntag(clf))
    assert result.error is ReadError.READER_FAILED


# --- Type 4: ISO-DEP ---------------------------------------------------------------------------------------

RATS_ANSWER = HEX("067577810280")  # FSCI 5 (64-byte frames), FWI 8 (77 ms)
FWT = 4096 / 13.56e6 * 2**8 + 49152 / 13.56e6  # what nfcpy waits for each I-block's answer
CC_FILE = "20 003B 0034 04 06 E104 0800 00 FF"  # v2.0, MLe 59, MLc 52, NDEF file E104 (2 KB, read-only)
# The NDEF read: SELECT the NDEF application (v2 AID), SELECT the CC file, READ its length then its body,
# SELECT the NDEF file, READ NLEN, READ the message (one chunk, as 36 < MLe 59). PCB 02/03 alternate.
TYPE4_COMMANDS = [
    "0200a4040007d276000085010100",
    "0300a4000c02e103",
    "0200b0000002",
    "0300b000020d",
    "0200a4000c02e104",
    "0300b0000002",
    "0200b0000224",
]


def type4_answers(message: bytes = NDEF, cc: str = CC_FILE) -> list[bytearray]:
    return [
        HEX("02 9000"),
        HEX("03 9000"),
        HEX("02 000F 9000"),
        HEX("03") + HEX(cc) + HEX("9000"),
        HEX("02 9000"),
        HEX("03") + len(message).to_bytes(2, "big") + HEX("9000"),
        HEX("02") + message + HEX("9000"),
    ]


@pytest.fixture
def frame_sizes(monkeypatch):
    # An unopened frontend has no device to ask; nfcpy's own tests patch these the same way.
    monkeypatch.setattr(nfc.ContactlessFrontend, "max_send_data_size", property(lambda self: 256))
    monkeypatch.setattr(nfc.ContactlessFrontend, "max_recv_data_size", property(lambda self: 256))


def type4_target() -> nfc.clf.RemoteTarget:
    target = nfc.clf.RemoteTarget("106A")
    target.sens_res, target.sel_res, target.sdd_res = HEX("4403"), HEX("20"), bytearray(UID)
    return target


def activate_type4(clf) -> nfc.tag.Tag:
    tag = nfc.tag.activate(clf, type4_target())
    assert isinstance(tag, nfc.tag.tt4.Type4Tag)
    assert clf.exchange.mock_calls == [mock.call(HEX("E080"), timeout=0.03)]  # RATS
    clf.exchange.reset_mock()
    return tag


@pytest.mark.usefixtures("frame_sizes")
def test_type4_ndef_is_read_with_the_exact_exchanges():
    clf = unopened_frontend([RATS_ANSWER, *type4_answers()])
    result = read_tag(activate_type4(clf))
    assert (result.uid, result.ndef, result.error) == (UID, NDEF, None)
    assert commands(clf) == TYPE4_COMMANDS
    assert all(c.args[1] == pytest.approx(FWT) for c in clf.exchange.mock_calls)
    assert "exchange" in vars(clf) and isinstance(clf.exchange, mock.Mock)  # our exchange budget undone


@pytest.mark.usefixtures("frame_sizes")
def test_type4_message_in_several_chunks():
    record = ndef.Record("application/vnd.bashgah.card", "", bytes(100))
    message = b"".join(ndef.message_encoder([record]))  # 131 bytes: three READ BINARY of at most MLe 59
    pieces = [message[i : i + 59] for i in range(0, len(message), 59)]
    answers = type4_answers(message)[:-1]
    answers += [HEX(("02", "03")[i % 2]) + piece + HEX("9000") for i, piece in enumerate(pieces)]
    clf = unopened_frontend([RATS_ANSWER, *answers])
    result = read_tag(activate_type4(clf))
    assert result.ndef == message
    assert commands(clf)[-3:] == ["0200b000023b", "0300b0003d3b", "0200b000780d"]


GARBAGE = {
    # a bank card: no NDEF application (6A82 to both AIDs), then the presence check R(NAK) is answered
    "no NDEF application": ([HEX("02 6A82"), HEX("03 6A82"), HEX("A2")], ReadError.NOT_NDEF),
    # an I-block with the wrong block number, then silence
    "wrong block number": ([HEX("03 9000"), *[TIMEOUT] * 40], ReadError.REMOVED_MID_READ),
    # a capability container too short to hold the NDEF file's TLV
    "short capability container": (
        [HEX("02 9000"), HEX("03 9000"), HEX("02 000F 9000"), HEX("03 2000 9000"), HEX("A2")],
        ReadError.NOT_NDEF,
    ),
    # a waiting-time extension request with its parameter byte missing: nfcpy raises IndexError
    "truncated WTX": ([HEX("F2"), HEX("A2")], ReadError.BAD_RESPONSE),
    # answers that are not ISO-DEP blocks at all: nfcpy reports the failed SELECT as "no NDEF"
    "noise": ([HEX("FF FF FF"), HEX("A2")], ReadError.NOT_NDEF),
    # a well-behaved card whose NDEF file holds garbage
    "garbage message": (type4_answers(message=bytes(range(36))), ReadError.BAD_RESPONSE),
}


@pytest.mark.usefixtures("frame_sizes")
@pytest.mark.parametrize("case", GARBAGE, ids=list(GARBAGE))
def test_type4_answering_garbage_is_a_read_failure_never_an_exception(case):
    answers, error = GARBAGE[case]
    clf = unopened_frontend([RATS_ANSWER, *answers])
    result = read_tag(activate_type4(clf))
    assert result.error is error, result.detail
    assert result.ndef is None and result.uid == UID


@pytest.mark.usefixtures("frame_sizes")
def test_type4_answering_9000_without_data_for_ever_is_cut_off():
    # nfcpy's READ BINARY loop would spin for ever on this card; the exchange budget stops it.
    endless = type4_answers(message=NDEF)[:-1]
    pcb = iter(range(10_000))

    def answer(data, timeout):
        if endless:
            return endless.pop(0)
        return HEX("02" if next(pcb) % 2 == 0 else "03") + HEX("9000")

    clf = unopened_frontend([RATS_ANSWER])
    tag = activate_type4(clf)
    clf.exchange.side_effect = answer
    result = read_tag(tag, max_ndef_bytes=1024)
    assert result.error is ReadError.BAD_RESPONSE
    assert len(clf.exchange.mock_calls) == exchange_limit(1024)


# --- the backend, driven by recorded sensing and exchanges ------------------------------------------------


class RecordedNtag:
    """An NTAG213 behind a frontend whose `sense` and `exchange` are scripted; `present` moves it."""

    def __init__(self) -> None:
        self.memory = ntag_memory()
        self.present = True
        self.clf = nfc.ContactlessFrontend()
        self.clf.device = mock.Mock(name="device")  # connect() wants an opened device; this one is inert
        self.clf.sense = mock.Mock(side_effect=self.sense)
        self.clf.exchange = mock.Mock(side_effect=self.exchange)

    def sense(self, *targets, **options):
        return ntag_target() if self.present else None

    def exchange(self, data, timeout):
        if not self.present or data[0] == 0x1A:
            raise TIMEOUT
        if data[0] == 0x60:
            return NTAG213_VERSION
        return self.memory[data[1] * 4 : data[1] * 4 + 16]


def test_the_backend_reports_a_resting_type2_tag_once_then_its_removal():
    card = RecordedNtag()
    backend = NfcBackend("recorded", presence_interval_s=0, frontend_factory=lambda path: card.clf)
    assert [e.kind for e in backend.poll(10)] == [CardEventKind.READER_ADDED]
    tapped = backend.poll(10)
    assert [(e.kind, e.uid, e.ndef) for e in tapped] == [(CardEventKind.TAPPED, UID, NDEF)]
    reads = len(card.clf.exchange.mock_calls)
    for _ in range(5):
        assert backend.poll(5) == []
    assert len(card.clf.exchange.mock_calls) > reads  # presence checks went on, quietly
    card.present = False
    assert [e.kind for e in backend.poll(50)] == [CardEventKind.REMOVED]
    backend.close()


@pytest.mark.usefixtures("frame_sizes")
def test_the_backend_reports_an_unactivatable_type4_card_once():
    clf = nfc.ContactlessFrontend()
    clf.device = mock.Mock(name="device")
    on_reader = [True]
    clf.sense = mock.Mock(side_effect=lambda *t, **o: type4_target() if on_reader[0] else None)
    clf.exchange = mock.Mock(return_value=HEX("05"))  # a RATS answer cut short: nfcpy raises IndexError
    backend = NfcBackend("recorded", frontend_factory=lambda path: clf)
    assert [e.kind for e in backend.poll(0)] == [CardEventKind.READER_ADDED]
    events = backend.poll(10)
    assert [(e.kind, e.error, e.uid) for e in events] == [
        (CardEventKind.READ_FAILED, ReadError.BAD_RESPONSE, UID)
    ]
    for _ in range(3):
        assert backend.poll(5) == []  # still there: parked, not re-reported
    assert clf.exchange.call_count == 1  # and not activated again
    on_reader[0] = False
    assert [(e.kind, e.uid) for e in backend.poll(50)] == [(CardEventKind.REMOVED, UID)]
    backend.close()


def test_target_ids_tell_cards_apart_before_activation():
    felica = nfc.clf.RemoteTarget("212F", sensf_res=HEX("01 0102030405060708 00FF00000000FFFF"))
    type_b = nfc.clf.RemoteTarget("106B", sensb_res=HEX("50 A1B2C3D4 00000000 0080 81"))
    assert target_id(ntag_target()) == UID
    assert target_id(felica) == bytes.fromhex("0102030405060708")
    assert target_id(type_b) == bytes.fromhex("A1B2C3D4")
    assert target_id(nfc.clf.RemoteTarget("106A")) is None
