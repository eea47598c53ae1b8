# SPDX-License-Identifier: GPL-3.0-or-later
"""Our own NFC Forum Type 4 Tag, played to pcscd through vsmartcard's virtual reader (vpcd).

The card is the TCP client (HARNESS.md): connecting to vpcd's port (127.0.0.1:35963 for "Virtual PCD 00 00",
35964 for "… 00 01") is inserting it, closing the socket is taking it away. Frames are a 2-byte big-endian
length + payload; a 1-byte payload is a control code (0 off, 1 on, 2 reset, 4 get ATR — only the last is
answered), anything longer a command APDU answered by exactly one frame.

Three layers, each usable alone:
- `Type4Card`: the card's logic, `respond(apdu) -> bytes | None` (None: the card vanishes). Unit tests use
  it as a `transmit` function; `card.ndef` is what it holds after writes, `card.apdus` what it was sent.
- `CardEmulator`: one card on one vpcd port, served on a thread of this process (`insert()` / `remove()`).
- the command line (`python -m tests.support.type4_emulator --uid HEX --ndef-file F …`), and
  `EmulatorProcess` to drive it from Python, for benchmarks and other processes.

It misbehaves on demand (`Faults`): a truncated response, a wrong status word, or vanishing mid-read.

vpcd takes one card per port and a second connection to a busy port hangs, so `kill_stale_emulators(port)`
ends leftover emulator processes on that port (only processes running this module); the command line does
it before inserting unless given --keep-stale. Within one process, inserting twice on a port is an error.

Threading: a `Type4Card` is used by one thread at a time; `CardEmulator.insert` / `remove` are called from
one controlling thread while its own serving thread answers vpcd.

vpcd listens on all interfaces: this is a test tool, never for a shop's terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

VPCD_PORT = 35963  # "Virtual PCD 00 00"; the second reader is on VPCD_PORT + 1
VPCD_HOST = "127.0.0.1"
DEFAULT_ATR = bytes.fromhex("3B80800101")  # T=0/T=1, no historical bytes

NDEF_AID = bytes.fromhex("D2760000850101")
CC_FILE_ID = 0xE103
NDEF_FILE_ID = 0xE104

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY = b"\x69\x82"  # write to a read-only file
SW_NO_FILE_SELECTED = b"\x69\x86"
SW_NOT_FOUND = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6b\x00"
SW_WRONG_INS = b"\x6d\x00"
SW_WRONG_CLA = b"\x6e\x00"
SW_EOF = b"\x62\x82"  # fewer bytes than asked: end of file

CONTROL_OFF, CONTROL_ON, CONTROL_RESET, CONTROL_ATR = 0, 1, 2, 4
EMULATOR_MODULE = "tests.support.type4_emulator"
# every emulator module serving vpcd through this one: a stale one of either kind blocks the port
EMULATOR_MODULES = (EMULATOR_MODULE, "tests.support.ntag424_emulator")


@dataclass(frozen=True, slots=True)
class Faults:
    """Misbehaviour on demand. APDU numbers count from 1 at each power-up (insertion or reset: vpcd's control
    codes 1 and 2 call `Type4Card.start_session`)."""

    truncate_at: int | None = None  # that APDU's response loses its last byte (the status word breaks)
    bad_sw_at: int | None = None  # that APDU is answered with `bad_sw` alone
    bad_sw: bytes = b"\x6f\x00"  # "no precise diagnosis"
    vanish_after: int | None = None  # answer this many APDUs, then drop the connection on the next
    not_ndef: bool = False  # a foreign card: no NDEF application


class Type4Card:
    """An NFC Forum Type 4 Tag (mapping 2.0): the NDEF application, its CC file E103 and NDEF file E104."""

    def __init__(
        self,
        uid: bytes,
        ndef: bytes,
        *,
        file_size: int = 2048,
        mle: int = 0x00FF,
        mlc: int = 0x00FF,
        read_only: bool = False,
        faults: Faults | None = None,
    ) -> None:
        if len(ndef) + 2 > file_size:
            raise ValueError(f"an NDEF message of {len(ndef)} bytes does not fit a {file_size}-byte file")
        self.uid = bytes(uid)
        self.mle, self.mlc, self.file_size, self.read_only = mle, mlc, file_size, read_only
        self.faults = faults or Faults()
        self._ndef_file = bytearray(file_size)
        self._ndef_file[0:2] = len(ndef).to_bytes(2, "big")
        self._ndef_file[2 : 2 + len(ndef)] = ndef
        self._app_selected = False
        self._selected: int | None = None
        self.apdu_count = 0
        self.apdus: list[bytes] = []  # every command APDU received, in order (for assertions)

    # ------------------------------------------------------------------ state

    @property
    def ndef(self) -> bytes:
        """The NDEF message the card holds now (after any writes)."""
        length = int.from_bytes(self._ndef_file[0:2], "big")
        return bytes(self._ndef_file[2 : 2 + min(length, self.file_size - 2)])

    def capability_container(self) -> bytes:
        write_access = 0xFF if self.read_only else 0x00
        return (
            struct.pack(">HBHH", 15, 0x20, self.mle, self.mlc)
            + struct.pack(">BBHHBB", 0x04, 0x06, NDEF_FILE_ID, self.file_size, 0x00, write_access)
        )  # fmt: skip

    def start_session(self) -> None:
        """Power-up: nothing selected, APDU numbering starts again (the faults count from here)."""
        self._app_selected = False
        self._selected = None
        self.apdu_count = 0

    # ------------------------------------------------------------------ APDUs

    def respond(self, apdu: bytes) -> bytes | None:
        """The response (data + SW1 SW2) to one command APDU, or None when the card vanishes now."""
        self.apdu_count += 1
        self.apdus.append(bytes(apdu))
        faults = self.faults
        if faults.vanish_after is not None and self.apdu_count > faults.vanish_after:
            return None
        if faults.bad_sw_at == self.apdu_count:
            return faults.bad_sw
        response = self._answer(bytes(apdu))
        if faults.truncate_at == self.apdu_count:
            # Losing the last byte breaks the status word whatever the data: SW2 becomes 0x90, never 0x00.
            return response[:-1]
        return response

    def _answer(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        cla, ins = apdu[0], apdu[1]
        if cla == 0xFF:
            return self._get_uid(apdu) if ins == 0xCA else SW_WRONG_INS
        if cla != 0x00:
            return SW_WRONG_CLA
        handlers = {0xA4: self._select, 0xB0: self._read_binary, 0xD6: self._update_binary}
        handler = handlers.get(ins)
        return handler(apdu) if handler else SW_WRONG_INS

    def _get_uid(self, apdu: bytes) -> bytes:
        if apdu[2:4] != b"\x00\x00":
            return SW_WRONG_P1P2
        return self.uid + SW_OK

    def _select(self, apdu: bytes) -> bytes:
        p1, p2 = apdu[2], apdu[3]
        if len(apdu) < 6 or len(apdu) < 5 + apdu[4]:
            return SW_WRONG_LENGTH
        target = apdu[5 : 5 + apdu[4]]
        if p1 == 0x04:  # by name: the NDEF application
            if target != NDEF_AID or self.faults.not_ndef:
                self._app_selected = False
                return SW_NOT_FOUND
            self._app_selected, self._selected = True, None
            return SW_OK
        if p1 == 0x00 and p2 in (0x00, 0x0C) and len(target) == 2:  # by file id, inside the application
            file_id = int.from_bytes(target, "big")
            if not self._app_selected or file_id not in (CC_FILE_ID, NDEF_FILE_ID):
                return SW_NOT_FOUND
            self._selected = file_id
            return SW_OK
        return SW_WRONG_P1P2

    def _selected_file(self) -> bytearray | None:
        if self._selected == CC_FILE_ID:
            return bytearray(self.capability_container())
        if self._selected == NDEF_FILE_ID:
            return self._ndef_file
        return None

    def _read_binary(self, apdu: bytes) -> bytes:
        content = self._selected_file()
        if content is None:
            return SW_NO_FILE_SELECTED
        if len(apdu) != 5 or apdu[2] & 0x80:
            return SW_WRONG_LENGTH if len(apdu) != 5 else SW_WRONG_P1P2
        offset, wanted = int.from_bytes(apdu[2:4], "big"), apdu[4] or 256
        if offset > len(content):
            return SW_WRONG_P1P2
        data = bytes(content[offset : offset + wanted])
        return data + (SW_OK if len(data) == wanted else SW_EOF)

    def _update_binary(self, apdu: bytes) -> bytes:
        if self._selected != NDEF_FILE_ID:
            return SW_SECURITY if self._selected == CC_FILE_ID else SW_NO_FILE_SELECTED
        if self.read_only:
            return SW_SECURITY
        if len(apdu) < 6 or len(apdu) != 5 + apdu[4] or apdu[2] & 0x80:
            return SW_WRONG_LENGTH
        offset, data = int.from_bytes(apdu[2:4], "big"), apdu[5:]
        if offset + len(data) > self.file_size:
            return SW_WRONG_P1P2
        self._ndef_file[offset : offset + len(data)] = data
        return SW_OK


# ---------------------------------------------------------------------- one card on a vpcd port

_ports_in_use: set[int] = set()  # this process's inserted emulators: a second client on a port would hang
_ports_lock = threading.Lock()


class CardEmulator:
    """One `Type4Card` inserted into vpcd's reader on `port`, answered on a thread of this process."""

    def __init__(
        self, card: Type4Card, port: int = VPCD_PORT, host: str = VPCD_HOST, atr: bytes = DEFAULT_ATR
    ) -> None:
        self.card, self.port, self.host, self.atr = card, port, host, atr
        self.accepted = threading.Event()  # vpcd has spoken to us: the reader sees the card
        self.vanished = threading.Event()  # the card dropped the connection itself (Faults.vanish_after)
        self.closed = threading.Event()  # the connection is over, for whatever reason
        self.inserted_ns: int | None = None  # time.monotonic_ns() when the TCP connection was made
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> CardEmulator:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    @property
    def inserted(self) -> bool:
        return self._thread is not None and not self.closed.is_set()

    def insert(self, timeout_s: float = 5.0) -> int:
        """Connect to vpcd (the card is now in the reader); returns the monotonic ns of the connection.

        Retries while vpcd is not listening yet (pcscd starting) for up to timeout_s."""
        if self._thread is not None:
            if not self.closed.is_set():
                raise RuntimeError("this emulator is already inserted; remove() it first")
            self.remove()  # it vanished (or vpcd went away): tidy up, then insert again
        with _ports_lock:
            if self.port in _ports_in_use:
                raise RuntimeError(f"another emulator of this process holds port {self.port}")
            _ports_in_use.add(self.port)
        try:
            sock = _connect(self.host, self.port, timeout_s)
        except BaseException:
            with _ports_lock:
                _ports_in_use.discard(self.port)
            raise
        self.inserted_ns = time.monotonic_ns()
        self.card.start_session()
        self.accepted.clear()
        self.vanished.clear()
        self.closed.clear()
        self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"type4-emulator-{self.port}", daemon=True
        )
        self._thread.start()
        return self.inserted_ns

    def remove(self, timeout_s: float = 5.0) -> None:
        """Take the card away (close the connection); harmless when it is not inserted."""
        sock, thread = self._sock, self._thread
        if thread is None or sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes the serving thread's recv()
        thread.join(timeout_s)
        self._sock = self._thread = None

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                frame = _recv_frame(sock)
                if frame is None:
                    return  # vpcd closed: pcscd stopped, or remove()
                self.accepted.set()
                reply = self._reply(frame)
                if reply is _VANISH:
                    self.vanished.set()
                    return
                if reply is not None:
                    sock.sendall(len(reply).to_bytes(2, "big") + reply)  # one send: no Nagle split
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with _ports_lock:
                _ports_in_use.discard(self.port)
            self.closed.set()

    def _reply(self, frame: bytes) -> bytes | object | None:
        if len(frame) == 1:
            if frame[0] == CONTROL_ATR:
                return self.atr
            if frame[0] in (CONTROL_ON, CONTROL_RESET):
                self.card.start_session()
            return None  # power off / on / reset expect no answer
        response = self.card.respond(frame)
        return _VANISH if response is None else response


