# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page under /m/: its shell (shell.py, static/) and its JSON API under /m/api/."""
