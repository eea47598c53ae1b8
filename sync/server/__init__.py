# SPDX-License-Identifier: GPL-3.0-or-later
"""The central club server (protocol v1 in sync.protocol; design in docs/design.md, "Sync").

app.py (FastAPI factory) · routes.py (device endpoints) · admin.py + admin_models.py (admin API) ·
push.py · pull.py · grants.py · photos.py · enrolment.py · auth.py · sequence.py (the server sequence) ·
balances.py · members.py · club.py (reference data) · alerts.py (alerts, audit log) · errors.py ·
limits.py (body size, gzip bodies) · db.py · models.py + migrations/ + migrate.py · demo.py · cli.py.
"""
