# SPDX-License-Identifier: GPL-3.0-or-later
"""The `bashgah-server` command."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print(
        "bashgah-server: the central club server is not built yet (it comes with the sync work); "
        "the terminal works on its own meanwhile.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
