# SPDX-License-Identifier: GPL-3.0-or-later
"""Messages to members: SMS and email from the club server, with consent, quiet hours, nothing sent twice.

- `outbox`: queues a message in the transaction of what caused it, once per member and cause
  (`message` table); `causes`: which pushed entries, daily-run results and invitations cause which kinds.
- `sender`: the worker that claims due messages, renders them (`templates`), picks the channel and sends
  through a provider, with retries, back-off, a rate limit per provider and a crash-safe status.
- `policy`: consent, quiet hours (club time), the club's switches: pure functions, property-tested.
- `providers/`: the channels (`base.Provider`): SMS through Kavenegar or a generic webhook, email through
  SMTP; `parts`: SMS parts in GSM-7 or UCS-2 (Persian: 70 characters, then 67 a part).
- `unsubscribe`: the signed one-click link (RFC 8058) and the SMS "stop" (لغو) that withdraw consent.
- `sync.server.club.messages`: the back office's use cases (templates, campaigns, history, cost, the stop
  switch).
"""
