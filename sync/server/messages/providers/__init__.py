# SPDX-License-Identifier: GPL-3.0-or-later
"""The channels a message goes out through (`base.Provider`): SMS providers and SMTP email."""
