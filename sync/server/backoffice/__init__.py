# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office: head office's web pages at /admin/ — server-rendered (Jinja2) pages with htmx for partial
updates, Bootstrap 5.3 (the RTL build for Persian, the LTR one for English), Chart.js and the Vazirmatn font,
all served from static/vendor/ (vendored from npm by scripts/vendor-assets; no CDN, no Node build), and
every change made through the club's use cases in sync.server.club."""
