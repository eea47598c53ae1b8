# SPDX-License-Identifier: GPL-3.0-or-later
"""The NTAG 424 DNA card keys of a tapped chip, for the card reader's device thread (issue 19).

A card names the branch key it was keyed with (its key-reference NDEF record, app.cards.ntag424.keys);
this terminal holds its branch's keys wrapped for its own wrap key (table chip_key, fetched by sync), and
the wrap key's private half at rest (app.store.wrap_key). `ChipKeys.card_key_for(ndef, uid)` picks the
branch key the card names, unwraps it (once: unwrapped branch keys are kept in memory only, in the
current snapshot, and `forget()` drops them) and diversifies the chip's read key from it; None when the
card names no key, or one this terminal does not hold (another branch's card, a retired generation): the
card is then read by its signature only, as cards of before issue 19 are.

Threads: build one `ChipKeys` per terminal on any thread; `card_key_for` and `issuing_keys` run on the
device thread and touch no database: they read an immutable snapshot that `reload()` (the sync client's
`on_chip_keys`, after each fetch) builds on its own thread with its own connection and swaps in whole.
Nothing here logs, raises or prints a key: messages name the branch and generation at most.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from app.cards.ntag424 import keys
from app.cards.ntag424.reading import ChipReading
from app.domain.errors import ClubError
from app.services.terminal import Terminal
from app.store import chip_keys, sync_state, wrap_key
from app.store.database import Database

log = logging.getLogger(__name__)
_BAD = b""  # the cache's mark of a wrapped key that did not unwrap: not tried again at every tap

KeyId = tuple[str, int, str]  # branch id, generation, role


@dataclass(frozen=True, slots=True)
class IssuingChipKeys:
    """The keys `bashgah card issue` writes into a factory-fresh chip of this branch's current generation."""

    ref: keys.KeyRef
    master: bytes = field(repr=False)  # the chip's key 0
    read: bytes = field(repr=False)  # key 1
    spares: tuple[bytes, ...] = field(repr=False)  # keys 2-4


