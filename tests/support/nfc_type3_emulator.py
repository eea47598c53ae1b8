# SPDX-License-Identifier: GPL-3.0-or-later
"""An NFC Forum Type 3 Tag (FeliCa) played over nfcpy's udp transport, for the nfc backend's tests.

    python -m tests.support.nfc_type3_emulator --port PORT --idm HEX --ndef HEX [--mode ndef|foreign|vanish]

The card is on the reader for as long as this process runs: start it to present the card, kill it to take the
card away (HARNESS.md: nfcpy's own `tagtool emulate` is broken on Python 3, so this is ours). Modes:
- `ndef`: an NDEF tag (system code 12FC, service 000B) serving the `--ndef` bytes, garbage or not;
- `foreign`: a FeliCa card of another system (0003) without NDEF, like a transit card;
- `vanish`: answers until it has served the NDEF attribute block, then exits without answering, as a card
  pulled away in the middle of a read.

It prints one line per event on stdout, flushed: `startup`, `activated`, `polled`, `read`, `vanished`,
`released` (the reader switched its field off). Tests wait on these lines, never on fixed sleeps.
`EmulatedCard` is the test side: it starts the process, collects those lines and kills it.

Threading: the emulator is one thread, nfcpy's `connect(card=...)` loop, until the process is killed.
`EmulatedCard` reads the process's output on a thread of its own; its methods may be called from any thread.
"""

from __future__ import annotations

import argparse
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nfc
import nfc.clf

# Imported now rather than on the first activation, which must answer within nfcpy's read timeout.
import nfc.tag.tt3

