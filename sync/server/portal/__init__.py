# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page's server side (issue 18, docs/portal.md): the JSON API under /m/api/ (`api`), signing in
by a one-time SMS code (`sign_in`), the member's sessions (`sessions`), what the page shows (`view`) and the
phone as a card (`phones`). The page itself (the shell, its script, the service worker) is `shell` and
`static/`.

The member acts on their own file through the club's use cases (sync.server.club), as an actor of kind
"member" (sync.server.club.access.MEMBER_GRANTS) whose only member id is their session's.
"""
