# SPDX-License-Identifier: GPL-3.0-or-later
"""One exception type for every refusal the club makes, identified by a stable code.

The code and its parameters travel to whichever layer shows the message (CLI catalogue, Qt `tr`), so the
domain never decides wording or language.
"""

from __future__ import annotations

from typing import Any


class ClubError(Exception):
    """A request the club refuses; nothing was written."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        details = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"{self.code}({details})" if details else self.code
