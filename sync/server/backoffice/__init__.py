# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office: head office's web pages at /admin/, served by the club server's own process.

Server-rendered (Jinja2) with htmx for partial updates, Bootstrap 5.3 (its RTL build for Persian) and
Vazirmatn, all vendored under static/vendor/ (VERSIONS.md): no CDN, no Node at install or run time. Pages
are thin: every change goes through a use case in sync.server.club, which checks the user's role.
"""
