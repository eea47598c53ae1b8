# SPDX-License-Identifier: GPL-3.0-or-later
"""The signed card payload: wire format, NDEF and QR wrapping, issuing, and offline verification."""

from __future__ import annotations

import hashlib
import struct
import uuid
from dataclasses import replace
from datetime import date, timedelta

import ndef
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cards.payload import (
    MAX_PHOTO_BYTES,
    MIME_TYPE,
    SIGNING_CONTEXT,
    CardPayload,
    CardProfile,
    PayloadError,
    decode_signed,
    encode_payload,
    generate_issuing_key,
    issuing_key_from_private,
    ndef_message,
    payload_from_ndef,
    private_key_from_pem,
    private_key_pem,
    public_key_from_pem,
    public_key_pem,
    sign_card,
    sign_payload,
)
from app.cards.qr import MAX_QR_TEXT, PREFIX, payload_from_qr_text, qr_text, sign_qr_card
from app.cards.verify import CardReason, CardVerdict, verify_card
from app.domain.card import card_number, is_valid_card_number
from app.domain.errors import ClubError
from app.messages import MESSAGES, message

S = 1_000_000  # microseconds in a second
DAY = 86_400 * S
ISSUED = 1_735_689_600 * S  # 2025-01-01T00:00:00Z
EXPIRES = 1_830_297_600 * S  # 2028-01-01T00:00:00Z
NOW = ISSUED + 30 * DAY
UID = bytes.fromhex("04a1b2c3d4e5f6")
OTHER_UID = bytes.fromhex("04a1b2c3d4e5f7")
MEMBER = "0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b"
NUMBER = "6219000000000426"
QR_NUMBER = "6219000000000434"
KEY = issuing_key_from_private(7, bytes(range(32)))
NEW_KEY = issuing_key_from_private(8, bytes(range(32, 64)))
KEYS = {KEY.key_id: KEY.public}
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 15 + b"\xff\xd9"  # JPEG markers around filler
FULL_PHOTO = PHOTO[:-2].ljust(MAX_PHOTO_BYTES - 2, b"\x00") + b"\xff\xd9"
PROFILE = CardProfile(name="مریم احمدی", birth_date=date(1990, 3, 21), photo_jpeg=PHOTO)
TYPE4_NDEF_FILE = 8192  # an 8 KB NDEF file, of which 2 bytes are the message length

# The signature is Ed25519 (deterministic), so fixed key and inputs give fixed bytes. If this test fails
# the wire format changed: cards already issued would stop verifying. Bump VERSION instead.
VECTOR_CARD_HEX = "".join([
    "d2", "1c", "6e",  # NDEF: MB ME SR, TNF 2 (MIME); type length 28; payload length 110
    MIME_TYPE.encode().hex(),
    "01", "02", "0007",  # version 1; flags: national id; key id 7
    "0190a5b27c3d7e4f8a1b2c3d4e5f6a7b",  # member id
    "6219000000000426",  # card number, BCD
    "67748580", "6d182000",  # issued 2025-01-01, expires 2028-01-01 (seconds)
    "07", "04a1b2c3d4e5f6",  # UID
    "0012",  # national id last 4, BCD
])
VECTOR_SIGNATURE_HEX = (
    "ebecabfc0102f68f4def83e08b0c3828b9b8d59796ce22758ea6588be911dbeb"
    "aea0dcfa266ebfa15f3694900a4abe4eab703b4f3799d26da01fb322d9e29405"
)
VECTOR_PROFILE_SHA256 = "7e66b70186ef394f10b09aea01c14eacbcd7cd3404107fd20bef3410e6fee299"


def card(key=KEY, uid=UID, **fields) -> bytes:
    values = {"member_id": MEMBER, "card_number": NUMBER, "issued_at_us": ISSUED, "expires_at_us": EXPIRES}
    return sign_card(key, uid=uid, **{**values, **fields})


