# SPDX-License-Identifier: GPL-3.0-or-later
"""The terminal's chip keys (app.services.chip_keys) over the real store: keys wrapped for this terminal as
the server wraps them (app.cards.ntag424.keys over a test root), kept as they came in table chip_key, and
unwrapped only for a card that names them. Also: the card_tap outbox item of an accepted chip card, at the
till and at the door, and migration 0014 up and down."""

from __future__ import annotations

import base64
import json
import logging
import stat
import subprocess
import sys
import threading
from pathlib import Path

import ndef
import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import inspect, text

from app import logs
from app.cards.ntag424 import keys
from app.cards.ntag424.check import ChipProof
from app.domain.errors import ClubError
from app.domain.event import Event, Verdict
from app.domain.staff import Role, Staff
from app.services import door
from app.services.cards import bind_card, identify_card, prepare_card, revoke_card
from app.services.chip_keys import ChipKeys, IssuingChipKeys, ensure_wrap_key
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key
from app.services.terminal import Terminal
from app.store import chip_keys, outbox, sync_state, wrap_key
from app.store.database import DB_FILENAME, Database, make_engine
from app.store.migrate import alembic_config
from sync.protocol import CardTapItem, b64encode
from tests.support.club import BRANCH_1, MANAGER

ROOT = bytes(range(100, 132))  # the server's root in these tests
DEVICE = "01900000-0000-7000-8000-00000000d001"
OTHER_DEVICE = "01900000-0000-7000-8000-00000000d002"
BRANCH = "01900000-0000-7000-8000-00000000b001"
OTHER_BRANCH = "01900000-0000-7000-8000-00000000b002"
UID = bytes.fromhex("04A1B2C3D4E5F6")
HOST = Staff("00000000-0000-7000-8000-0000000000b1", "Host Arash", Role.HOST, BRANCH_1)
PAYLOAD = ndef.Record("application/vnd.bashgah.card", "", b"a signed payload, not checked here")


def card_ndef(branch_id: str = BRANCH, generation: int = 1) -> bytes:
    return keys.chip_ndef_message(PAYLOAD, keys.KeyRef(branch_id, generation))


def expected(
    uid: bytes, role: keys.Role = "read", key_no: int = keys.READ_KEY_NO, generation: int = 1
) -> bytes:
    return keys.card_key(keys.branch_key(ROOT, BRANCH, generation, role), uid, key_no)


def hold(
    db: Database,
    data_dir: Path,
    *,
    generations: tuple[int, ...] = (1,),
    roles: tuple[keys.Role, ...] = ("read",),
    current: int = 1,
    for_device: str = DEVICE,
) -> list[chip_keys.WrappedChipKey]:
    """What the sync client stores from the server's answer: this terminal's branch keys, sealed for the
    wrap key it made at enrolment (for `for_device`'s identity)."""
    public = ensure_wrap_key(data_dir)
    held = [
        chip_keys.WrappedChipKey(
            BRANCH, g, role,
            b64encode(keys.wrap_key(keys.branch_key(ROOT, BRANCH, g, role), public,
                                    keys.KeyIdentity(for_device, BRANCH, g, role))),
            1_000 + g,
        )
        for g in generations
        for role in roles
    ]  # fmt: skip
    with db.write() as conn:
        sync_state.put(conn, sync_state.DEVICE_ID, DEVICE)
        sync_state.put(conn, sync_state.BRANCH_ID, BRANCH)
        chip_keys.replace_all(conn, held, current, at_us=2_000)
    return held


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "till"


@pytest.fixture
def db(data_dir: Path) -> Database:
    return Database.open(data_dir)


# ---- the wrap key ---------------------------------------------------------------------------------


