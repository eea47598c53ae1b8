# SPDX-License-Identifier: GPL-3.0-or-later
"""The terminal's sync client (push the outbox, pull changes); Qt-free, runs on its own worker."""
