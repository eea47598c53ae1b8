# SPDX-License-Identifier: GPL-3.0-or-later
"""Tills and a real club server process: enrol, sell offline, sync, agree; survive crashes and faults."""

import io
import random
import threading
import time
from datetime import timedelta

import pytest
from PIL import Image

from app.domain.errors import ClubError
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.ledger_check import verify_ledger
from app.services.spending import SpendOverride
from app.services.staff_auth import authenticate
from app.store import grants, ledger, members, sync_state
from app.store.device_token import token_path
from sync.client import NO_RETRIES, Backoff, SyncClient
from sync.protocol import PHOTO_CHUNK_BYTES
from sync.server import rules as rule_sets
from sync.server.db import Database as ServerDatabase
from sync.server.reports import aggregates
from tests.integration.sync.conftest import MANAGER_NAME, MANAGER_PIN
from tests.support.fault_proxy import FaultProxy


class CrashError(Exception):
    """The till's process dies here."""


def points(terminal, member_id):
    with terminal.db.read() as conn:
        return ledger.balance(conn, member_id).points


def entry_count(terminal):
    with terminal.db.read() as conn:
        return ledger.entry_count(conn)


def two_tills_agree(server, tmp_path):
    till_1, client_1 = server.enroll(tmp_path / "till-1")
    till_2, client_2 = server.enroll(tmp_path / "till-2", branch="ISF")
    member = enroll_member(till_1, EnrollRequest(name="Nasrin", phone="09121110000")).member
    record_sale(till_1, SaleRequest(member.id, 30_000_000))  # 300 points at THR
    first = client_1.sync_round()
    assert first.ok and first.push.pushed == 3  # the member, their card, the sale
    assert client_2.sync_round().ok  # till 2 now knows the member
    for _ in range(3):
        record_sale(till_1, SaleRequest(member.id, 1_000_000))  # 10 each, offline
        record_sale(till_2, SaleRequest(member.id, 1_000_000))  # 20 each (ISF earns double), offline
    assert points(till_1, member.id) == 330 and points(till_2, member.id) == 360
    for client in (client_1, client_2, client_1):
        assert client.sync_round().ok
    assert points(till_1, member.id) == points(till_2, member.id) == 390
    assert server.member(member.id)["points"] == 390
    for till, client in ((till_1, client_1), (till_2, client_2)):
        assert verify_ledger(till.db).ok
        assert client.status().synced
    record_sale(till_2, SaleRequest(member.id, 1_000_000))
    assert client_2.status().unsynced == 1 and not client_2.status().synced
    client_2.push()  # pushed, but the cursor does not cover it yet: not "synced" until the pull
    assert client_2.status().unsynced == 0 and not client_2.status().synced
    client_2.pull()
    assert client_2.status().synced
    the_reports_count_what_the_tills_pushed(server, member.id)


def the_reports_count_what_the_tills_pushed(server, member_id):
    """The serving process counts pushed entries into the reports' aggregates by itself (no `report
    refresh`): wait until its watermark covers the ledger, then read the summary from the aggregates."""
    db = ServerDatabase(server.process.db_url)
    try:
        deadline = time.monotonic() + 120
        while True:
            with db.read() as conn:
                as_of = aggregates.as_of(conn)
                rules = rule_sets.current(conn)
            if as_of.server_seq > 0 and as_of.behind == 0:
                break
            assert time.monotonic() < deadline, f"the server has not counted the entries: {as_of}"
            time.sleep(0.2)
        today = rules.local_date(as_of.counted_at_us)
        with db.read() as conn:
            counted = aggregates.summary(
                conn, today, today, rules.day_start_us(today + timedelta(days=1)), 1_000
            )
        assert (counted.members_active, counted.purchase_frequency, counted.net_sales_rials) == (
            1,
            8,
            37_000_000,
        )
        assert counted.points_outstanding == server.member(member_id)["points"] == 410
    finally:
        db.dispose()


def test_two_tills_sell_offline_and_agree_with_the_server(club_server, tmp_path):
    two_tills_agree(club_server, tmp_path)


def test_two_tills_agree_with_a_server_on_postgresql(postgres_club_server, tmp_path):
    two_tills_agree(postgres_club_server, tmp_path)


def test_the_same_phone_enrolled_at_two_offline_tills_is_kept_twice(club_server, tmp_path):
    till_1, client_1 = club_server.enroll(tmp_path / "till-1")
    till_2, client_2 = club_server.enroll(tmp_path / "till-2")
    one = enroll_member(till_1, EnrollRequest(name="Ali", phone="09121112222")).member
    two = enroll_member(till_2, EnrollRequest(name="Ali R.", phone="09121112222")).member
    for client in (client_1, client_2, client_1):
        assert client.sync_round().ok
    with till_1.db.read() as conn:
        assert members.get(conn, one.id) is not None and members.get(conn, two.id) is not None
    with pytest.raises(ClubError, match="duplicate_phone"):  # a duplicate it can see is still refused
        enroll_member(till_1, EnrollRequest(name="Ali 3", phone="09121112222"))