NDEF_SYSTEM = 0x12FC
FOREIGN_SYSTEM = 0x0003
NDEF_READ_SERVICE = 0x000B
# PMm: IC code (byte 1) 0xFF is no Sony product, so nfcpy activates a plain Type3Tag without probing. Byte 5
# (0x9B: a=3, b=3, e=2) sets nfcpy's read timeout to 38.7 ms per block + 38.7 ms. Shorter timeouts are not
# enough for a hop between two Python processes: nfcpy resends, the late answer to the first try is then
# taken for the answer to the next command, and the read fails.
PMM = bytes.fromhex("00FF0000009BFFFF")
BLOCKS_PER_READ = 12  # 12 blocks = 205-byte answers, under the udp driver's 290-byte frames
BLOCK = 16
CMD_POLLING, CMD_READ = 0x00, 0x06
LISTEN_S = 3600.0  # the process lives only while the card is "present": no reason to stop listening


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def attribute_block(ndef_length: int) -> bytes:
    """The Type 3 Tag NDEF attribute information block: version 1.0, read-only, checksum over bytes 0-13."""
    data_blocks = max(1, (ndef_length + BLOCK - 1) // BLOCK)
    block = bytearray(BLOCK)
    block[0] = 0x10
    block[1] = BLOCKS_PER_READ
    block[2] = 0  # no blocks per write: read-only
    block[3:5] = data_blocks.to_bytes(2, "big")
    block[9] = 0x00  # WriteF: no write in progress
    block[10] = 0x00  # RWFlag: read-only
    block[11:14] = ndef_length.to_bytes(3, "big")
    block[14:16] = sum(block[0:14]).to_bytes(2, "big")
    return bytes(block)


def block_reader(ndef: bytes) -> Callable[[int, bool, bool], bytes | None]:
    padded = ndef + bytes(-len(ndef) % BLOCK)
    blocks = [attribute_block(len(ndef))] + [padded[i : i + BLOCK] for i in range(0, len(padded), BLOCK)]

    def read_block(number: int, rb: bool, re: bool) -> bytes | None:
        return blocks[number] if number < len(blocks) else None

    return read_block


class Card:
    """What the card serves, across activations (the reader switches its field off and on)."""

    def __init__(self, idm: bytes, ndef: bytes, mode: str) -> None:
        self.idm, self.ndef, self.mode = idm, ndef, mode
        self.reads = 0

    def system(self) -> int:
        return FOREIGN_SYSTEM if self.mode == "foreign" else NDEF_SYSTEM

    def on_startup(self, target: Any) -> Any:
        target.brty = "212F"
        target.sensf_res = b"\x01" + self.idm + PMM + self.system().to_bytes(2, "big")
        return target

    def on_connect(self, tag: Any) -> bool:
        if self.mode != "foreign":
            tag.add_service(NDEF_READ_SERVICE, block_reader(self.ndef), None)
        tag.process_command = self._observed(tag.process_command)
        emit("activated")
        return True  # let connect run the command loop

    def on_release(self, tag: Any) -> bool:
        emit("released")
        return False  # keep listening: the card is still on the reader

    def _observed(self, process: Callable[[bytearray], Any]) -> Callable[[bytearray], Any]:
        def process_command(cmd: bytearray) -> Any:
            code = cmd[1] if len(cmd) > 1 else None
            if code == CMD_READ:
                if self.mode == "vanish" and self.reads >= 1:
                    emit("vanished")
                    raise SystemExit(0)  # unanswered, and the socket closes: the card is gone for good
                self.reads += 1
                emit("read")
            elif code == CMD_POLLING:
                emit("polled")
            return process(cmd)

        return process_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--idm", type=bytes.fromhex, required=True, help="8-byte FeliCa IDm, hex")
    parser.add_argument("--ndef", type=bytes.fromhex, default=b"", help="NDEF message bytes, hex")
    parser.add_argument("--mode", choices=("ndef", "foreign", "vanish"), default="ndef")
    args = parser.parse_args(argv)
    if len(args.idm) != 8 or args.idm[:2] == b"\x01\xfe":
        parser.error("IDm must be 8 bytes and not start with 01FE (that means NFC-DEP)")
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("nfc").setLevel(logging.ERROR)  # nfcpy logs every open at INFO
    card = Card(args.idm, args.ndef, args.mode)
    clf = nfc.ContactlessFrontend(f"udp:localhost:{args.port}")
    options = {
        "on-startup": card.on_startup,
        "on-connect": card.on_connect,
        "on-release": card.on_release,
        "timeout": LISTEN_S,
    }
    emit("startup")
    while True:
        clf.connect(card=options)


# --- the test side --------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def free_udp_port() -> int:
    """A UDP port free on all interfaces (nfcpy's listener binds 0.0.0.0) that nfcpy can parse: nfcpy turns
    the port into a service name when /etc/services has one, and then fails to read it back as a number."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("0.0.0.0", 0))
            port = probe.getsockname()[1]
        if socket.getnameinfo(("127.0.0.1", port), socket.NI_NUMERICHOST)[1].isdigit():
            return port


class EmulatedCard:
    """One presentation of an emulated card: the process starts with the card on the reader."""

    def __init__(self, port: int, idm: bytes, ndef: bytes = b"", mode: str = "ndef") -> None:
        command = [sys.executable, "-m", "tests.support.nfc_type3_emulator", "--port", str(port)]
        command += ["--idm", idm.hex(), "--ndef", ndef.hex(), "--mode", mode]
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._process = subprocess.Popen(
            command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
        )
        self._reader = threading.Thread(target=self._collect, name="emulator-output", daemon=True)
        self._reader.start()

    def count(self, line: str) -> int:
        with self._changed:
            return self._lines.count(line)

    def wait_for(self, line: str, times: int = 1, timeout_s: float = 10.0) -> None:
        """Wait until the emulator has printed `line` at least `times` times."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while self._lines.count(line) < times:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"emulator printed {line!r} < {times} times in {timeout_s}s: {self._lines}"
                    )
                self._changed.wait(remaining)

    def remove(self) -> None:
        """Take the card off the reader (kill the process); harmless twice."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait(timeout=10)
        self._reader.join(timeout=10)

    def _collect(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            with self._changed:
                self._lines.append(line.strip())
                self._changed.notify_all()


if __name__ == "__main__":
    sys.exit(main())
