# SPDX-License-Identifier: GPL-3.0-or-later
"""Dialogs: enrolment, manager actions (reverse an entry, adjust points)."""
