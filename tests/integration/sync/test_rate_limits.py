# SPDX-License-Identifier: GPL-3.0-or-later
"""Guessing enrolment codes against a real club server process: refused after the allowance, per address;
another address still enrols; X-Forwarded-For counts only when the server was told to believe the proxy."""

from __future__ import annotations

import http.client
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.integration.sync.test_cli_sync import bashgah
from tests.support.server_process import HOST, ServerProcess

WRONG = {"code": "WRONG-CODE-0000", "device_name": "guess"}


@contextmanager
def serving(server_template: tuple[Path, str], tmp_path: Path, *serve_args: str) -> Iterator[tuple[int, str]]:
    template, token = server_template
    path = tmp_path / "server.sqlite3"
    shutil.copyfile(template, path)
    process = ServerProcess(f"sqlite:///{path}", log_dir=tmp_path, serve_args=serve_args)
    process.start()
    try:
        yield process.port, token
    finally:
        process.stop()


def call(
    port: int, method: str, path: str, body: Any = None, *, source: str = HOST, **headers: str
) -> tuple[int, dict, Any]:
    """One request on its own connection from the local address `source` (any 127.x is this machine)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30, source_address=(source, 0))
    try:
        data = None if body is None else json.dumps(body)
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, json.loads(response.read() or b"null")
    finally:
        conn.close()


def new_code(port: int, admin_token: str) -> str:
    status, _h, body = call(
        port,
        "POST",
        "/v1/admin/enrollment-codes",
        {"branch_code": "THR"},
        Authorization=f"Bearer {admin_token}",
    )
    assert status == 201, body
    return str(body["code"])


def test_300_wrong_codes_meet_429_and_a_till_elsewhere_still_enrols(server_template, tmp_path):
    with serving(server_template, tmp_path) as (port, admin_token):
        answers = [call(port, "POST", "/v1/enroll", WRONG) for _ in range(300)]
        statuses = [status for status, _h, _b in answers]
        assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
        _status, headers, body = answers[-1]
        assert int(headers["retry-after"]) > 0 and body["detail"]["code"] == "too_many_attempts"
        status, _h, enrolled = call(
            port, "POST", "/v1/enroll", {"code": new_code(port, admin_token)}, source="127.0.0.2"
        )
        assert status == 200, enrolled
        # a forged X-Forwarded-For does not make the guesser someone else
        forged = call(port, "POST", "/v1/enroll", WRONG, **{"X-Forwarded-For": "192.0.2.99"})
        assert forged[0] == 429


def test_behind_a_named_proxy_the_forwarded_client_is_counted(server_template, tmp_path):
    with serving(server_template, tmp_path, "--forwarded-allow-ips", HOST) as (port, admin_token):
        guesser = {"X-Forwarded-For": "203.0.113.7"}
        statuses = [call(port, "POST", "/v1/enroll", WRONG, **guesser)[0] for _ in range(15)]
        assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
        code = new_code(port, admin_token)  # the proxy's own address was not charged for the guesser
        status, _h, enrolled = call(
            port, "POST", "/v1/enroll", {"code": code}, **{"X-Forwarded-For": "203.0.113.8"}
        )
        assert status == 200, enrolled


def test_the_enroll_command_says_when_to_try_again(server_template, tmp_path):
    with serving(server_template, tmp_path) as (port, admin_token):
        while call(port, "POST", "/v1/enroll", WRONG)[0] != 429:
            pass
        url = f"http://{HOST}:{port}"
        for lang, words in (("en", r"try again in \d+ seconds"), ("fa", r"[۰-۹]+ ثانیه دیگر")):
            refused = bashgah(
                tmp_path / "till", "enroll", "--server", url, "--code", new_code(port, admin_token), lang=lang
            )
            assert refused.returncode == 2 and re.search(words, refused.stderr), refused.stderr
