# SPDX-License-Identifier: GPL-3.0-or-later
"""A new till's first fill through the real path (enrolment, HTTP, the sync client, the store): in several
pages it writes the members without their search indexes and ends with them built again; the process's
garbage collector, paused for the fill, is on again after it."""

from __future__ import annotations

import gc

from sqlalchemy import text

from app.services.device_enrollment import enroll_device
from app.store import provisioning, replica
from sync.client import HttpEnrollment, PullSummary, SyncClient


def _member_indexes(conn) -> set[str]:
    names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'member'"))
    return {name for name in names.scalars() if not name.startswith("sqlite_autoindex")}


def test_a_first_fill_in_pages_ends_with_the_indexes_and_the_collector_on(club_server, tmp_path) -> None:
    under_way: list[bool] = []
    summaries: list[PullSummary] = []

    def catch_up(db) -> PullSummary:
        client = SyncClient(db, pull_limit=3)  # the test club in several pages: a fill to speak of
        first = client._page(0, {}, 3)  # the first page as pull applies it, to look at the store after it
        with db.write() as conn:
            replica.apply_pull(conn, first, self_device_id=client._device_id(), at_us=client.clock.now_us())
            under_way.append(provisioning.under_way(conn) and not _member_indexes(conn))
        summaries.append(client.pull())
        return summaries[-1]

    _enrollment, till = enroll_device(
        tmp_path / "till", server_url=club_server.url, code=club_server.code(), server=HttpEnrollment(),
        catch_up=catch_up,
    )  # fmt: skip
    assert under_way == [True] and summaries[0].pages > 1
    with till.db.read() as conn:
        assert not provisioning.under_way(conn)
        assert _member_indexes(conn) == {"ix_member_name", "ix_member_phone"}

    assert gc.isenabled()
    _enrollment, other = enroll_device(
        tmp_path / "other", server_url=club_server.url, code=club_server.code(), server=HttpEnrollment(),
        catch_up=lambda db: SyncClient(db, pull_limit=3).pull(),  # from cursor 0: the collector rests
    )  # fmt: skip
    assert gc.isenabled()
    with other.db.read() as conn:
        assert not provisioning.under_way(conn)
        assert _member_indexes(conn) == {"ix_member_name", "ix_member_phone"}
