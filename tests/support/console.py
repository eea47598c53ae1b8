# SPDX-License-Identifier: GPL-3.0-or-later
"""Running an installed console script (`bashgah`, `bashgah-server`) with real argv and environment bytes,
and the shape every refusal must have: exit 2, one line on stderr naming the command, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(sys.executable).parent


def run_script(name: str, *args: bytes, env: dict[bytes, bytes] | None = None) -> subprocess.CompletedProcess:
    """The script beside this interpreter, in English, with `env` over this process's environment."""
    script = SCRIPTS / name
    assert script.exists(), f"the console script {name} is not installed beside {sys.executable}"
    environment = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    environment[b"BASHGAH_LANG"] = b"en"
    environment.update(env or {})
    return subprocess.run([script, *args], check=False, capture_output=True, timeout=110, env=environment)


def one_line_refusal(result: subprocess.CompletedProcess, name: str) -> str:
    """The refusal's one line, decoded; fails unless the run was refused as the README promises."""
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2, (result.returncode, err)
    assert "Traceback" not in err and result.stdout == b""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{name}: "), err
    return lines[0]
