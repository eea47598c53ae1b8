# SPDX-License-Identifier: GPL-3.0-or-later
"""Every command of the README's command blocks, run as shown, in order, on a fresh demo.

A newcomer copies the README's lines into a shell: each `bashgah …` and `bashgah-server …` line of every
fenced block (with the lines `\\` continues, and a `printf … | bashgah-server …` feeding a password) runs
in bash in one throwaway folder, where `.demo` is the terminal's demo data dir (BASHGAH_DATA_DIR points at
it for the lines without --data-dir) and BASHGAH_SERVER_DB a SQLite file, so the README's own `demo
seed` lines make the demo. A line fails the test with a traceback, or an exit code other than 0 and the
ones its comment announces ("exit 1 if not", "exit 2"). Lines of other programs (sudo, curl, make, an
environment's settings) are not run.

Not run: a block the README marks `<!-- readme-test: skip: why -->` on the line before its fence (a real
reader or printer, the window, a long-running server, root). Ids a command printed before are written
as EVENT_ID, ENTRY_ID, … in the README; the test fills them as the reader would copy them, from the
state the earlier lines left (PLACEHOLDERS below), and fails on one it does not know.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SKIP = re.compile(r"<!--\s*readme-test:\s*skip\b")
RUN = re.compile(r"^(?:(?:printf|echo) .*?\|\s*)?(bashgah(?:-server)?)\s")
PLACEHOLDER = re.compile(r"\b(?:[A-Z]+_)*(?:ID)\b")
COMMAND_TIMEOUT_S = 120


@dataclass(frozen=True)
class Line:
    number: int  # in README.md
    program: str  # bashgah or bashgah-server
    text: str  # the command as bash runs it (continuations joined)
    announced: frozenset[int]  # exit codes its comment announces, besides 0


def readme_lines(text: str) -> Iterator[Line]:
    """The runnable lines of the README's fenced blocks, in order."""
    lines = text.splitlines()
    inside, skipped, start = False, False, 0
    for index, raw in enumerate(lines):
        if raw.startswith("```"):
            if not inside:
                before = next((lines[j] for j in range(index - 1, -1, -1) if lines[j].strip()), "")
                skipped = bool(SKIP.search(before))
            inside = not inside
            continue
        if not inside or skipped or index < start:
            continue
        joined, end = raw, index
        while joined.rstrip().endswith("\\") and end + 1 < len(lines):
            end += 1
            joined = joined.rstrip()[:-1] + " " + lines[end].strip()
        start = end + 1
        found = RUN.match(joined.strip())
        if found is None:
            continue
        comment = joined.split(" #", 1)[1] if " #" in joined else ""
        announced = frozenset(int(n) for n in re.findall(r"\bexit (\d)\b", comment))
        yield Line(index + 1, found.group(1), joined.strip(), announced)


@dataclass
class Shell:
    folder: Path
    env: dict[str, str]

    def run(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", command], cwd=self.folder, env=self.env, capture_output=True, text=True,
            timeout=COMMAND_TIMEOUT_S, check=False,
        )  # fmt: skip

    def json(self, command: str) -> dict:
        done = self.run(command + " --json")
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        return json.loads(done.stdout)


MANAGER = '--staff "Mina Tehrani" --pin 8676'
PHONE = "09353821860"  # the demo's first sample member, as the README uses them
ENROLLED = "09351234567"  # the member the README's `member add` enrols: its card, its invitation
OTHER = "09198451424"  # another sample member, invited by id on the server


def _one(database: Path, sql: str, *params: object) -> str:
    """An id read straight from a data file, as a reader would copy it from an answer (a query costs
    nothing; one more command costs seconds of imports)."""
    with sqlite3.connect(database) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None, (database.name, sql, params)
    return str(row[0])


def _terminal(shell: Shell) -> Path:
    return shell.folder / ".demo" / "bashgah.sqlite3"


def _server(shell: Shell) -> Path:
    return shell.folder / "server.sqlite3"


def _phone(local: str) -> str:
    return "+98" + local[1:]


def _terminal_event(shell: Shell) -> str:
    return _one(_terminal(shell), "SELECT id FROM event WHERE name = 'Yalda night'")