@dataclass(frozen=True, slots=True)
class _Snapshot:
    device_id: str | None
    branch_id: str | None
    current_generation: int | None
    wrapped: Mapping[KeyId, bytes] = field(repr=False)
    unwrapped: dict[KeyId, bytes] = field(default_factory=dict, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _decode(wrapped: str) -> bytes | None:
    try:
        return base64.b64decode(wrapped, validate=True)
    except (binascii.Error, ValueError):
        return None


def _read_snapshot(db: Database) -> _Snapshot:
    with db.read() as conn:
        held = chip_keys.all_keys(conn)
        device_id = sync_state.get(conn, sync_state.DEVICE_ID)
        branch_id = sync_state.get(conn, sync_state.BRANCH_ID)
        generation = chip_keys.current_generation(conn)
    wrapped = {
        (k.branch_id, k.generation, k.role): raw for k in held if (raw := _decode(k.wrapped)) is not None
    }
    log.debug("chip keys loaded: %d held, generations %s", len(wrapped), sorted({g for _b, g, _r in wrapped}))
    return _Snapshot(device_id, branch_id, generation, MappingProxyType(wrapped))


def ensure_wrap_key(data_dir: Path, *, keyring: Any = wrap_key.AUTO) -> bytes:
    """The public half (32 raw bytes) of this data folder's wrap key, made and kept at rest first if there
    is none (at enrolment, before the request leaves: a retry sends the same key). ClubError
    `wrap_key_unusable` when one is kept but cannot be used (its file readable by others…)."""
    try:
        raw = wrap_key.load(data_dir, keyring=keyring)
        if raw is None:
            private = keys.new_wrap_key()
            wrap_key.save(data_dir, private.private_bytes_raw(), keyring=keyring)
            return keys.wrap_public_bytes(private)
    except wrap_key.WrapKeyError as error:
        raise ClubError("wrap_key_unusable", detail=str(error)) from None
    return keys.wrap_public_bytes(X25519PrivateKey.from_private_bytes(raw))


class ChipKeys:
    """This terminal's chip keys: built once, reloaded after each sync, asked at every tap."""

    def __init__(self, db: Database, data_dir: Path, *, keyring: Any = wrap_key.AUTO) -> None:
        self._db = db
        self.problem: str | None = None  # why there is no wrap key to use (for the log and doctor)
        self._private = self._load_private(Path(data_dir), keyring)
        self._snapshot = _read_snapshot(db)

    @classmethod
    def for_terminal(cls, terminal: Terminal, **kwargs: Any) -> ChipKeys:
        return cls(terminal.db, terminal.data_dir, **kwargs)

    def _load_private(self, data_dir: Path, keyring: Any) -> X25519PrivateKey | None:
        try:
            raw = wrap_key.load(data_dir, keyring=keyring)
        except wrap_key.WrapKeyError as error:
            self.problem = str(error)
            log.warning("chip keys unusable, chip cards are read by their signature only: %s", error)
            return None
        if raw is None:
            self.problem = "no wrap key (enrolled before chip keys)"
            return None
        return X25519PrivateKey.from_private_bytes(raw)

    @property
    def usable(self) -> bool:
        """Whether a card's AES challenge can be run at all here (a wrap key and at least one key held)."""
        return self._private is not None and bool(self._snapshot.wrapped)

    def reload(self) -> None:
        """Read the held keys again (after a sync stored a new set), on the calling thread; the unwrapped
        keys of the old set are dropped with it."""
        self._snapshot = _read_snapshot(self._db)

    def forget(self) -> None:
        """Drop the unwrapped branch keys from memory (the terminal locks or exits); they are unwrapped
        again at the next tap that needs them."""
        snapshot = self._snapshot
        with snapshot.lock:
            snapshot.unwrapped.clear()

    def _branch_key(self, snapshot: _Snapshot, key_id: KeyId) -> bytes | None:
        wrapped = snapshot.wrapped.get(key_id)
        if wrapped is None or self._private is None or snapshot.device_id is None:
            return None
        with snapshot.lock:
            cached = snapshot.unwrapped.get(key_id)
            if cached is None:
                branch_id, generation, role = key_id
                identity = keys.KeyIdentity(snapshot.device_id, branch_id, generation, role)  # type: ignore[arg-type]
                try:
                    cached = keys.unwrap_key(wrapped, self._private, identity)
                    log.debug("unwrapped the chip key of branch %s generation %d (%s)", *key_id)
                except keys.ChipKeyError:
                    log.warning("the chip key of branch %s generation %d (%s) did not unwrap", *key_id)
                    cached = _BAD
                snapshot.unwrapped[key_id] = cached
        return cached or None

    def card_key_for(self, ndef_message: bytes, uid: bytes) -> bytes | None:
        """The chip's read key (key 1) for the card whose NDEF message and UID were read; None when the
        card names no key or this terminal holds none for it. Never raises for any input."""
        ref = keys.key_ref_from_ndef(ndef_message)
        return None if ref is None else self.read_key(ref, uid)

    def read_key(self, ref: keys.KeyRef, uid: bytes) -> bytes | None:
        snapshot = self._snapshot
        branch_key = self._branch_key(snapshot, (ref.branch_id, ref.generation, "read"))
        if branch_key is None:
            return None
        try:
            return keys.card_key(branch_key, bytes(uid), keys.READ_KEY_NO)
        except keys.ChipKeyError:  # a UID no chip has
            return None

    def issuing_keys(self, uid: bytes) -> IssuingChipKeys | None:
        """The keys to write into a new card of this terminal's branch, current generation; None when this
        terminal holds no write key for it (only the branch's issuing terminals get one)."""
        snapshot = self._snapshot
        if snapshot.branch_id is None or snapshot.current_generation is None:
            return None
        ref = keys.KeyRef(snapshot.branch_id, snapshot.current_generation)
        write = self._branch_key(snapshot, (ref.branch_id, ref.generation, "write"))
        read = self._branch_key(snapshot, (ref.branch_id, ref.generation, "read"))
        if write is None or read is None:
            return None
        try:
            return IssuingChipKeys(
                ref,
                keys.card_key(write, bytes(uid), keys.MASTER_KEY_NO),
                keys.card_key(read, bytes(uid), keys.READ_KEY_NO),
                tuple(keys.card_key(write, bytes(uid), n) for n in keys.SPARE_KEY_NOS),
            )
        except keys.ChipKeyError:
            return None


def chip_keys_for(terminal: Terminal) -> ChipKeys | None:
    """The enrolled terminal's chip keys; None for one that never enrolled (the demo holds none)."""
    with terminal.db.read() as conn:
        if not sync_state.is_enrolled(conn):
            return None
    return ChipKeys.for_terminal(terminal)


def chip_reading(chip: ChipKeys | None) -> ChipReading:
    """What the PC/SC reader challenges chip-keyed cards with: this terminal's card keys, if any."""
    return ChipReading(card_key_for=chip.card_key_for) if chip is not None else ChipReading()