def qr_card(key=KEY, **fields) -> str:
    values = {"member_id": MEMBER, "card_number": QR_NUMBER, "issued_at_us": ISSUED, "expires_at_us": EXPIRES}
    return sign_qr_card(key, **{**values, **fields})


def check(data, uid=UID, **overrides) -> CardVerdict:
    """verify_card with a fresh revocation list, nothing revoked, and the member known."""
    arguments = {
        "uid": uid,
        "keys": KEYS,
        "now_us": NOW,
        "is_revoked": lambda number: False,
        "revocations_as_of_us": NOW - 3600 * S,
        "max_revocation_age_us": 7 * DAY,
        "member_exists": lambda member: member == MEMBER,
    }
    return verify_card(data, **{**arguments, **overrides})


def rewrap(signed: bytes) -> bytes:
    return ndef_message(signed)


def signed_bytes(message: bytes) -> bytes:
    return payload_from_ndef(message)


# --- round trips --------------------------------------------------------------------------------


def test_a_card_without_profile_verifies_and_says_who_it_is():
    verdict = check(card())
    assert verdict == CardVerdict(
        True, None, payload=verdict.payload, detail="a card of before chip keys",
        checks=frozenset({"signature", "uid"}),
    )  # fmt: skip
    assert verdict.payload == CardPayload(
        member_id=MEMBER, card_number=NUMBER, key_id=7, issued_at_us=ISSUED, expires_at_us=EXPIRES, uid=UID
    )
    assert verdict.message_code is None
    assert verdict.error() is None


def test_a_card_with_profile_and_national_id_round_trips():
    verdict = check(card(profile=PROFILE, national_id_last4="0012"))
    assert verdict.valid
    assert verdict.profile == PROFILE
    assert verdict.payload.national_id_last4 == "0012"
    assert verdict.payload.profile == PROFILE


def test_a_card_that_never_expires_round_trips():
    verdict = check(card(expires_at_us=None), now_us=EXPIRES + 100 * 365 * DAY)
    assert verdict.valid
    assert verdict.payload.expires_at_us is None


def test_a_profile_without_birth_date_or_photo_round_trips():
    profile = CardProfile(name="Ali")
    assert check(card(profile=profile)).profile == profile


def test_a_qr_card_round_trips_without_a_uid():
    text = qr_card(profile=replace(PROFILE, photo_jpeg=None), national_id_last4="0012")
    assert text.startswith(PREFIX)
    verdict = check(text, uid=None)
    assert verdict.valid
    assert verdict.payload.is_qr
    assert verdict.payload.uid == b""
    assert verdict.payload.card_number == QR_NUMBER
    assert verdict.profile.name == PROFILE.name


def test_a_qr_card_ignores_any_uid_and_surrounding_white_space():
    assert check(qr_card() + "\r\n", uid=OTHER_UID).valid
    assert check("\t" + qr_card()).valid


def test_a_qr_payload_written_on_a_tag_is_no_more_than_the_qr_itself():
    tag = rewrap(payload_from_qr_text(qr_card()))
    assert check(tag, uid=OTHER_UID).valid


def test_the_record_is_found_beside_other_records_and_its_type_is_case_insensitive():
    ours = ndef.Record(MIME_TYPE.upper(), "", signed_bytes(card()))
    android = ndef.Record("urn:nfc:ext:android.com:pkg", "", b"ir.bashgah.app")
    assert check(b"".join(ndef.message_encoder([ours, android]))).valid


def test_keys_rotate_and_old_cards_still_verify():
    keys = {KEY.key_id: KEY.public, NEW_KEY.key_id: NEW_KEY.public}
    old, new = card(), card(key=NEW_KEY, card_number="6219000000000442")
    assert check(old, keys=keys).valid
    assert check(new, keys=keys).valid
    assert check(new).reason == CardReason.UNKNOWN_KEY  # a terminal that has not synced the new key yet


# --- each refusal from a real mutation ----------------------------------------------------------


