# SPDX-License-Identifier: GPL-3.0-or-later
"""Chip keys between a real club server process and real tills: the wrap key sent at enrolment, the
branch's keys fetched after the pull (GET /v1/chip-keys) and stored still wrapped, a card of the branch
opened by every till of the branch and by no till of another, an accepted chip card's tap pushed, and no
key anywhere in the logs (at DEBUG), a crash report or `--json` output.
"""

from __future__ import annotations

import base64
import logging
import sys
from pathlib import Path

import ndef
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app import logs
from app.cards.ntag424 import keys
from app.services.cards import bind_card, identify_card, prepare_card
from app.services.chip_keys import ChipKeys
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import load_issuing_key
from app.store import chip_keys, outbox, sync_state, wrap_key
from tests.integration.sync.conftest import ISF, THR, ClubServer
from tests.integration.sync.test_cli_sync import bashgah, ok_json
from tests.support.club import MANAGER

UID = bytes.fromhex("04C0FFEE000001")


def card_ndef(branch_id: str, generation: int) -> bytes:
    record = keys.key_ref_record(keys.KeyRef(branch_id, generation))
    return b"".join(ndef.message_encoder([record]))


def held(terminal) -> tuple[list[chip_keys.WrappedChipKey], int | None]:
    with terminal.db.read() as conn:
        return chip_keys.all_keys(conn), chip_keys.current_generation(conn)


def secrets_of(data_dir: Path, device_id: str) -> list[str]:
    """Every key this till holds, as it could leak: hex and base64 of the wrap key, each wrapped key, each
    unwrapped branch key and the card keys a tap of UID would use."""
    private = wrap_key.load(data_dir)
    assert private is not None
    found = [private]
    wrap_private = X25519PrivateKey.from_private_bytes(private)
    from app.store.database import Database

    db = Database.open(data_dir)
    with db.read() as conn:
        stored = chip_keys.all_keys(conn)
    db.close()
    for key in stored:
        wrapped = base64.b64decode(key.wrapped)
        branch_key = keys.unwrap_key(
            wrapped, wrap_private, keys.KeyIdentity(device_id, key.branch_id, key.generation, key.role)
        )
        found += [wrapped, branch_key, *(keys.card_key(branch_key, UID, n) for n in range(5))]
    return [
        form
        for secret in found
        for form in (secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode())
    ]


