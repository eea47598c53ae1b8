# SPDX-License-Identifier: GPL-3.0-or-later
"""Member cards: the signed card format and the readers (PC/SC, NFC, keyboard-wedge scanners, simulated)."""