def test_garbage_truncated_and_foreign_records_are_malformed():
    text_record = b"".join(ndef.message_encoder([ndef.TextRecord("hello")]))
    full = card()
    for data in (b"", b"\x00", b"garbage", full[:-1], full[: len(full) // 2], text_record):
        assert check(data).reason == CardReason.MALFORMED, data


def test_two_club_records_in_one_message_are_malformed():
    record = ndef.Record(MIME_TYPE, "", signed_bytes(card()))
    assert check(b"".join(ndef.message_encoder([record, record]))).reason == CardReason.MALFORMED


def test_another_version_is_malformed_even_when_signed():
    body = bytearray(encode_payload(decode_signed(signed_bytes(card())).payload))
    body[0] = 2
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signature = Ed25519PrivateKey.from_private_bytes(KEY.private).sign(SIGNING_CONTEXT + bytes(body))
    verdict = check(rewrap(bytes(body) + signature))
    assert verdict.reason == CardReason.MALFORMED
    assert "version 2" in verdict.detail


def test_qr_text_that_is_not_ours_is_malformed():
    good = qr_card()
    for text in ("", "hello", "6219000000000434", good[len(PREFIX) :], good + "!", good[:-5],
                 "bg1:" + good[len(PREFIX) :], PREFIX + "A", PREFIX + "AB==", "BG1:" + "ابپ"):
        assert check(text, uid=None).reason == CardReason.MALFORMED, text


def test_non_canonical_base64_is_refused():
    text = qr_card()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # 101 bytes end in a 2-byte group whose last character carries 2 spare bits, zero when canonical:
    # setting one changes the text but not the bytes. Only one text per payload is accepted.
    assert alphabet.index(text[-1]) % 4 == 0
    twin = text[:-1] + alphabet[alphabet.index(text[-1]) + 1]
    with pytest.raises(PayloadError, match="non-canonical"):
        payload_from_qr_text(twin)
    assert check(twin, uid=None).reason == CardReason.MALFORMED


def test_an_unknown_key_is_refused():
    verdict = check(card(key=NEW_KEY))
    assert (verdict.valid, verdict.reason, verdict.payload) == (False, CardReason.UNKNOWN_KEY, None)


def test_a_damaged_key_list_is_an_unknown_key_not_a_forgery():
    assert check(card(), keys={KEY.key_id: KEY.public[:31]}).reason == CardReason.UNKNOWN_KEY


def test_a_flipped_signature_bit_is_a_bad_signature():
    message = bytearray(card())
    message[-1] ^= 0x01
    verdict = check(bytes(message))
    assert (verdict.valid, verdict.reason, verdict.payload) == (False, CardReason.BAD_SIGNATURE, None)


def test_an_edited_card_number_is_a_bad_signature():
    signed = bytearray(signed_bytes(card()))
    signed[27] ^= 0x01  # the last BCD byte of the card number: 26 -> 27
    assert check(rewrap(bytes(signed))).reason == CardReason.BAD_SIGNATURE


def test_a_payload_copied_onto_another_chip_is_a_uid_mismatch():
    verdict = check(card(), uid=OTHER_UID)
    assert verdict.reason == CardReason.UID_MISMATCH
    assert verdict.payload.card_number == NUMBER  # signature was good: the log may name the card
    assert verdict.profile is None


def test_a_read_without_uid_is_a_uid_mismatch():
    assert check(card(), uid=None).reason == CardReason.UID_MISMATCH


def test_a_chip_cards_payload_shown_as_a_qr_code_is_a_uid_mismatch():
    copied = qr_text(signed_bytes(card()))
    assert check(copied, uid=UID).reason == CardReason.UID_MISMATCH


def test_an_expired_card_is_refused_from_its_expiry_on():
    assert check(card(), now_us=EXPIRES - 1).valid
    assert check(card(), now_us=EXPIRES).reason == CardReason.EXPIRED
    assert check(qr_card(), now_us=EXPIRES + DAY).reason == CardReason.EXPIRED


def test_a_revoked_card_is_refused_and_shows_no_profile():
    revoked = {NUMBER}
    verdict = check(card(profile=PROFILE), is_revoked=revoked.__contains__, revocations_as_of_us=None)
    assert (verdict.valid, verdict.reason, verdict.profile) == (False, CardReason.REVOKED, None)


def test_a_revoked_qr_does_not_revoke_the_members_chip_card():
    revoked = {QR_NUMBER}
    assert check(qr_card(), is_revoked=revoked.__contains__).reason == CardReason.REVOKED
    assert check(card(), is_revoked=revoked.__contains__).valid


@pytest.mark.parametrize("as_of", [None, NOW - 7 * DAY - 1])
def test_a_stale_revocation_list_allows_earning_only(as_of):
    verdict = check(card(), revocations_as_of_us=as_of)
    assert (verdict.valid, verdict.reason, verdict.earn_only) == (
        True, CardReason.REVOCATION_LIST_STALE, True
    )


def test_a_list_at_exactly_the_limit_is_fresh():
    assert check(card(), revocations_as_of_us=NOW - 7 * DAY).earn_only is False


def test_an_unknown_member_without_profile_is_refused():
    verdict = check(card(), member_exists=lambda member: False)
    assert (verdict.valid, verdict.reason, verdict.profile) == (False, CardReason.UNKNOWN_MEMBER, None)
    assert verdict.payload.member_id == MEMBER


def test_an_unknown_member_with_profile_still_shows_who_it_is():
    verdict = check(card(profile=PROFILE), member_exists=lambda member: False, revocations_as_of_us=None)
    assert (verdict.valid, verdict.reason) == (False, CardReason.UNKNOWN_MEMBER)
    assert verdict.profile == PROFILE
    assert verdict.earn_only  # the list is stale too: whoever admits them must not let them spend


def test_the_checks_run_in_the_design_order():
    everything_wrong = {
        "uid": OTHER_UID, "now_us": EXPIRES, "is_revoked": lambda n: True, "revocations_as_of_us": None,
        "member_exists": lambda m: False,
    }
    assert check(card(), **everything_wrong).reason == CardReason.UID_MISMATCH
    assert check(card(), **{**everything_wrong, "uid": UID}).reason == CardReason.EXPIRED
    assert check(card(), **{**everything_wrong, "uid": UID, "now_us": NOW}).reason == CardReason.REVOKED


def test_every_reason_has_a_message_in_both_languages():
    for reason in CardReason:
        verdict = CardVerdict(False, reason, payload=decode_signed(signed_bytes(card())).payload)
        assert verdict.message_code in MESSAGES
        assert NUMBER in message(verdict.error(), "en") or reason in {
            CardReason.MALFORMED, CardReason.UNKNOWN_KEY, CardReason.BAD_SIGNATURE
        }
        assert message(verdict.error(), "fa")


# --- sizes and issuing refusals -----------------------------------------------------------------


def test_a_card_without_profile_is_small():
    assert len(card()) == 139  # 31 bytes of NDEF header and type, 44 of payload, 64 of signature
    assert len(card(national_id_last4="0012")) == 141
    assert len(qr_card()) == 139  # characters: a version 8 QR code at error correction M


def test_the_largest_profile_fits_an_8k_type4_tag():
    profile = CardProfile(name="ب" * 127 + "x", birth_date=date(1990, 3, 21), photo_jpeg=FULL_PHOTO)
    message = card(profile=profile, national_id_last4="0012")
    assert len(message) == 4_502  # 34 bytes of NDEF header and type, 4,404 of payload, 64 of signature
    assert len(message) + 2 <= TYPE4_NDEF_FILE
    assert check(message).profile == profile


def test_a_photo_over_4k_is_refused_at_issuing():
    with pytest.raises(ClubError) as refused:
        card(profile=replace(PROFILE, photo_jpeg=FULL_PHOTO + b"\x00"))
    assert refused.value.code == "card_photo_too_large"
    assert refused.value.params == {"size": 4097, "limit": 4096}


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"card_number": "6219000000000427"}, "card_number_invalid"),
        ({"card_number": "6219 0000 0000 0426"}, "card_number_invalid"),
        ({"expires_at_us": ISSUED}, "card_dates_invalid"),
        ({"expires_at_us": ISSUED + S - 1}, "card_dates_invalid"),  # the same second on the card
        ({"profile": CardProfile(name="x" * 256)}, "card_name_too_long"),
        ({"profile": CardProfile(name=" ")}, "invalid_name"),
        ({"profile": CardProfile(name="Ali", photo_jpeg=b"\x89PNG\r\n")}, "card_photo_invalid"),
    ],
)
def test_issuing_refuses_what_a_manager_can_fix(fields, code):
    with pytest.raises(ClubError) as refused:
        card(**fields)
    assert refused.value.code == code