def test_the_wrap_key_is_made_once_kept_private_and_never_in_the_database(
    data_dir: Path, db: Database
) -> None:
    public = ensure_wrap_key(data_dir)
    assert ensure_wrap_key(data_dir) == public  # a retried enrolment sends the same key
    path = wrap_key.key_path(data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    private = wrap_key.load(data_dir)
    assert keys.wrap_public_bytes(keys.X25519PrivateKey.from_private_bytes(private)) == public
    db.close()
    raw = (data_dir / DB_FILENAME).read_bytes()
    assert private not in raw and b64encode(private).encode() not in raw


def test_a_wrap_key_others_can_read_stops_enrolment_in_words(data_dir: Path, db: Database) -> None:
    ensure_wrap_key(data_dir)
    wrap_key.key_path(data_dir).chmod(0o644)
    with pytest.raises(ClubError) as refused:
        ensure_wrap_key(data_dir)
    assert refused.value.code == "wrap_key_unusable" and "other users" in refused.value.params["detail"]


# ---- a card's key ---------------------------------------------------------------------------------


def test_a_card_of_this_branch_gets_the_key_the_server_s_root_gives(data_dir: Path, db: Database) -> None:
    hold(db, data_dir, generations=(1, 2), current=2)
    chip = ChipKeys(db, data_dir)
    assert chip.usable and chip.problem is None
    assert "wrapped=" not in repr(chip._snapshot) and "unwrapped=" not in repr(chip._snapshot)
    assert chip.card_key_for(card_ndef(generation=1), UID) == expected(UID, generation=1)
    assert chip.card_key_for(card_ndef(generation=2), UID) == expected(UID, generation=2)
    other_uid = bytes.fromhex("04000000000001")
    assert chip.card_key_for(card_ndef(), other_uid) == expected(other_uid)
    assert expected(other_uid) != expected(UID)


TWO_REFERENCES = b"".join(
    ndef.message_encoder([PAYLOAD, keys.key_ref_record(keys.KeyRef(BRANCH, 1)),
                          keys.key_ref_record(keys.KeyRef(OTHER_BRANCH, 1))])
)  # fmt: skip


def test_no_key_for_another_branch_an_unheld_generation_or_a_card_without_a_reference(
    data_dir: Path, db: Database
) -> None:
    hold(db, data_dir)
    chip = ChipKeys(db, data_dir)
    assert chip.card_key_for(card_ndef(OTHER_BRANCH), UID) is None
    assert chip.card_key_for(card_ndef(generation=3), UID) is None
    legacy = b"".join(ndef.message_encoder([PAYLOAD]))  # a card of before issue 19
    assert chip.card_key_for(legacy, UID) is None
    assert chip.card_key_for(card_ndef(), b"\x04") is None  # no chip has a one-byte UID
    assert chip.card_key_for(TWO_REFERENCES, UID) is None  # which one? neither


@pytest.mark.parametrize(
    "garbled",
    [b"", b"\x00", b"\xd1\x01", card_ndef()[:-3], bytes(range(256)), card_ndef()[:5] + b"\xff" * 40],
)
def test_garbled_ndef_gets_no_key_and_no_exception(data_dir: Path, db: Database, garbled: bytes) -> None:
    hold(db, data_dir)
    assert ChipKeys(db, data_dir).card_key_for(garbled, UID) is None


def test_keys_wrapped_for_another_terminal_do_not_unwrap_here(
    data_dir: Path, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    held = hold(db, data_dir, for_device=OTHER_DEVICE)  # a copied chip_key table from another till
    chip = ChipKeys(db, data_dir)
    assert chip.card_key_for(card_ndef(), UID) is None
    assert chip.card_key_for(card_ndef(), UID) is None  # tried once, remembered
    warnings = [r.getMessage() for r in caplog.records if "did not unwrap" in r.getMessage()]
    assert len(warnings) == 1 and BRANCH in warnings[0] and held[0].wrapped not in warnings[0]


def test_a_terminal_without_a_wrap_key_reads_by_signature_only(data_dir: Path, db: Database) -> None:
    chip = ChipKeys(db, data_dir)
    assert not chip.usable and "enrolled before chip keys" in chip.problem
    assert chip.card_key_for(card_ndef(), UID) is None and chip.issuing_keys(UID) is None


def test_a_new_set_is_taken_at_reload_and_unwrapped_keys_are_forgotten(data_dir: Path, db: Database) -> None:
    hold(db, data_dir, generations=(1,))
    chip = ChipKeys(db, data_dir)
    assert chip.card_key_for(card_ndef(generation=2), UID) is None
    hold(db, data_dir, generations=(2,), current=2)  # the branch rotated: generation 1 retired
    assert chip.card_key_for(card_ndef(generation=2), UID) is None  # the snapshot it was given
    chip.reload()
    assert chip.card_key_for(card_ndef(generation=2), UID) == expected(UID, generation=2)
    assert chip.card_key_for(card_ndef(generation=1), UID) is None
    chip.forget()
    assert chip.card_key_for(card_ndef(generation=2), UID) == expected(UID, generation=2)


def test_many_reader_threads_get_the_same_key_while_sync_reloads(data_dir: Path, db: Database) -> None:
    hold(db, data_dir, generations=(1, 2))
    chip = ChipKeys(db, data_dir)
    answers: list[bytes | None] = []
    start = threading.Barrier(9)

    def tap() -> None:
        start.wait()
        answers.extend(chip.card_key_for(card_ndef(generation=1 + n % 2), UID) for n in range(200))

    def sync() -> None:
        start.wait()
        for _ in range(50):
            chip.reload()
            chip.forget()

    threads = [threading.Thread(target=tap) for _ in range(8)] + [threading.Thread(target=sync)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 1600
    assert set(answers) == {expected(UID, generation=1), expected(UID, generation=2)}


def test_an_issuing_terminal_gets_the_write_keys_of_the_current_generation(
    data_dir: Path, db: Database
) -> None:
    hold(db, data_dir, generations=(1, 2), roles=("read", "write"), current=2)
    issuing = ChipKeys(db, data_dir).issuing_keys(UID)
    assert issuing is not None and issuing.ref == keys.KeyRef(BRANCH, 2)
    assert issuing.master == expected(UID, "write", keys.MASTER_KEY_NO, generation=2)
    assert issuing.read == expected(UID, generation=2)
    assert issuing.spares == tuple(expected(UID, "write", n, generation=2) for n in keys.SPARE_KEY_NOS)
    assert len(set(issuing.spares) | {issuing.master, issuing.read}) == 5
    assert issuing.master.hex() not in repr(issuing) and "master" not in repr(issuing)


def test_a_reading_terminal_gets_no_write_keys(data_dir: Path, db: Database) -> None:
    hold(db, data_dir, roles=("read",))
    assert ChipKeys(db, data_dir).issuing_keys(UID) is None


def test_the_held_set_is_replaced_whole_and_counted(data_dir: Path, db: Database) -> None:
    hold(db, data_dir, generations=(1, 2), roles=("read", "write"), current=2)
    with db.read() as conn:
        assert chip_keys.counts(conn) == {1: {"read": 1, "write": 1}, 2: {"read": 1, "write": 1}}
        assert chip_keys.current_generation(conn) == 2
    held = hold(db, data_dir, generations=(3,), current=3)
    with db.read() as conn:
        assert chip_keys.all_keys(conn) == held and chip_keys.counts(conn) == {3: {"read": 1}}
        stored = conn.execute(text("SELECT wrapped FROM chip_key")).scalar_one()
    assert stored == held[0].wrapped  # as it came: still wrapped
    assert keys.branch_key(ROOT, BRANCH, 3, "read").hex() not in stored


# ---- the card_tap outbox item -----------------------------------------------------------------------


@pytest.fixture
def card(terminal: Terminal) -> tuple[str, bytes]:
    create_issuing_key(terminal, 1)
    member = enroll_member(terminal, EnrollRequest(name="Sara Karimi", phone="09121234567")).member
    prepared = prepare_card(terminal, member.id, staff=MANAGER, uid=UID)
    bind_card(terminal, prepared.card.number, UID)
    return member.id, prepared.ndef


ISSUING = IssuingChipKeys(
    keys.KeyRef("0190a5b2-0000-7000-8000-0000000000aa", 1), master=bytes(range(16)), read=bytes(range(1, 17)),
    spares=(bytes(range(2, 18)),) * 3,
)  # fmt: skip


CHIP_UID = bytes.fromhex("04112233445566")  # a second chip: the first holds the card of before chip keys


def proof(read_counter: int | None = None) -> ChipProof:
    """What the PC/SC reader reports of a chip that answered the challenge."""
    return ChipProof("valid", "passed", CHIP_UID, read_counter, "test")


def taps(terminal: Terminal) -> list[CardTapItem]:
    with terminal.db.read() as conn:
        items = outbox.pending(conn, (outbox.CARD_TAP,))
    return [CardTapItem.model_validate_json(i.body) for i in items]


def test_an_accepted_chip_card_is_reported_once_a_tap(terminal: Terminal, card: tuple[str, bytes]) -> None:
    member_id, data = card
    before = terminal.clock.now_us()
    result = identify_card(terminal, data, UID)
    assert result.verdict.valid
    (tap,) = taps(terminal)
    assert (tap.card_number, tap.member_id, tap.purpose) == (result.card_number, member_id, "member")
    assert tap.chip == "signature" and tap.read_counter is None
    assert before <= tap.used_at_us <= terminal.clock.now_us()
    with terminal.db.read() as conn:
        (item,) = outbox.pending(conn, (outbox.CARD_TAP,))
    assert item.subject == result.card_number and item.kind in outbox.PUSHED_KINDS
    # a chip-keyed card whose chip answered the challenge (the reader's proof) is reported as such
    chip_keyed = prepare_card(terminal, member_id, staff=MANAGER, uid=CHIP_UID, chip=ISSUING).ndef
    identify_card(terminal, chip_keyed, CHIP_UID, proof=proof(read_counter=41))
    assert [(t.chip, t.read_counter) for t in taps(terminal)] == [("signature", None), ("challenge", 41)]


def test_refused_cards_and_qr_codes_are_not_reported(terminal: Terminal, card: tuple[str, bytes]) -> None:
    member_id, data = card
    assert not identify_card(terminal, data, bytes.fromhex("04FFFFFFFFFFFF")).verdict.valid  # a copy
    qr = prepare_card(terminal, member_id, staff=MANAGER, as_qr=True)
    assert identify_card(terminal, qr.qr_text, None).verdict.valid
    assert taps(terminal) == []
    number = identify_card(terminal, data, UID).card_number
    revoke_card(terminal, number, "lost on the bus", MANAGER, lost=True)
    assert not identify_card(terminal, data, UID).verdict.valid
    assert len(taps(terminal)) == 1  # the one before it was revoked


def test_a_chip_card_admitted_at_the_door_is_reported_with_the_admission(
    terminal: Terminal, card: tuple[str, bytes]
) -> None:
    member_id, _ = card
    now = terminal.clock.now_us()
    party = door.save_event(
        terminal, MANAGER, Event(terminal.new_id(), "Party", now, now + 3_600_000_000, venue="Hall")
    )
    door.invite(terminal, MANAGER, party.id, member_id)
    chip_keyed = prepare_card(terminal, member_id, staff=MANAGER, uid=CHIP_UID, chip=ISSUING).ndef
    admitted = door.admit_card(terminal, party.id, chip_keyed, CHIP_UID, HOST, proof=proof(read_counter=7))
    assert admitted.verdict is Verdict.ADMIT
    (tap,) = taps(terminal)
    assert (tap.purpose, tap.member_id, tap.chip, tap.read_counter) == ("door", member_id, "challenge", 7)


# ---- migration 0014 -------------------------------------------------------------------------------


def test_migration_0014_adds_the_table_and_takes_it_away(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / DB_FILENAME)
    config = alembic_config(engine)
    command.upgrade(config, "0013")
    assert "chip_key" not in inspect(engine).get_table_names()
    command.upgrade(config, "0014")
    columns = {c["name"] for c in inspect(engine).get_columns("chip_key")}
    assert columns == {"branch_id", "generation", "role", "wrapped", "created_at_us", "received_at_us"}
    assert inspect(engine).get_pk_constraint("chip_key")["constrained_columns"] == [
        "branch_id", "generation", "role",
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO chip_key VALUES ('b', 1, 'read', 'w', 1, 2)"))
    command.downgrade(config, "0013")
    assert "chip_key" not in inspect(engine).get_table_names()
    engine.dispose()


# ---- no key in a log, a crash report or --json ------------------------------------------------------


def forms(secret: bytes) -> list[str]:
    return [secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode()]


def test_no_key_in_the_logs_a_crash_report_or_json(
    terminal: Terminal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_dir = tmp_path / "logs"
    monkeypatch.setenv("BASHGAH_LOG_DIR", str(log_dir))
    setup = logs.start("window", level=logging.DEBUG, hooks=False)
    try:
        logging.getLogger().setLevel(logging.DEBUG)
        data_dir, db = terminal.data_dir, terminal.db
        held = hold(db, data_dir, generations=(1, 2), roles=("read", "write"), current=2)
        chip = ChipKeys(db, data_dir)
        assert chip.card_key_for(card_ndef(generation=2), UID) == expected(UID, generation=2)
        assert chip.issuing_keys(UID) is not None
        with db.write() as conn:  # one key garbled on its way: its unwrap fails, and says so in the log
            conn.execute(text("UPDATE chip_key SET wrapped = :w WHERE generation = 1 AND role = 'read'"),
                         {"w": base64.b64encode(bytes(keys.WRAPPED_LENGTH)).decode()})  # fmt: skip
        chip.reload()
        assert chip.card_key_for(card_ndef(generation=1), UID) is None
        private = wrap_key.load(data_dir)
        try:  # a key failing in the middle of its work, as a crash report would show it
            keys.unwrap_key(base64.b64decode(held[0].wrapped), X25519PrivateKey.generate(),
                            keys.KeyIdentity(DEVICE, BRANCH, 1, "read"))  # fmt: skip
        except keys.ChipKeyError:
            report = setup.report(*sys.exc_info())
        assert report is not None
    finally:
        setup.close()
    doctor = subprocess.run(
        [sys.executable, "-m", "app.cli", "doctor", "--json", "--data-dir", str(data_dir), "--timeout", "1"],
        check=False, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert json.loads(doctor.stdout)["terminal"] == "local"
    secrets = [private]
    for g in (1, 2):
        for role in keys.ROLES:
            branch_key = keys.branch_key(ROOT, BRANCH, g, role)
            secrets += [branch_key, *(keys.card_key(branch_key, UID, n) for n in range(5))]
    secrets += [base64.b64decode(k.wrapped) for k in held]
    texts = [p.read_text(encoding="utf-8") for p in log_dir.iterdir() if p.is_file()]
    log_text = (log_dir / "bashgah.log").read_text(encoding="utf-8")
    assert " DEBUG " in log_text and "unwrapped the chip key" in log_text and "did not unwrap" in log_text
    assert report.read_text(encoding="utf-8").count("ChipKeyError") >= 1
    for text_ in [*texts, doctor.stdout, doctor.stderr]:
        for secret in secrets:
            for form in forms(secret):
                assert form not in text_, "a key leaked"
