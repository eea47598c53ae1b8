# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's domain core: pure Python, no Qt, no SQL, no I/O.

Everything here is deterministic arithmetic on integers (rials, points) and plain values, so that the
terminal and the server can share it and never disagree on what a sale is worth.
"""