def _server_event(shell: Shell) -> str:
    return _one(_server(shell), "SELECT id FROM event WHERE name = 'Yalda night'")


def _sale_entry(shell: Shell) -> str:  # the sale the README's `sale … --invoice F-1001` recorded
    return _one(
        _terminal(shell), "SELECT id FROM ledger_entry WHERE kind = 'earn' AND invoice_ref = 'F-1001'"
    )


def _last_sale(shell: Shell) -> str:
    return _one(
        _terminal(shell),
        "SELECT e.id FROM ledger_entry e JOIN member m ON m.id = e.member_id "
        "WHERE e.kind = 'earn' AND m.phone = ? ORDER BY e.created_at_us DESC, e.device_seq DESC",
        _phone(PHONE),
    )


def _check_in(shell: Shell) -> str:
    return _one(
        _terminal(shell), "SELECT id FROM ledger_entry WHERE kind = 'check_in' ORDER BY device_seq DESC"
    )


def _server_member(shell: Shell) -> str:
    return _one(_server(shell), "SELECT id FROM member WHERE phone = ?", _phone(OTHER))


def _token(shell: Shell) -> str:
    return _one(_server(shell), "SELECT id FROM admin_token WHERE name = 'Leila Ahmadi'")


# (program, placeholder) → how a reader finds the id the README means, from what the lines before did
PLACEHOLDERS: dict[tuple[str, str], Callable[[Shell], str]] = {
    ("bashgah", "EVENT_ID"): _terminal_event,
    ("bashgah", "ENTRY_ID"): _sale_entry,
    ("bashgah", "SALE_ID"): _last_sale,
    ("bashgah", "CHECK_IN_ID"): _check_in,
    ("bashgah-server", "EVENT_ID"): _server_event,
    ("bashgah-server", "MEMBER_ID"): _server_member,
    ("bashgah-server", "TOKEN_ID"): _token,
}


def filled(line: Line, shell: Shell) -> str:
    command = line.text.split(" #", 1)[0]
    for name in sorted(set(PLACEHOLDER.findall(command))):
        resolve = PLACEHOLDERS.get((line.program, name))
        assert resolve is not None, (
            f"README.md:{line.number}: the test does not know {name} of {line.program}"
        )
        command = re.sub(rf"\b{name}\b", resolve(shell), command)
    if "BGI1:…" in command:  # the invitation QR text the line before printed
        qr = shell.json(f"bashgah --data-dir .demo event qr --member {ENROLLED} --event "
                        f"{_terminal_event(shell)} {MANAGER}")["text"]  # fmt: skip
        command = command.replace("BGI1:…", qr)
    return command


def test_the_readme_is_read_as_expected() -> None:
    """The extraction itself: enough lines of both commands, none of a skipped block."""
    lines = list(readme_lines(README.read_text(encoding="utf-8")))
    programs = {line.program for line in lines}
    assert programs == {"bashgah", "bashgah-server"} and len(lines) > 40
    assert not any(line.text.split()[1:2] == ["serve"] for line in lines)  # long-running: skipped blocks


def test_every_readme_command_runs_as_shown(tmp_path: Path) -> None:
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "BASHGAH_DATA_DIR": str(tmp_path / ".demo"),
        "BASHGAH_SERVER_DB": f"sqlite:///{tmp_path / 'server.sqlite3'}",
        "BASHGAH_LOG_DIR": str(tmp_path / "logs"),
        "BASHGAH_LANG": "en",
        "QT_QPA_PLATFORM": "offscreen",
    }
    shell = Shell(tmp_path, env)
    failures = []
    for line in readme_lines(README.read_text(encoding="utf-8")):
        command = filled(line, shell)
        done = shell.run(command)
        allowed = {0} | line.announced
        if "Traceback" in done.stderr or done.returncode not in allowed:
            said = (done.stderr or done.stdout).strip().splitlines()[-3:]
            failures.append(f"README.md:{line.number}: exit {done.returncode} (allowed {sorted(allowed)}): "
                            f"{command}\n    " + "\n    ".join(said))  # fmt: skip
    assert not failures, "\n".join(failures)