def test_a_qr_code_refuses_a_photo_it_could_not_hold():
    with pytest.raises(ClubError) as refused:
        qr_card(profile=PROFILE)
    assert refused.value.code == "card_qr_too_large"
    assert refused.value.params["limit"] == MAX_QR_TEXT


@pytest.mark.parametrize(
    "fields",
    [{"uid": b""}, {"uid": bytes(33)}, {"member_id": "not-a-uuid"}, {"national_id_last4": "12"},
     {"issued_at_us": 0}],
)
def test_issuing_refuses_programming_mistakes(fields):
    with pytest.raises(ValueError):
        card(**fields)


def test_a_key_id_must_match_the_signing_key():
    payload = decode_signed(signed_bytes(card())).payload
    with pytest.raises(ValueError):
        sign_payload(replace(payload, key_id=9), KEY)


# --- keys ---------------------------------------------------------------------------------------


def test_a_generated_key_signs_cards_its_public_key_verifies():
    key = generate_issuing_key(3)
    assert len(key.private) == len(key.public) == 32
    assert check(card(key=key), keys={3: key.public}).valid
    assert key.private.hex() not in repr(key)


@pytest.mark.parametrize("password", [None, b"correct horse"])
def test_keys_survive_pem(password):
    pem = private_key_pem(KEY, password)
    assert private_key_from_pem(7, pem, password) == KEY
    assert public_key_from_pem(public_key_pem(KEY.public)) == KEY.public


