# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah enroll` whose answer is lost on the way: the same command again enrols the same device.

A fault proxy between the till and a real club server process lets the enrolment reach the server and
drops the answer; the code is then spent on the server, and only this till's retry may have it.
"""

from __future__ import annotations

import stat

from app.store.device_token import read_token, token_path
from app.store.pending_enrolment import pending_path
from tests.integration.sync.test_cli_sync import bashgah, ok_json
from tests.support.fault_proxy import FaultProxy, Record


def test_an_enrolment_whose_answer_was_lost_is_asked_for_again(club_server, tmp_path):
    data_dir, code = tmp_path / "till", club_server.code()
    with FaultProxy(upstream=("127.0.0.1", club_server.process.port)) as proxy:
        proxy.script(["drop_response"], path_prefix="/v1/enroll")
        lost = bashgah(data_dir, "enroll", "--server", proxy.url, "--code", code)
        assert lost.returncode == 2 and "cannot be reached" in lost.stderr, lost.stderr
        assert proxy.records == [Record("POST", "/v1/enroll", "drop_response")]
        assert not token_path(data_dir).exists()
        assert stat.S_IMODE(pending_path(data_dir).stat().st_mode) == 0o600  # the token and key it sent
        # another till cannot take the spent code, whatever it sends
        stranger = bashgah(tmp_path / "other", "enroll", "--server", proxy.url, "--code", code)
        assert stranger.returncode == 2 and "did not accept the enrolment code" in stranger.stderr
        enrolled = ok_json(data_dir, "enroll", "--server", proxy.url, "--code", code)
    devices = club_server.admin("GET", "/devices")
    assert [d["id"] for d in devices] == [enrolled["device_id"]]  # one device: the first one, not a second
    assert enrolled["device_code"] == "THR-01" and enrolled["card_prefix"] == "9826001"
    assert enrolled["key_id"] == 1
    assert devices[0]["revoked_at_us"] is None and read_token(data_dir)
    assert not pending_path(data_dir).exists()
    assert ok_json(data_dir, "sync", "status")["synced"]
