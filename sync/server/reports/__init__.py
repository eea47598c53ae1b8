# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's reports (issue 14; DESIGN §8): aggregates kept past a watermark, the reports built on them,
their drill-down and their exports.

- `aggregates`: the tables kept from the ledger past a watermark on server_seq (`catch_up`), and the
  summary computed from them (`summary`), proven equal to `app.domain.report_summary.summarize`.
- `table`: what every report returns (`Result` of `Table`s of `Cell`s), whatever shows or exports it.
- `catalogue`: every report the back office lists, by code.
"""
