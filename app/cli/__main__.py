# SPDX-License-Identifier: GPL-3.0-or-later
from app.cli import main

raise SystemExit(main())
