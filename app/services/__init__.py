# SPDX-License-Identifier: GPL-3.0-or-later
"""Use cases. Each public function is one transaction: it writes everything or nothing."""
