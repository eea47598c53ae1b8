# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: the figures the issue asks for, measured in one run on real files.

- a durable sale (earn entry + balance projection + hash chain, WAL, synchronous=FULL) per second,
  against a bare SQLite INSERT + COMMIT with the same durability settings on the same file system;
- member lookup by card number and by phone among 1,000,000 members, and the full member profile.

Run `python -m bench --help`. Everything lives in a temporary directory that is deleted at the end.
"""