def assert_no_secret(texts: list[str], secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, "a key leaked"


def test_a_server_without_chip_keys_is_no_error_and_the_held_set_stays(
    club_server: ClubServer, tmp_path: Path
):
    terminal, client = club_server.enroll(tmp_path / "till")
    before = chip_keys.WrappedChipKey(THR, 1, "read", base64.b64encode(bytes(76)).decode(), 1)
    with terminal.db.write() as conn:
        chip_keys.replace_all(conn, [before], 1, at_us=1)
    client.chip_keys_path = "/v1/chip-keys-of-a-newer-server"  # a route this server does not have: 404
    summary = client.sync_round()
    assert summary.ok and summary.errors == [] and summary.chip_keys is None
    assert held(terminal) == ([before], 1)


def test_a_till_enrolled_before_chip_keys_does_not_ask(club_server: ClubServer, tmp_path: Path):
    terminal, client = club_server.enroll(tmp_path / "till")
    wrap_key.key_path(terminal.data_dir).unlink()  # as tills enrolled before issue 19 are
    client.chip_keys_path = "/v1/chip-keys-of-a-newer-server"  # asked, it would be answered 404
    summary = client.sync_round()
    assert summary.ok and summary.chip_keys is None
    assert not ChipKeys.for_terminal(terminal).usable


# ---- with the server's endpoint (issue 19's server part) ---------------------------------------------


def test_the_branch_s_keys_open_its_cards_at_each_of_its_tills_only(club_server: ClubServer, tmp_path: Path):
    tills = {name: club_server.enroll(tmp_path / name, branch) for name, branch in
             (("thr-1", "THR"), ("thr-2", "THR"), ("isf-1", "ISF"))}  # fmt: skip
    for _terminal, client in tills.values():
        summary = client.sync_round()
        assert summary.ok and summary.chip_keys, summary.errors
    thr_keys, generation = held(tills["thr-1"][0])
    assert generation is not None and {(k.branch_id, k.role) for k in thr_keys} >= {(THR, "read")}
    assert all(k.branch_id == THR for k in thr_keys)  # no other branch's key
    thr_card, isf_card = card_ndef(THR, generation), card_ndef(ISF, held(tills["isf-1"][0])[1])
    opened = {name: ChipKeys.for_terminal(terminal) for name, (terminal, _client) in tills.items()}
    one, two = opened["thr-1"].card_key_for(thr_card, UID), opened["thr-2"].card_key_for(thr_card, UID)
    assert one is not None and len(one) == 16 and one == two  # one branch key, sealed for each till
    assert opened["isf-1"].card_key_for(thr_card, UID) is None
    assert opened["isf-1"].card_key_for(isf_card, UID) not in (None, one)
    assert opened["thr-1"].card_key_for(isf_card, UID) is None
    # stored as they came: still wrapped, each for its own till
    assert {k.wrapped for k in thr_keys}.isdisjoint(k.wrapped for k in held(tills["thr-2"][0])[0])


def test_an_accepted_chip_card_s_tap_is_pushed(club_server: ClubServer, tmp_path: Path):
    terminal, client = club_server.enroll(tmp_path / "till")
    load_issuing_key(terminal)
    member = enroll_member(terminal, EnrollRequest(name="Sara Karimi", phone="09121234567")).member
    prepared = prepare_card(terminal, member.id, staff=MANAGER, uid=UID)
    bind_card(terminal, prepared.card.number, UID)
    assert identify_card(terminal, prepared.ndef, UID).verdict.valid
    summary = client.sync_round()
    assert summary.ok, summary.errors
    with terminal.db.read() as conn:
        (item,) = outbox.about(conn, prepared.card.number, (outbox.CARD_TAP,))
        assert outbox.answer(conn, item.id) == ("accepted", None)


def test_no_key_in_the_logs_a_crash_report_or_json(
    club_server: ClubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    log_dir = tmp_path / "logs"
    monkeypatch.setenv("BASHGAH_LOG_DIR", str(log_dir))
    setup = logs.start("sync", level=logging.DEBUG, hooks=False)
    try:
        logging.getLogger().setLevel(logging.DEBUG)
        terminal, client = club_server.enroll(tmp_path / "till")
        client.on_chip_keys = (chip := ChipKeys.for_terminal(terminal)).reload
        summary = client.sync_round()
        assert summary.ok and summary.chip_keys, summary.errors
        with terminal.db.read() as conn:
            generation = chip_keys.current_generation(conn)
            device_id = sync_state.get(conn, sync_state.DEVICE_ID)
        assert chip.card_key_for(card_ndef(THR, generation), UID) is not None
        stored, _ = held(terminal)
        try:  # a key that fails on its way, as a crash would show it
            keys.unwrap_key(base64.b64decode(stored[0].wrapped), X25519PrivateKey.generate(),
                            keys.KeyIdentity(device_id, THR, generation, "read"))  # fmt: skip
        except keys.ChipKeyError:
            report = setup.report(*sys.exc_info())
        assert report is not None
    finally:
        setup.close()
    terminal.db.close()
    secrets = secrets_of(tmp_path / "till", device_id)
    outputs = [
        bashgah(tmp_path / "till", "doctor", "--json").stdout,
        str(ok_json(tmp_path / "till", "sync", "--once")),
    ]
    files = [p.read_text(encoding="utf-8") for p in log_dir.iterdir() if p.is_file()]
    assert any("DEBUG" in text for text in files)  # it did log at DEBUG
    assert_no_secret([*files, *outputs], secrets)
