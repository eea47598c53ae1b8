# SPDX-License-Identifier: GPL-3.0-or-later
"""app.services.first_run against a real club server process: whose code it is, the clock compared, and an
enrolment that stops anywhere (the answer lost, the pull dropped) finished by trying again, with one device
on the server and nothing half-enrolled left in the folder."""

from __future__ import annotations

import time

import pytest

from app.domain.digits import to_persian_digits
from app.domain.errors import ClubError
from app.services import first_run
from app.services.device_enrollment import enroll_device
from app.services.first_run import Stage
from app.store.device_token import has_token
from app.store.pending_enrolment import pending_path
from sync.client import HttpEnrollment, Retries, SyncClient
from sync.protocol import enrolment_qr_text
from tests.support.fault_proxy import FaultProxy
from tests.support.server_process import free_port

MINUTE_US = 60 * 1_000_000


class Shifted:
    def __init__(self, shift_us: int) -> None:
        self.shift_us = shift_us

    def now_us(self) -> int:
        return time.time_ns() // 1000 + self.shift_us


def test_a_fresh_folder_needs_setup_and_an_enrolled_one_does_not(club_server, tmp_path):
    data_dir = tmp_path / "till"
    assert first_run.needs_setup(data_dir) and first_run.stage(data_dir) is Stage.FRESH
    preview = first_run.check_code(data_dir, club_server.url + "/", club_server.code("ISF").lower())
    assert (preview.branch_code, preview.server_url) == ("ISF", club_server.url)
    assert abs(preview.clock_offset_us) < MINUTE_US and not preview.resuming
    stages: list[str] = []
    terminal = first_run.enrol(data_dir, preview, progress=stages.append)
    assert stages == ["enrolling", "pulling", "done"]
    assert first_run.stage(data_dir) is Stage.READY and not first_run.needs_setup(data_dir)
    assert terminal.device_code == "ISF-01"


def test_the_clock_is_compared_both_ways():
    assert first_run.check_clock(1_000 * MINUTE_US, 1_004 * MINUTE_US) == 4 * MINUTE_US
    with pytest.raises(ClubError) as ahead:
        first_run.check_clock(1_000 * MINUTE_US, 1_006 * MINUTE_US)
    assert ahead.value.code == "clock_off" and ahead.value.params == {"minutes": 6}
    with pytest.raises(ClubError) as behind:
        first_run.check_clock(1_000 * MINUTE_US, 880 * MINUTE_US)
    assert behind.value.code == "clock_off_behind" and behind.value.params == {"minutes": 120}


def test_refusals_in_plain_words(club_server, tmp_path):
    data_dir, code = tmp_path / "till", club_server.code()
    for url, refused in (
        (f"http://127.0.0.1:{free_port()}", "setup_server_unreachable"),
        ("ftp://club", "invalid_server_url"),
    ):
        with pytest.raises(ClubError) as error:
            first_run.check_code(data_dir, url, code)
        assert error.value.code == refused
    with pytest.raises(ClubError) as error:
        first_run.check_code(data_dir, club_server.url, code, clock=Shifted(-20 * MINUTE_US))
    assert error.value.code == "clock_off_behind" and error.value.params["minutes"] == 20
    assert first_run.stage(data_dir) is Stage.FRESH and not pending_path(data_dir).exists()  # nothing kept


def test_a_lost_answer_then_a_dropped_pull_are_both_finished_by_trying_again(club_server, tmp_path):
    data_dir = tmp_path / "till"
    with FaultProxy(upstream=("127.0.0.1", club_server.process.port)) as proxy:
        preview = first_run.check_code(data_dir, proxy.url, club_server.code())
        proxy.script(["drop_response"], path_prefix="/v1/enroll")
        with pytest.raises(ClubError) as lost:
            first_run.enrol(data_dir, preview)
        assert lost.value.code == "setup_server_unreachable"
        assert first_run.stage(data_dir) is Stage.FRESH and pending_path(data_dir).exists()
        # the code is spent; this folder's token still previews it, as its own
        again = first_run.check_code(data_dir, proxy.url, preview.code)
        assert again.resuming and again.branch_code == "THR"
        # every try the client makes of one request (sync.client.Retries sends a lost one again)
        proxy.script(["drop_response"] * Retries().attempts, path_prefix="/v1/sync/pull")
        with pytest.raises(ClubError) as dropped:
            first_run.enrol(data_dir, again)
        assert dropped.value.code == "setup_pull_failed"
        assert first_run.stage(data_dir) is Stage.INCOMPLETE and has_token(data_dir)
        assert first_run.enrolled_server(data_dir) == proxy.url
        terminal = first_run.enrol(data_dir, None)  # finishing needs no code
        assert SyncClient(terminal.db).sync_round().ok  # through the address it enrolled with
    assert first_run.stage(data_dir) is Stage.READY and not pending_path(data_dir).exists()
    assert [d["id"] for d in club_server.admin("GET", "/devices")] == [terminal.device_id]


def test_bashgah_enroll_takes_the_scanned_qr_as_its_code(club_server, tmp_path):
    scanned = enrolment_qr_text(club_server.url, club_server.code())
    _enrollment, terminal = enroll_device(
        tmp_path / "till", server_url=club_server.url, code=scanned, server=HttpEnrollment(),
        catch_up=lambda db: SyncClient(db).pull(),
    )  # fmt: skip
    assert terminal.device_code == "THR-01"


def persian_layout(code: str) -> str:
    """`code` as typed with the Persian keyboard layout active (letters unshifted, digits Persian)."""
    keys = dict(zip("qwertyuiopasdfghjklzxcvbnm", "ضصثقفغعهخحشسیبلاتنمظطزرذدپ", strict=True))
    return to_persian_digits("".join(keys.get(c.lower(), c) for c in code))


def test_a_code_typed_on_the_persian_layout_is_the_code_in_english_letters(club_server, tmp_path):
    code = club_server.code("ISF")
    typed = persian_layout(code)
    preview = first_run.check_code(tmp_path / "till", club_server.url, typed)
    assert (preview.code, preview.branch_code) == (code, "ISF")
    # `bashgah enroll --code` reads it the same way
    _enrollment, terminal = enroll_device(
        tmp_path / "other", server_url=club_server.url, code=persian_layout(club_server.code()),
        server=HttpEnrollment(), catch_up=lambda db: SyncClient(db).pull(),
    )  # fmt: skip
    assert terminal.device_code == "THR-01"