def test_a_crash_between_the_answer_and_the_acknowledgements_sends_duplicates(
    club_server, tmp_path, monkeypatch
):
    till, client = club_server.enroll(tmp_path / "till")
    member = enroll_member(till, EnrollRequest(name="Nasrin", phone="09121110000")).member
    for _ in range(3):
        record_sale(till, SaleRequest(member.id, 5_000_000))

    def die(request, response):
        raise CrashError

    monkeypatch.setattr(client, "_on_push_answered", die)
    with pytest.raises(CrashError):
        client.push()
    assert client.status().unsynced == 5  # nothing was acknowledged: the server's answer never landed
    again = SyncClient(till.db)  # the till starts again on the same data folder
    summary = again.push()
    assert (summary.pushed, summary.duplicates, summary.rejected) == (0, 5, 0)
    assert again.sync_round().ok
    assert club_server.member(member.id)["points"] == 150 == points(till, member.id)
    assert entry_count(till) == 3 and again.status().synced


def test_a_lost_answer_is_retried_and_answered_as_duplicates(club_server, tmp_path):
    till, client = club_server.enroll(tmp_path / "till")
    member = enroll_member(till, EnrollRequest(name="Nasrin", phone="09121110000")).member
    record_sale(till, SaleRequest(member.id, 5_000_000))
    with FaultProxy(upstream=("127.0.0.1", club_server.process.port)) as proxy:
        with till.db.write() as conn:
            sync_state.put(conn, sync_state.SERVER_URL, proxy.url)
        proxy.script(["drop_response", "pass"], path_prefix="/v1/sync/push")
        once = SyncClient(till.db, clock=till.clock, retries=NO_RETRIES)  # the round's own retry, first
        failed = once.sync_round()
        assert not failed.ok and failed.error.retryable and not failed.fatal
        assert Backoff(random_fn=lambda: 0.5).failed() == 0.5
        retried = client.sync_round()
        assert retried.ok and retried.push.duplicates == 3 and retried.push.pushed == 0
        record_sale(till, SaleRequest(member.id, 5_000_000))
        proxy.script(["drop_response", "pass"], path_prefix="/v1/sync/push")
        again = client.sync_round()  # sent again inside the request (sync.client.Retries): one round
        assert again.ok and again.push.duplicates == 1 and again.push.pushed == 0 and client.retried == 1
        proxy.script(["cut_response", "pass"], path_prefix="/v1/sync/pull")
        record_sale(till, SaleRequest(member.id, 5_000_000))
        assert not client.sync_round().ok  # the page was cut: neither it nor the cursor were applied
        assert client.sync_round().ok
    assert club_server.member(member.id)["points"] == 150 == points(till, member.id)
    assert client.status().synced


def big_jpeg(seed: int) -> bytes:
    """Noise compresses badly: a JPEG of a few chunks, under the 512 KB limit."""
    rng = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", (360, 360), rng.randbytes(360 * 360 * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


def test_a_photo_upload_resumes_where_it_stopped_and_reaches_the_other_till(
    club_server, tmp_path, monkeypatch
):
    till_1, client_1 = club_server.enroll(tmp_path / "till-1")
    till_2, client_2 = club_server.enroll(tmp_path / "till-2")
    photo = big_jpeg(7)
    assert 2 * PHOTO_CHUNK_BYTES < len(photo) < 512 * 1024
    member = enroll_member(till_1, EnrollRequest(name="Nasrin", phone="09121110000", photo_jpeg=photo)).member
    client_1.push()
    chunks = []

    def stop_after_one(item, status):
        chunks.append(status.received)
        raise CrashError

    monkeypatch.setattr(client_1, "_on_photo_chunk", stop_after_one)
    with pytest.raises(CrashError):
        client_1.upload_photos()
    assert chunks == [PHOTO_CHUNK_BYTES]
    resumed = SyncClient(till_1.db)
    sent = []
    monkeypatch.setattr(resumed, "_on_photo_chunk", lambda item, status: sent.append(status.received))
    assert resumed.upload_photos() == 1
    assert sent[0] == 2 * PHOTO_CHUNK_BYTES and sent[-1] == len(photo)  # from where the server stood
    assert club_server.member(member.id)["photo_sha256"] is not None
    assert resumed.upload_photos() == 0  # acknowledged: not sent again
    summary = client_2.sync_round()
    assert summary.ok and summary.photos_down == 1
    with till_2.db.read() as conn:
        assert members.photo(conn, member.id) == photo