_VANISH = object()


def _connect(host: str, port: int, timeout_s: float) -> socket.socket:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=timeout_s)
            break
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)  # vpcd not listening yet: pcscd is (re)starting
    sock.settimeout(None)
    # vpcd sends each frame's length and payload in two writes: without these, delayed ACK and Nagle
    # stall every APDU by ~40 ms (HARNESS.md). QUICKACK is not sticky, so _recv_exact sets it each time.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _recv_frame(sock: socket.socket) -> bytes | None:
    header = _recv_exact(sock, 2)
    if header is None:
        return None
    size = int.from_bytes(header, "big")
    return _recv_exact(sock, size) if size else b""


# ---------------------------------------------------------------------- stale emulators


def kill_stale_emulators(port: int) -> list[int]:
    """SIGTERM (then SIGKILL) other emulator processes on `port`: vpcd takes one card per port, and a
    second connection to a busy port hangs. Only processes running this module are touched."""
    killed = []
    for pid, argv in _emulator_processes():
        if pid != os.getpid() and _port_of(argv) == port:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
                killed.append(pid)
    deadline = time.monotonic() + 3.0
    for pid in killed:
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return killed


def _emulator_processes() -> list[tuple[int, list[str]]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv if a]
        if "-m" in args and any(module in args for module in EMULATOR_MODULES):
            found.append((int(entry.name), args))
    return found


