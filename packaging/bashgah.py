# SPDX-License-Identifier: GPL-3.0-or-later
"""The frozen bundle's entry point (packaging/bashgah.spec): the same as the `bashgah` command."""

from app.cli import main

raise SystemExit(main())
