# SPDX-License-Identifier: GPL-3.0-or-later
"""Bashgah: the customer-club branch terminal."""

__version__ = "0.1.0"