# --- the wire format ----------------------------------------------------------------------------


def test_wire_format_test_vector():
    message = card(national_id_last4="0012")
    assert message.hex() == VECTOR_CARD_HEX + VECTOR_SIGNATURE_HEX


def test_wire_format_test_vector_with_profile():
    message = card(profile=PROFILE, national_id_last4="0012")
    signed = signed_bytes(message)
    profile_at = 4 + 16 + 8 + 4 + 4 + 1 + len(UID) + 2
    name = PROFILE.name.encode("utf-8")
    assert signed[profile_at : profile_at + 1 + len(name) + 6] == (
        bytes([len(name)]) + name + struct.pack(">HBBH", 1990, 3, 21, len(PHOTO))
    )
    assert hashlib.sha256(message).hexdigest() == VECTOR_PROFILE_SHA256


def test_the_vector_decodes_to_its_inputs():
    payload = decode_signed(signed_bytes(bytes.fromhex(VECTOR_CARD_HEX + VECTOR_SIGNATURE_HEX))).payload
    assert payload == CardPayload(
        member_id=MEMBER, card_number=NUMBER, key_id=7, issued_at_us=ISSUED, expires_at_us=EXPIRES,
        uid=UID, national_id_last4="0012",
    )


def test_the_test_numbers_are_real_card_numbers():
    assert is_valid_card_number(NUMBER) and card_number("6219", 42) == NUMBER
    assert is_valid_card_number(QR_NUMBER)
    assert uuid.UUID(MEMBER).version == 7


# --- never an exception, never a hang ------------------------------------------------------------

# The deadline is the "returns quickly" check: every example must finish well within it.
FUZZ = settings(max_examples=400, deadline=timedelta(milliseconds=500),
                suppress_health_check=[HealthCheck.too_slow])