def test_offline_spending_draws_on_the_grant_then_needs_a_manager(club_server, tmp_path):
    till, client = club_server.enroll(tmp_path / "till")
    member = enroll_member(till, EnrollRequest(name="Nasrin", phone="09121110000")).member
    record_sale(till, SaleRequest(member.id, 100_000_000))  # 1,000 points
    summary = client.sync_round()
    assert summary.ok and summary.grants == 1
    with till.db.read() as conn:
        grant = grants.grant_for(conn, member.id)
    assert grant.points == 300  # 30 % of the balance (the club's default)
    club_server.process.stop()  # the line to the office is down
    record_sale(till, SaleRequest(member.id, 10_000_000, redeem_points=200), client)
    with pytest.raises(ClubError) as refused:
        record_sale(till, SaleRequest(member.id, 10_000_000, redeem_points=150), client)
    assert refused.value.code == "offline_limit" and refused.value.params["allowance"] == 100
    manager = authenticate(till, MANAGER_NAME, MANAGER_PIN)
    override = SpendOverride(manager, "a regular, vouched for")
    overridden = record_sale(
        till, SaleRequest(member.id, 10_000_000, redeem_points=150, override=override), client
    )
    assert len(overridden.entry_ids) == 3
    club_server.process.start()
    assert client.sync_round().ok
    # 1,000 − 200 + 98 (earned on 9,800,000 paid) − 150 + 98 (on 9,850,000, floor)
    assert points(till, member.id) == club_server.member(member.id)["points"] == 846


def test_grants_never_add_up_to_more_than_the_balance_and_a_debt_restricts(club_server, tmp_path):
    till_1, client_1 = club_server.enroll(tmp_path / "till-1")
    till_2, client_2 = club_server.enroll(tmp_path / "till-2")
    member = enroll_member(till_1, EnrollRequest(name="Nasrin", phone="09121110000")).member
    record_sale(till_1, SaleRequest(member.id, 10_000_000))  # 100 points
    assert client_1.sync_round().ok and client_2.sync_round().ok
    record_sale(till_2, SaleRequest(member.id, 100_000))  # till 2 sells to them too: 1 point
    assert client_2.sync_round().ok and client_2.status().synced
    with till_2.db.read() as conn:
        held = grants.grant_for(conn, member.id).points  # 30 of the 101
    with pytest.raises(ClubError) as refused:  # till 1 online: till 2's grant is not available to it
        record_sale(till_1, SaleRequest(member.id, 10_000_000, redeem_points=101 - held + 1), client_1)
    assert refused.value.code == "server_refused_spend" and refused.value.params["available"] == 101 - held
    # all that is available, on a sale half paid in points (it earns nothing): the server holds `held` now
    spent = 101 - held
    record_sale(till_1, SaleRequest(member.id, 2_000 * spent, redeem_points=spent), client_1)
    manager = authenticate(till_2, MANAGER_NAME, MANAGER_PIN)
    override = SpendOverride(manager, "knows the owner")
    record_sale(till_2, SaleRequest(member.id, 1_000_000, redeem_points=held + 40, override=override))
    assert client_2.sync_round().ok
    assert client_1.sync_round().ok  # its online spend lands: the server takes what happened ...
    assert club_server.member(member.id)["points"] < 0
    assert club_server.member(member.id)["restricted"]  # ... and restricts the member; till 1 has pulled it
    with till_1.db.read() as conn:
        assert grants.is_restricted(conn, member.id)
    record_sale(till_1, SaleRequest(member.id, 10_000_000))  # earning goes on: back above zero here
    with pytest.raises(ClubError, match="restricted_member"):
        record_sale(till_1, SaleRequest(member.id, 10_000_000, redeem_points=1, override=override))


def test_an_unknown_token_and_a_revoked_till_stop_the_loop_and_say_why(club_server, tmp_path):
    till, client = club_server.enroll(tmp_path / "till")
    token_path(till.data_dir).write_text("not-the-token-the-server-gave-this-till")
    rounds = []
    summary = client.run(threading.Event(), interval_s=0, on_round=rounds.append)
    assert len(rounds) == 1 and summary.fatal and summary.error.code == "not_enrolled"
    assert client.status().last_error.startswith("not_enrolled")
    other, other_client = club_server.enroll(tmp_path / "other")
    club_server.admin("POST", f"/devices/{other.device_id}/revoke")
    summary = other_client.sync_round()
    assert summary.fatal and summary.error.code == "device_revoked"
    member = enroll_member(other, EnrollRequest(name="Nasrin", phone="09121110000")).member
    record_sale(other, SaleRequest(member.id, 10_000_000))
    with pytest.raises(ClubError, match="device_revoked"):  # the server's word on spending is final
        record_sale(other, SaleRequest(member.id, 10_000_000, redeem_points=10), other_client)
