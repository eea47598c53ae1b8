# SPDX-License-Identifier: GPL-3.0-or-later
"""`python -m bench.peak OUT SCRIPT ARGS…`: run a console script in this process, then write its peak RSS.

The child's own VmHWM (/proc/self/status), in kB, goes to OUT when the script ends, however it ends.
`ru_maxrss` from wait4/getrusage is no good for a child of the bench: Linux carries the high-water mark
of the memory a process had before exec into it, so a child spawned by a bench holding a million rows
"peaks" at the bench's own size.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def peak_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    out, script, *args = sys.argv[1:]
    sys.argv = [script, *args]
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        Path(out).write_text(f"{peak_rss_kb()}\n")


if __name__ == "__main__":
    main()