VALID = card(profile=PROFILE, national_id_last4="0012")
VALID_SIGNED = signed_bytes(VALID)


def assert_a_verdict(verdict: CardVerdict) -> None:
    assert isinstance(verdict, CardVerdict)
    assert verdict.valid or verdict.reason in set(CardReason)


@FUZZ
@given(st.binary(max_size=600))
def test_any_bytes_give_a_verdict(data):
    assert_a_verdict(check(data))
    assert_a_verdict(check(rewrap(data)))  # the same bytes inside a well-formed record


@FUZZ
@given(st.text(max_size=600))
def test_any_text_gives_a_verdict(text):
    assert_a_verdict(check(text, uid=None))
    assert_a_verdict(check(PREFIX + text, uid=None))


@FUZZ
@given(st.integers(0, len(VALID) - 1))
def test_any_truncation_is_refused(cut):
    assert check(VALID[:cut]).reason == CardReason.MALFORMED


@FUZZ
@given(st.integers(0, len(VALID_SIGNED) - 1))
def test_any_truncated_payload_in_a_whole_record_is_refused(cut):
    assert check(rewrap(VALID_SIGNED[:cut])).reason in {CardReason.MALFORMED, CardReason.BAD_SIGNATURE}


@FUZZ
@given(st.integers(0, len(VALID) * 8 - 1))
def test_any_single_bit_flip_is_refused_unless_the_payload_is_untouched(bit):
    flipped = bytearray(VALID)
    flipped[bit // 8] ^= 1 << (bit % 8)
    verdict = check(bytes(flipped))
    assert_a_verdict(verdict)
    if verdict.valid:  # e.g. the case of a letter in the MIME type: the signed bytes are the same
        assert payload_from_ndef(bytes(flipped)) == VALID_SIGNED


@FUZZ
@given(st.integers(0, len(VALID_SIGNED) * 8 - 1))
def test_any_single_bit_flip_in_the_payload_is_refused(bit):
    flipped = bytearray(VALID_SIGNED)
    flipped[bit // 8] ^= 1 << (bit % 8)
    verdict = check(rewrap(bytes(flipped)))
    assert not verdict.valid
    assert verdict.reason in {CardReason.MALFORMED, CardReason.UNKNOWN_KEY, CardReason.BAD_SIGNATURE}


@FUZZ
@given(st.integers(0, 7), st.binary(max_size=400))
def test_any_body_behind_a_plausible_head_gives_a_verdict(flags, tail):
    # Random bytes rarely get past the version and flags; this feeds the UID and profile parsers.
    head = bytes([1, flags, 0, 7]) + uuid.UUID(MEMBER).bytes + bytes.fromhex(NUMBER)
    assert_a_verdict(check(rewrap(head + bytes.fromhex("6774858000000000") + tail)))


@FUZZ
@given(st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=4))
def test_lying_length_fields_are_refused(at, lie):
    forged = bytearray(VALID)
    forged[at : at + len(lie)] = lie
    assert_a_verdict(check(bytes(forged)))


@pytest.mark.parametrize(
    "data",
    [
        bytes([0xC2, 0x1C]) + b"\xff\xff\xff\xff" + MIME_TYPE.encode(),  # NDEF payload of 4 GB
        bytes([0xC2, 0x1C]) + b"\x00\x0f\xff\xff" + MIME_TYPE.encode() + b"x",  # just under ndeflib's 1 MB
        rewrap(bytes([1, 4]) + bytes(34) + b"\xff"),  # a UID of 255 bytes, none there
        rewrap(bytes([1, 4]) + bytes(34) + b"\x00\xff" + bytes(60)),  # a name of 255 bytes on short data
        rewrap(bytes([1, 5]) + bytes(34) + b"\x00\x03abc\x00\x00\x00\x00\xff\xff" + bytes(64)),  # 64 KB photo
        b"\x00" * 100_000,
    ],
)
def test_huge_lengths_on_short_data_are_malformed(data):
    assert check(data).reason == CardReason.MALFORMED


def test_non_bytes_give_a_verdict():
    for data in (None, 42, [1, 2], bytearray(VALID), memoryview(VALID)):
        assert_a_verdict(check(data))
    assert check(bytearray(VALID)).valid


profiles = st.builds(
    CardProfile,
    name=st.text(min_size=1, max_size=60).filter(lambda s: s.strip() and len(s.encode()) <= 255),
    birth_date=st.none() | st.dates(min_value=date(1900, 1, 1)),
    photo_jpeg=st.none() | st.binary(max_size=200).map(lambda b: b"\xff\xd8\xff" + b),
)


cards = st.fixed_dictionaries({
    "serial": st.integers(0, 10**11 - 1),
    "member": st.uuids(),
    "uid": st.binary(min_size=1, max_size=32),
    "issued_s": st.integers(1, 2**32 - 2),
    "lifetime_s": st.none() | st.integers(1, 10**9),
    "last4": st.none() | st.from_regex(r"[0-9]{4}", fullmatch=True),
    "profile": st.none() | profiles,
})


@settings(max_examples=150, deadline=timedelta(milliseconds=500))
@given(cards)
def test_any_card_round_trips(fields):
    issued_s, lifetime_s, member = fields["issued_s"], fields["lifetime_s"], str(fields["member"])
    expires_s = None if lifetime_s is None else min(issued_s + lifetime_s, 2**32 - 1)
    number = card_number("6219", fields["serial"])
    message = sign_card(
        KEY, member_id=member, card_number=number, uid=fields["uid"], issued_at_us=issued_s * S,
        expires_at_us=None if expires_s is None else expires_s * S, national_id_last4=fields["last4"],
        profile=fields["profile"],
    )
    verdict = check(message, uid=fields["uid"], now_us=issued_s * S, revocations_as_of_us=issued_s * S,
                    member_exists=lambda m: m == member)
    assert verdict.valid, verdict
    assert verdict.payload.card_number == number
    assert verdict.payload.member_id == member
    assert verdict.payload.national_id_last4 == fields["last4"]
    assert verdict.profile == fields["profile"]


def test_payload_errors_are_the_only_exception_from_parsing():
    with pytest.raises(PayloadError):
        payload_from_ndef(b"\xff\xff")
    with pytest.raises(PayloadError):
        payload_from_qr_text("BG1:!")
    with pytest.raises(PayloadError):
        decode_signed(b"\x01" * 10)


# --- the chip-keyed flag (issue 19: NTAG 424 DNA) ----------------------------------------------------


def test_a_chip_keyed_card_says_so_under_its_signature():
    message = card(chip_keyed=True)
    signed = decode_signed(signed_bytes(message))
    assert signed.payload.chip_keyed
    assert signed.signed[1] & 0x08  # flags bit 3
    assert not decode_signed(signed_bytes(card())).payload.chip_keyed


def test_the_chip_keyed_flag_cannot_be_dropped_without_breaking_the_signature():
    signed = bytearray(signed_bytes(card(chip_keyed=True)))
    signed[1] &= ~0x08
    assert check(rewrap(bytes(signed))).reason is CardReason.BAD_SIGNATURE


def test_a_qr_card_cannot_be_chip_keyed():
    payload = CardPayload(
        member_id=MEMBER, card_number=QR_NUMBER, key_id=7, issued_at_us=ISSUED, expires_at_us=EXPIRES,
        uid=b"", is_qr=True, chip_keyed=True,
    )  # fmt: skip
    with pytest.raises(ValueError, match="no chip"):
        encode_payload(payload)
    body = bytearray(encode_payload(replace(payload, chip_keyed=False)))
    body[1] |= 0x08
    with pytest.raises(PayloadError, match="chip-keyed"):
        decode_signed(bytes(body) + bytes(64))


def test_flags_beyond_the_chip_keyed_one_are_still_refused():
    body = bytearray(signed_bytes(card()))
    body[1] |= 0x10
    with pytest.raises(PayloadError, match="unknown flags"):
        decode_signed(bytes(body))
