# SPDX-License-Identifier: GPL-3.0-or-later
"""A till offline records sales, comes back through the fault-injecting proxy, and each member gets
exactly one message per sale — through the webhook SMS adapter to a real HTTP receiver on loopback — even
though the sender process (`bashgah-server messages send`) is SIGKILLed while a provider holds one of
its messages: nothing lost, nothing sent twice (the receiver keeps each Idempotency-Key once, as a
provider does; the message the killed sender never recorded goes again under the same key)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections import Counter
from pathlib import Path

from app.services.checkout import SaleRequest, record_sale
from app.store import sync_state
from sync.server.db import Database as ServerDatabase
from tests.integration.sync.conftest import THR, ClubServer, postgres_club_server
from tests.support.fault_proxy import FaultProxy
from tests.support.server_process import server_command
from tests.support.sms_receiver import Receiver, sms_receiver

# the same faulty network, and the same way through it, as the two doors' test
from tests.sync.test_two_doors import FAULTS, _sync_until_quiet

__all__ = ["postgres_club_server"]

SALES = (3, 1, 2)  # per member


def _sender(server: ClubServer, receiver: Receiver, *args: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "BASHGAH_SMS_WEBHOOK_URL": receiver.url,
        "BASHGAH_SMS_WEBHOOK_SECRET": receiver.secret,
        "BASHGAH_SMS_WEBHOOK_PER_SECOND": "50",
    }
    command = [*server_command(), "--db", server.process.db_url, "messages", "send", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _messages(server: ClubServer) -> list[tuple[str, str, str, str, int]]:
    db = ServerDatabase(server.process.db_url)
    try:
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, member_id, cause, status, attempts FROM message")
            return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        db.dispose()


def offline_sales_are_told_once(server: ClubServer, tmp_path: Path, seed: int) -> None:
    members = []
    for n in range(len(SALES)):
        body = {"name": f"عضو {n}", "phone": f"0912555{n:04d}", "branch_id": THR}
        members.append(server.admin("POST", "/members", json=body)["id"])
    till, client = server.enroll(tmp_path / "till")
    assert client.sync_round().ok
    sales = {
        m: [record_sale(till, SaleRequest(m, 2_000_000 * (i + 1))).sale_id for i in range(n)]
        for m, n in zip(members, SALES, strict=True)
    }  # fmt: skip  (offline: nothing synced yet)
    with FaultProxy(upstream=("127.0.0.1", server.process.port)) as proxy:
        proxy.randomly(seed, FAULTS, path_prefix="/v1/sync")
        with till.db.write() as conn:
            sync_state.put(conn, sync_state.SERVER_URL, proxy.url)
        _sync_until_quiet(client)
        assert {r.fault for r in proxy.records} - {"pass"}, "the proxy should have faulted something"
    causes = sorted(f"sale:{s}" for ids in sales.values() for s in ids)
    assert sorted(cause for _, _, cause, _, _ in _messages(server)) == causes

    total = sum(SALES)
    with sms_receiver() as receiver:
        held = receiver.hold = threading.Event()
        receiver.hold_from = 3  # the third message: the provider has it, the sender waits for the answer
        first = _sender(server, receiver)  # the serving loop, as `serve` runs it
        try:
            assert receiver.wait_for_posts(3, timeout=60), "the sender sent nothing"
            first.send_signal(signal.SIGKILL)  # killed while the provider holds its message
            first.wait(30)
        finally:
            if first.poll() is None:
                first.kill()
        receiver.hold = None
        held.set()
        # what it had claimed and not answered is left `sending`: the held one, and those after it
        stuck = {m[0] for m in _messages(server) if m[3] == "sending"}
        held_key = receiver.posts[2]
        assert held_key in stuck and len(stuck) == total - 2
        # another sender, once the killed one's lease is over (0 s here), sends what is left
        second = _sender(server, receiver, "--once", "--lease-seconds", "0")
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()
        assert receiver.wait_for_delivered(total)

    done = _messages(server)
    assert {status for _, _, _, status, _ in done} == {"sent"}
    assert len(receiver.delivered) == total  # each message once, whatever was posted twice
    assert Counter(receiver.posts)[held_key] == 2  # the one the killed sender never recorded
    assert max(Counter(receiver.posts).values()) == 2
    by_id = {message_id: (member_id, cause) for message_id, member_id, cause, _, _ in done}
    told = Counter(by_id[key][0] for key in receiver.delivered)
    assert told == Counter({m: n for m, n in zip(members, SALES, strict=True)})
    assert sorted(by_id[key][1] for key in receiver.delivered) == causes
    phones = {body["to"] for body in receiver.delivered.values()}
    assert phones == {f"+98912555{n:04d}" for n in range(len(SALES))}
    assert receiver.bad_signatures == 0


def test_offline_sales_are_told_once_on_sqlite(club_server, tmp_path):
    offline_sales_are_told_once(club_server, tmp_path, 1)


def test_offline_sales_are_told_once_on_postgresql(postgres_club_server, tmp_path):
    offline_sales_are_told_once(postgres_club_server, tmp_path, 2)
