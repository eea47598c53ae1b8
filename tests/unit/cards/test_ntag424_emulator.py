# SPDX-License-Identifier: GPL-3.0-or-later
"""The NTAG 424 DNA emulator (tests/support/ntag424_emulator.py) against NXP's own worked examples, byte for
byte, then its behaviour (access rights, errors, modes, tears) through a minimal PCD written from AN12196.

Sources of the vectors (section numbers of AN12196 rev. 1.8 / rev. 2.0, whose chapters moved):
- AN12196 §6.6 / §5.6 Table 14: AuthenticateEV2First with key 0 (RndB, RndA, TI, session keys);
- AN12196 §6.8.2 Table 18 / §5.8.2 Table 17: WriteData in CommMode.Full;
- AN12196 §6.9 Table 19 / §5.9 Table 18: ChangeFileSettings in CommMode.Full;
- AN12196 §6.10 Table 20 / §5.10 Table 19: AuthenticateEV2First with key 3;
- AN12196 §6.12 / §5.12: WriteData to the proprietary file in CommMode.Full (key-3 session);
- AN12196 §6.14 Table 24 / §5.14 Table 23: AuthenticateEV2NonFirst with key 0;
- AN12196 §6.16 Tables 26-27 / §5.16 Tables 25-26: ChangeKey, cases 1 (key 2) and 2 (key 0);
- AN12196 §5.3 (rev. 1.8): GetFileSettings in CommMode.MAC;
- AN12196 §7.3 Table 29 / §6.3 Table 28: GetCardUID, the response in CommMode.Full;
- AN12196 rev. 2.0 Table 30 (rev. 1.8 §7): Read_Sig's signature of UID 04518DFAA96180 under NXP's key;
- AN12196 §3.3-3.4 (Table 2): the SUN message e=EF963FF7…&c=94EED9EE… of UID 04DE5F1EACC040, SDMReadCtr
  61, PICCData padding DA5CF60941, keys zero.
Values transcribed from the note and cross-checked against the public transcriptions in
lucianox777/nfc-ev2-crypto (test_ev2.py) and others; none was computed by this emulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cards.type4 import TagRead, read_ndef, write_ndef
from tests.support import ntag424_pcd as pcd
from tests.support.ntag424_emulator import (
    FILE_CC,
    FILE_NDEF,
    FILE_PROPRIETARY,
    AccessRights,
    FileSettings,
    Ntag424Card,
    card_from_arguments,
    key_crc,
    parse_arguments,
    sdm_settings_length,
)
from tests.support.ntag424_originality import (
    AN12196_SIGNATURE,
    AN12196_UID,
    NXP_PUBLIC_KEY,
    TEST_PUBLIC_KEY,
    sign_uid,
    verify_uid,
)

h = bytes.fromhex
UID = h("04A1B2C3D4E5F6")
NDEF = h("D1010A5402656E68656C6C6F2121")  # a short Text record
ZERO = bytes(16)
SELECT_APP = h("00A4040007D276000085010100")


def card_with_app_selected(card: Ntag424Card) -> Ntag424Card:
    card.start_session()
    assert card.respond(SELECT_APP) == h("9000")
    return card


# ---------------------------------------------------------------------- AN12196, byte for byte


def test_authenticate_ev2_first_key_0_as_an12196_table_14() -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    card.next_rnd_b, card.next_ti = h("B9E2FC789B64BF237CCCAA20EC7E6E48"), h("9D00C4DF")  # steps 9, 19
    assert card.respond(h("9071000002000000")) == h("A04C124213C186F22399D33AC2A3021591AF")  # step 7
    part2 = h("90AF00002035C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D00")  # step 13
    answer = card.respond(part2)
    assert answer == h("3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F081206639100")  # step 16
    assert card.session is not None
    assert card.session.enc_key == h("1309C877509E5A215007FF0ED19CA564")  # step 27
    assert card.session.mac_key == h("4C6626F5E72EA694202139295C7A7FC7")  # step 28
    assert (card.session.ti, card.session.counter) == (h("9D00C4DF"), 0)


def test_write_data_change_file_settings_then_the_sun_message_as_an12196() -> None:
    """Tables 18-19 / 17-18 in Table 14's session, then the NDEF file read as a phone reads it: the chip's SUN
    message is AN12196 §3's (rev. 1.8 §3.3-3.4, Table 2: e=EF963F… and c=94EED9…, UID 04DE5F1EACC040,
    SDMReadCtr 61, all keys zero)."""
    card = card_with_app_selected(Ntag424Card.factory(h("04DE5F1EACC040")))
    # The note's WriteData (Table 18 / 17) is in CommMode.Full to file 2 under key 0. Factory file 2 is plain
    # with free write access, which takes plain data: the note's example is that of a file whose settings were
    # changed to Full, write key 0 — so the card is set up so here (the note does not print that step).
    card.set_file_settings(
        FILE_NDEF, FileSettings(3, AccessRights(read=0xE, write=0, read_write=0, change=0))
    )
    card.force_session(
        0, h("1309C877509E5A215007FF0ED19CA564"), h("4C6626F5E72EA694202139295C7A7FC7"), h("9D00C4DF"), 0
    )  # fmt: skip  (Table 14's session, steps 19, 27, 28)
    write = h(
        "908D00009F02000000800000"
        "421C73A27D827658AF481FDFF20A5025B559D0E3AA21E58D347F343CFFC768BFE596C706BC00F2176781D4B0242642A0"
        "FF5A42C461AAF894D9A1284B8C76BCFA658ACD40555D362E08DB15CF421B51283F9064BCBE20E96CAE545B407C9D651A"
        "3315B27373772E5DA2367D2064AE054AF996C6F1F669170FA88CE8C4E3A4A7BBBEF0FD971FF532C3A802AF745660F2B4"
        "D1D9A8499661EBF3"
        "00"
    )
    assert card.respond(write) == h("FC222E5F7A5424529100")  # R-APDU of the note: MACt only
    assert card.file_data(FILE_NDEF)[:8] == h("0051D1014D550463")  # the NDEF message the note writes
    assert card.file_data(FILE_NDEF)[0x20:0x22] == h("3030")
    # ChangeFileSettings at CmdCtr 1 (Table 19 / 18): SDM on file 2, read free, write/RW/change key 0
    change = h("905F0000190261B6D97903566E84C3AE5274467E89EAD799B7C1A0EF7A0400")
    assert card.respond(change) == h("57BFF87B1241E93D9100")
    settings = card.file_settings(FILE_NDEF)
    assert (settings.option, settings.access.encode()) == (0x40, h("00E0"))
    assert settings.sdm == h("C1F121200000430000430000")
    assert card.session is not None and card.session.counter == 2
    card.sdm_read_counter = 60  # the read below is the 61st (3D0000 in the note's PICCData)
    card.next_picc_padding = h("DA5CF60941")  # the random padding of the note's PICCData (Table 2)
    card.start_session()
    read = read_ndef(card.respond)
    assert isinstance(read, TagRead)
    url = read.ndef[5:].decode()
    assert url == "choose.url.com/ntag424?e=EF963FF7828658A599F3041510671E88&c=94EED9EE65337086"
    assert card.sdm_read_counter == 61  # one tap, one count, however many READ BINARY it took
    again = read_ndef(card.respond)  # the next read (a new selection of the file): the next count
    assert isinstance(again, TagRead) and card.sdm_read_counter == 62 and again.ndef != read.ndef
    # GetFileCounters: SDMCtrRet is key 1 in these settings (F1), so it needs key 1, in CommMode.Full
    card_with_app_selected(card)
    session = pcd.authenticate(card.respond, 1, ZERO)
    assert pcd.command(card.respond, session, 0xF6, bytes([FILE_NDEF])) == (62).to_bytes(3, "little") + bytes(
        2
    )
    card_with_app_selected(card)
    assert card.respond(h("90F60000010200")) == h("91AE")  # not without it


def test_authenticate_key_3_write_proprietary_then_non_first_and_change_keys() -> None:
    """One transaction of the note: key-3 authentication (Table 20/19), WriteData to file 3 (§6.12/§5.12),
    AuthenticateEV2NonFirst with key 0 (Table 24/23) and both ChangeKey cases (Tables 26-27 / 25-26)."""
    card = card_with_app_selected(Ntag424Card.factory(UID))
    card.next_rnd_b, card.next_ti = h("91517975190DCEA6104948EFA3085C1B"), h("7614281A")
    assert card.respond(h("9071000002030000")) == h("B875CEB0E66A6C5CD00898DC371F92D191AF")
    part2 = h("90AF000020FF0306E47DFBC50087C4D8A78E88E62DE1E8BE457AA477C707E2F0874916A8B100")
    assert card.respond(part2) == h("0CC9A8094A8EEA683ECAAC5C7BF20584206D0608D477110FC6B3D5D3F65C3A6A9100")
    assert card.session is not None
    assert (card.session.enc_key, card.session.mac_key) == (
        h("7A93D6571E4B180FCA6AC90C9A7488D4"), h("FC4AF159B62E549B5812394CAB1918CC"))  # fmt: skip
    # WriteData of 10 bytes to the proprietary file (factory: CommMode.Full, write key 3) at CmdCtr 0
    write = h("908D00001F030000000A00006B5E6804909962FC4E3FF5522CF0F8436C0C53315B9C73AA00")
    assert card.respond(write) == h("C26D236E4A7C046D9100")
    assert card.file_data(FILE_PROPRIETARY)[:10] == h("0102030405060708090A")
    # The note's ChangeKey examples run at CmdCtr 2; its command at CmdCtr 1 is not one we replay, so a
    # GetKeyVersion of ours (MAC mode) takes that place.
    session = pcd.PcdSession(3, card.session.enc_key, card.session.mac_key, card.session.ti, 1)
    assert pcd.command(card.respond, session, 0x64, b"\x00", mode=pcd.MAC) == b"\x00"
    # AuthenticateEV2NonFirst with key 0: TI and CmdCtr go on, new session keys
    card.next_rnd_b = h("6924E8D09722659A2E7DEC68E66312B8")
    assert card.respond(h("90770000010000")) == h("A6A2B3C572D06C097BB8DB70463E22DC91AF")
    part2 = h("90AF000020BE7D45753F2CAB85F34BC60CE58B940763FE969658A532DF6D95EA2773F6E99100")
    assert card.respond(part2) == h("B888349C24B315EAB5B589E279C8263E9100")
    assert (card.session.enc_key, card.session.mac_key) == (
        h("4CF3CB41A22583A61E89B158D252FC53"), h("5529860B2FC5FB6154B7F28361D30BF9"))  # fmt: skip
    assert (card.session.ti, card.session.counter) == (h("7614281A"), 2)
    # ChangeKey case 1: key 2 (not the session's) to F384…, version 1, at CmdCtr 2
    change_2 = h("90C4000029" "02" "2CF362B7BF4311FF3BE1DAA295E8C68DE09050560D19B9E16C2393AE9CD1FAC7"
                 "5D0CE20BCD1D06E6" "00")  # fmt: skip
    assert card.respond(change_2) == h("203BB55D1089D5879100")
    assert (card.keys[2], card.key_versions[2]) == (h("F3847D627727ED3BC9C4CC050489B966"), 1)
    # ChangeKey case 2: key 0 (the session's own) to 5004…, version 1, at CmdCtr 3; the answer is plain
    change_0 = h("90C4000029" "00" "C0EB4DEEFEDDF0B513A03A95A75491818580503190D4D05053FF75668A01D6FD"
                 "A6610234BDED6432" "00")  # fmt: skip
    assert card.respond(change_0) == h("9100")
    assert (card.keys[0], card.key_versions[0]) == (h("5004BF991F408672B1EF00F08F9E8647"), 1)
    assert card.session is None  # the session's key changed: the session is over
    assert card.respond(h("9051000000")) == h("91AE")  # GetCardUID needs an authentication now


def test_get_file_settings_in_mac_mode_as_an12196_5_3() -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    sdm = h("D1FE001F00004400004400002000006A0000")
    card.set_file_settings(FILE_NDEF, FileSettings(0, AccessRights(0xE, 0xE, 0xE, 0xE), sdm))
    card.force_session(0, ZERO, h("8248134A386E86EB7FAF54A52E536CB6"), h("7A21085E"), 0)
    answer = card.respond(h("90F5000009026597A457C8CD442C00"))
    assert answer == h("0040EEEE000100D1FE001F00004400004400002000006A00002A474282E7A479869100")
    assert sdm_settings_length(sdm) == len(sdm)


def test_get_card_uid_as_an12196_table_29() -> None:
    card = card_with_app_selected(Ntag424Card.factory(h("04958CAA5C5E80")))
    card.force_session(0, h("2B4D963C014DC36F24F69A50A394F875"), h("379D32130CE61705DD5FD8C36B95D764"),
                       h("DF055522"), 0)  # fmt: skip
    answer = card.respond(h("90510000088E2C155ADDA99BE300"))
    assert answer == h("70756055688505B52A5E26E59E329CD6595F672298EA41B79100")


def test_read_sig_plain_answers_nxps_signature_of_an12196() -> None:
    card = card_with_app_selected(Ntag424Card.factory(AN12196_UID, signature=AN12196_SIGNATURE))
    answer = card.respond(h("903C0000010000"))
    assert answer == AN12196_SIGNATURE + h("9100")
    assert verify_uid(AN12196_UID, answer[:-2], NXP_PUBLIC_KEY)


def test_the_key_crc_of_an12196_table_26() -> None:
    assert key_crc(h("F3847D627727ED3BC9C4CC050489B966")) == h("789DFADC")


def test_the_test_pcd_builds_the_notes_commands() -> None:
    """The PCD used below is pinned to the note too: part 2 of Table 14, ChangeKey of Tables 26-27."""
    command, rnd_b = pcd.part2_command(ZERO, h("A04C124213C186F22399D33AC2A30215"),
                                       h("13C5DB8A5930439FC3DEF9A4C675360F"))  # fmt: skip
    assert rnd_b == h("B9E2FC789B64BF237CCCAA20EC7E6E48")
    assert command == h("35C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D")
    session = pcd.PcdSession(0, h("4CF3CB41A22583A61E89B158D252FC53"), h("5529860B2FC5FB6154B7F28361D30BF9"),
                             h("7614281A"), 3)  # fmt: skip
    plain = pcd.change_key_data(session, 0, h("5004BF991F408672B1EF00F08F9E8647"), 1, ZERO)
    assert pcd.wrap(session, 0xC4, b"\x00", plain, pcd.FULL) == h(
        "00C0EB4DEEFEDDF0B513A03A95A75491818580503190D4D05053FF75668A01D6FDA6610234BDED6432"
    )


# ---------------------------------------------------------------------- the Type 4 read, unchanged


def test_type4_reads_the_ndef_message_of_a_factory_card() -> None:
    card = Ntag424Card.factory(UID, NDEF)
    card.start_session()
    read = read_ndef(card.respond)
    assert isinstance(read, TagRead)
    assert (read.uid, read.ndef) == (UID, NDEF)
    assert card.capability_container()[:15] == h("001720010000FF0406E10401000000")


def test_type4_writes_a_factory_card_but_not_a_club_card() -> None:
    card = Ntag424Card.factory(UID)
    card.start_session()
    assert write_ndef(card.respond, NDEF).__class__.__name__ == "TagWritten"
    assert card.ndef == NDEF
    club = Ntag424Card.club_card(UID, NDEF, {0: h("11" * 16), 1: h("22" * 16)})
    club.start_session()
    assert club.respond(SELECT_APP) == h("9000")
    assert club.respond(h("00A4000C02E104")) == h("9000")
    assert club.respond(h("00D60000020000")) == h("6982")  # ISOUpdateBinary refused: write needs key 0
    assert club.ndef == NDEF
    assert isinstance(read_ndef(club.respond), TagRead)  # reading stays free


# ---------------------------------------------------------------------- behaviour through the PCD


def test_authentication_with_the_right_key_and_the_wrong_one() -> None:
    key_1 = h("00112233445566778899AABBCCDDEEFF")
    card = card_with_app_selected(Ntag424Card.club_card(UID, NDEF, {0: h("11" * 16), 1: key_1}))
    session = pcd.authenticate(card.respond, 1, key_1)
    assert pcd.command(card.respond, session, 0x51) == UID  # GetCardUID, Full
    signature = pcd.command(card.respond, session, 0x3C, b"\x00")  # Read_Sig, Full when authenticated
    assert verify_uid(UID, signature, TEST_PUBLIC_KEY) and session.counter == 2
    with pytest.raises(pcd.PcdError) as refused:
        pcd.authenticate(card.respond, 1, ZERO)
    assert refused.value.status == h("91AE") and card.session is None


def test_every_challenge_is_fresh_and_every_session_new() -> None:
    card = Ntag424Card.factory(UID)
    challenges = {card_with_app_selected(card).respond(h("9071000002000000"))[:16] for _ in range(5)}
    assert len(challenges) == 5 and all(len(c) == 16 for c in challenges)
    sessions = {pcd.authenticate(card.respond, 0, ZERO).ti for _ in range(3)}
    assert len(sessions) == 3
    assert card.respond(h("9071000002000000"))[-2:] == h("91AF")
    pcd.authenticate(card.respond, 0, ZERO)  # a new authentication restarts one left halfway


def test_a_wrong_mac_ends_the_session() -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    session = pcd.authenticate(card.respond, 0, ZERO)
    apdu = bytearray(h("9051000008") + pcd.wrap(session, 0x51, b"", b"", pcd.FULL) + b"\x00")
    apdu[-2] ^= 0x01
    assert card.respond(bytes(apdu)) == h("911E")
    assert card.session is None
    assert card.respond(h("9051000008") + pcd.wrap(session, 0x51, b"", b"", pcd.FULL) + b"\x00") == h("91AE")


def test_a_replayed_command_is_refused() -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    session = pcd.authenticate(card.respond, 0, ZERO)
    apdu = h("9051000008") + pcd.wrap(session, 0x51, b"", b"", pcd.FULL) + b"\x00"
    assert card.respond(apdu)[-2:] == h("9100")
    assert card.respond(apdu) == h("911E")  # the counter moved on: the old MAC no longer fits


@pytest.mark.parametrize(
    ("apdu", "status"),
    [
        ("90AF000000", "911C"),  # additional frame with nothing pending
        ("9099000000", "911C"),  # unknown command
        ("9071000003000000", "917E"),  # Lc and data disagree
        ("907100000200", "917E"),  # no Le
        ("9071000002050000", "9140"),  # key 5 does not exist
        ("9051000000", "91AE"),  # GetCardUID without authentication
        ("90C4000000", "91AE"),  # ChangeKey without authentication
        ("90F50000010900", "91F0"),  # GetFileSettings of file 9
        ("903C0000010100", "919E"),  # Read_Sig of address 1
        ("90AD0000070300000000000000", "91AE"),  # ReadData of the proprietary file: needs key 2
        ("908D000008020000000100004100", "9100"),  # WriteData to the factory NDEF file: free
        ("908D000008020001000100004100", "91BE"),  # beyond the file
    ],
)
def test_status_words(apdu: str, status: str) -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    assert card.respond(h(apdu))[-2:] == h(status)


def test_an_interrupted_authentication_is_aborted() -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    assert card.respond(h("9071000002000000"))[-2:] == h("91AF")
    assert card.respond(h("9060000000")) == h("91CA")
    assert card.respond(h("90AF000000")) == h("911C")  # the chain is over


def test_get_version_in_three_frames() -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    data, status = pcd.exchange(card.respond, 0x60)
    assert status == h("9100") and len(data) == 28 and data[:2] == h("0404") and data[14:21] == UID


def test_change_key_of_another_key_needs_the_old_one_and_a_right_crc() -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    session = pcd.authenticate(card.respond, 0, ZERO)
    new = h("0F" * 16)
    plain = bytearray(pcd.change_key_data(session, 1, new, 7, ZERO))
    plain[-1] ^= 0xFF  # a broken CRC
    _, status = pcd.exchange(card.respond, 0xC4, pcd.wrap(session, 0xC4, b"\x01", bytes(plain), pcd.FULL))
    assert status == h("911E") and card.keys[1] == ZERO
    session = pcd.authenticate(card.respond, 0, ZERO)
    pcd.change_key(card.respond, session, 1, new, 7, ZERO)
    assert (card.keys[1], card.key_versions[1]) == (new, 7)
    assert pcd.command(card.respond, session, 0x64, b"\x01", mode=pcd.MAC) == b"\x07"
    other = pcd.authenticate(card.respond, 1, new)
    with pytest.raises(pcd.PcdError) as refused:  # only key 0 may change keys
        pcd.change_key(card.respond, other, 2, new, 1, ZERO)
    assert refused.value.status == h("91AE")


def test_write_refused_without_the_key_once_the_settings_say_so() -> None:
    master = h("A0" * 16)
    card = card_with_app_selected(Ntag424Card.factory(UID, NDEF))
    session = pcd.authenticate(card.respond, 0, ZERO)
    pcd.change_key(card.respond, session, 0, master, 1, ZERO)
    session = pcd.authenticate(card.respond, 0, master)
    settings = b"\x00" + AccessRights(read=0xE, write=0, read_write=0, change=0).encode()
    pcd.command(card.respond, session, 0x5F, bytes([FILE_NDEF]), settings)  # ChangeFileSettings, Full
    assert card.file_settings(FILE_NDEF).access.write == 0
    card_with_app_selected(card)  # a new tap: no session
    assert card.respond(h("908D000008020000000100004100")) == h("91AE")  # WriteData without key 0
    assert card.respond(h("00A4000C02E104")) == h("9000")
    assert card.respond(h("00D600000141")) == h("6982")  # ISOUpdateBinary too
    session = pcd.authenticate(card.respond, 0, master)
    header = bytes([FILE_NDEF]) + (0).to_bytes(3, "little") + (2).to_bytes(3, "little")
    pcd.command(card.respond, session, 0x8D, header, b"\x00\x00", mode=pcd.PLAIN)  # file 2 is plain
    assert card.ndef == b"" and session.counter == 1
    with pytest.raises(pcd.PcdError) as refused:  # changing the CC's settings needs key 0: not key 1
        other = pcd.authenticate(card.respond, 1, ZERO)
        pcd.command(card.respond, other, 0x5F, bytes([FILE_CC]), settings)
    assert refused.value.status == h("91AE")


def test_read_data_in_full_mode_chains_long_answers() -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID, NDEF))
    card.set_file_settings(FILE_NDEF, FileSettings(3, AccessRights(read=1, write=0, read_write=0, change=0)))
    session = pcd.authenticate(card.respond, 1, ZERO)
    data = pcd.command(card.respond, session, 0xAD, bytes([FILE_NDEF]) + bytes(6))  # the whole file
    assert data == card.file_data(FILE_NDEF) and len(data) == 256


# ---------------------------------------------------------------------- modes


def test_a_magic_clone_fails_the_challenge_or_refuses_it() -> None:
    key_1 = h("33" * 16)
    genuine = Ntag424Card.club_card(UID, NDEF, {0: h("11" * 16), 1: key_1})
    clone = card_with_app_selected(Ntag424Card.magic_clone(UID, NDEF, signature=genuine.signature))
    assert isinstance(read_ndef(clone.respond), TagRead)  # UID and payload are the original's
    clone.start_session()
    clone.respond(SELECT_APP)
    assert pcd.exchange(clone.respond, 0x3C, b"\x00") == (genuine.signature, h("9100"))  # copied signature
    with pytest.raises(pcd.PcdError) as failed:
        pcd.authenticate(clone.respond, 1, key_1)
    assert failed.value.status == h("91AE")
    refusing = card_with_app_selected(Ntag424Card.magic_clone(UID, NDEF, challenge="refuse"))
    with pytest.raises(pcd.PcdError) as refused:
        pcd.authenticate(refusing.respond, 1, key_1)
    assert refused.value.status == h("911C")
    assert pcd.exchange(refusing.respond, 0x3C, b"\x00")[1] == h("911C")  # no Read_Sig either


def test_originality_signatures() -> None:
    card = Ntag424Card.factory(UID)
    assert verify_uid(UID, card.signature, TEST_PUBLIC_KEY)
    assert not verify_uid(UID, card.signature, NXP_PUBLIC_KEY)
    wrong = Ntag424Card.factory(UID, signature=sign_uid(h("04000000000001")))
    assert not verify_uid(UID, wrong.signature, TEST_PUBLIC_KEY)
    assert sign_uid(UID) != sign_uid(UID) and verify_uid(UID, sign_uid(UID))  # ECDSA: a fresh k each time


@pytest.mark.parametrize("committed", [False, True])
def test_a_tear_takes_a_command_whole_or_not_at_all(committed: bool) -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    session = pcd.authenticate(card.respond, 0, ZERO)
    card.tear_after(1, committed=committed)
    plain = pcd.change_key_data(session, 0, h("55" * 16), 1, ZERO)
    assert card.respond(h("9071000002000000")[:0] + h("90C4000029") + pcd.wrap(
        session, 0xC4, b"\x00", plain, pcd.FULL) + b"\x00") is None  # fmt: skip
    assert card.keys[0] == (h("55" * 16) if committed else ZERO)
    assert card.key_versions[0] == (1 if committed else 0)
    card_with_app_selected(card)  # put back on the reader: state kept, session gone
    pcd.authenticate(card.respond, 0, h("55" * 16) if committed else ZERO)


def test_tears_count_state_changing_commands_only() -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID))
    card.tear_after(2)
    assert card.respond(h("908D000008020000000100004100")) == h("9100")  # 1st: goes through
    assert card.respond(h("9060000000"))[-2:] == h("91AF")  # reads do not count
    card.respond(h("90AF000000"))
    card.respond(h("90AF000000"))
    assert card.respond(h("908D000008020000000100004200")) is None  # 2nd: torn, not committed
    assert card.file_data(FILE_NDEF)[0] == 0x41 and card.state_changes == 1
    card_with_app_selected(card)
    assert card.respond(h("908D000008020000000100004200")) == h("9100")  # one tear per arming


# ---------------------------------------------------------------------- robustness and the command line


@settings(max_examples=100, deadline=None)
@given(
    commands=st.lists(
        st.one_of(
            st.binary(max_size=60),
            st.sampled_from([0x60, 0x71, 0x77, 0xAF, 0x51, 0x3C, 0x64, 0xC4, 0xF5, 0x5F, 0xAD, 0x8D]).flatmap(
                lambda ins: st.binary(max_size=48).map(
                    lambda data: bytes([0x90, ins, 0, 0, len(data)]) + data + b"\x00"
                )
            ),
        ),
        max_size=12,
    )
)
def test_any_command_gets_a_status_word_never_an_exception(commands: list[bytes]) -> None:
    card = card_with_app_selected(Ntag424Card.factory(UID, NDEF))
    for command in commands:
        answer = card.respond(command)
        assert answer is not None and len(answer) >= 2
        assert answer[-2] in (0x90, 0x91, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6D, 0x6E, 0x62)
    assert card.keys == [ZERO] * 5  # nothing guessed its way into a key change


def test_the_command_line_makes_each_mode(tmp_path: Path) -> None:
    ndef_file = tmp_path / "card.ndef"
    ndef_file.write_bytes(NDEF)
    base = ["--uid", UID.hex(), "--ndef-file", str(ndef_file)]
    factory = card_from_arguments(parse_arguments(base))
    assert (factory.keys, factory.ndef) == ([ZERO] * 5, NDEF)
    assert verify_uid(UID, factory.signature, TEST_PUBLIC_KEY)
    club = card_from_arguments(parse_arguments([*base, "--key", "1:" + "22" * 16, "--key-version", "1:9"]))
    assert (club.keys[1], club.key_versions[1], club.file_settings(FILE_NDEF).access.write) == (
        h("22" * 16),
        9,
        0,
    )
    clone = card_from_arguments(parse_arguments([*base, "--clone", "refuse"]))
    assert clone.signature is None and clone.clone is not None
    torn = card_from_arguments(parse_arguments([*base, "--signature", "00" * 56, "--tear-after", "1"]))
    assert torn.signature == bytes(56)
    torn.start_session()
    assert torn.respond(h("908D000008020000000100004100")) is None