def _port_of(argv: list[str]) -> int:
    if "--port" in argv and argv.index("--port") + 1 < len(argv):
        with contextlib.suppress(ValueError):
            return int(argv[argv.index("--port") + 1])
    return VPCD_PORT


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours still answers kill(0); it is gone for our purpose.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    return False


# ---------------------------------------------------------------------- the command line


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {EMULATOR_MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--uid", required=True, help="the card's UID in hex, e.g. 04A1B2C3D4E5F6")
    message = parser.add_mutually_exclusive_group(required=True)
    message.add_argument("--ndef-file", type=Path, help="file holding the NDEF message (raw bytes)")
    message.add_argument("--ndef-hex", help="the NDEF message in hex")
    parser.add_argument("--port", type=int, default=VPCD_PORT, help="vpcd port (35963: reader 00 00)")
    parser.add_argument("--file-size", type=int, default=2048, help="NDEF file size declared in the CC")
    parser.add_argument("--mle", type=int, default=0xFF, help="MLe: largest READ BINARY answer")
    parser.add_argument("--mlc", type=int, default=0xFF, help="MLc: largest UPDATE BINARY data")
    parser.add_argument("--read-only", action="store_true")
    parser.add_argument("--truncate-at", type=int, help="APDU number whose response loses its last byte")
    parser.add_argument("--bad-sw-at", type=int, help="APDU number answered 6F00")
    parser.add_argument("--vanish-after", type=int, help="drop the connection after this many APDUs")
    parser.add_argument("--not-ndef", action="store_true", help="a foreign card without NDEF application")
    parser.add_argument(
        "--control",
        action="store_true",
        help="read 'insert' / 'remove' / 'quit' lines from stdin and answer 'inserted NS' / 'removed NS' "
        "(NS: time.monotonic_ns()); without it the card is inserted at once and stays until SIGTERM",
    )
    parser.add_argument("--keep-stale", action="store_true", help="do not kill other emulators on the port")
    return parser.parse_args(argv)


def _card_from(args: argparse.Namespace) -> Type4Card:
    ndef = args.ndef_file.read_bytes() if args.ndef_file else bytes.fromhex(args.ndef_hex)
    faults = Faults(
        truncate_at=args.truncate_at,
        bad_sw_at=args.bad_sw_at,
        vanish_after=args.vanish_after,
        not_ndef=args.not_ndef,
    )
    return Type4Card(
        bytes.fromhex(args.uid), ndef, file_size=args.file_size, mle=args.mle, mlc=args.mlc,
        read_only=args.read_only, faults=faults,
    )  # fmt: skip


def _say(line: str) -> None:
    print(line, flush=True)


def _run_controlled(emulator: CardEmulator) -> None:
    for line in sys.stdin:
        command = line.strip()
        if command == "insert":
            emulator.remove()  # a vanished card is inserted again cleanly
            _say(f"inserted {emulator.insert()}")
        elif command == "remove":
            emulator.remove()
            _say(f"removed {time.monotonic_ns()}")
        elif command == "quit":
            break
        elif command:
            _say(f"error unknown command {command!r}")


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if not args.keep_stale:
        kill_stale_emulators(args.port)
    emulator = CardEmulator(_card_from(args), port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if args.control:
            _say("ready")
            _run_controlled(emulator)
        else:
            _say(f"inserted {emulator.insert()}")
            while not stop.is_set() and not emulator.closed.is_set():
                stop.wait(0.1)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.remove()
    return 0


class EmulatorProcess:
    """The emulator as a child process in --control mode: `insert()` / `remove()` return the child's
    time.monotonic_ns() of the event (the same clock as this process's on Linux)."""

    module = EMULATOR_MODULE  # the emulator module the child runs (a subclass may run another)

    def __init__(
        self, uid: bytes, ndef: bytes, port: int = VPCD_PORT, extra_args: tuple[str, ...] = ()
    ) -> None:
        self._ndef_file = tempfile.NamedTemporaryFile(prefix="type4-ndef-", delete=False)  # noqa: SIM115
        self._ndef_file.write(ndef)
        self._ndef_file.close()
        argv = [sys.executable, "-m", self.module, "--control", "--uid", uid.hex(),
                "--ndef-file", self._ndef_file.name, "--port", str(port), *extra_args]  # fmt: skip
        root = Path(__file__).resolve().parents[2]  # so that `-m tests.support…` resolves
        self._process = subprocess.Popen(
            argv, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self._expect("ready")

    def insert(self) -> int:
        return self._command("insert", "inserted")

    def remove(self) -> int:
        return self._command("remove", "removed")

    def close(self, timeout_s: float = 5.0) -> None:
        if self._process.poll() is None:
            with contextlib.suppress(OSError):
                self._process.stdin.write("quit\n")  # type: ignore[union-attr]
                self._process.stdin.flush()  # type: ignore[union-attr]
            try:
                self._process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()
        with contextlib.suppress(OSError):
            os.unlink(self._ndef_file.name)

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _command(self, command: str, answer: str) -> int:
        self._process.stdin.write(command + "\n")  # type: ignore[union-attr]
        self._process.stdin.flush()  # type: ignore[union-attr]
        return int(self._expect(answer))

    def _expect(self, word: str) -> str:
        line = self._process.stdout.readline().strip()  # type: ignore[union-attr]
        head, _, rest = line.partition(" ")
        if head != word:
            raise RuntimeError(f"emulator said {line!r}, expected {word!r}")
        return rest


if __name__ == "__main__":
    sys.exit(main())
