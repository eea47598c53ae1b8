# SPDX-License-Identifier: GPL-3.0-or-later
"""packaging/server/: the systemd unit, its settings file, the admin wrapper and the reverse proxies.

The unit is checked by systemd itself (`systemd-analyze verify`, and `security --offline` for its
exposure); its command lines are run as systemd would run them, with the example settings, and under
the kernel's own MemoryDenyWriteExecute (PR_SET_MDWE), serving a back-office log-in and a PDF, and
believing the proxy's X-Forwarded-Proto / X-Forwarded-For from 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync.server.cli import DEFAULT_PORT
from sync.server.limits import MAX_BODY_BYTES
from tests.support.components import missing_component
from tests.support.server_process import free_port, server_command

PACKAGING = Path(__file__).resolve().parents[2] / "packaging" / "server"
UNIT = PACKAGING / "bashgah-server.service"
ENV_EXAMPLE = PACKAGING / "server.env.example"
ADMIN = PACKAGING / "bashgah-server-admin"
INSTALLED_BIN = "/opt/bashgah-server/bin/bashgah-server"
START_TIMEOUT_S = 30.0
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1  # linux/prctl.h, Linux 6.3


def unit_options(text: str) -> dict[str, list[str]]:
    """The [Service]-and-other options, each key with every value it was given (keys may repeat)."""
    options: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        options.setdefault(key.strip(), []).append(value.strip())
    return options


def env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as both systemd's EnvironmentFile and sh's `.` read the example."""
    settings = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key] = value
    return settings


def expand(command: str, settings: dict[str, str], binary: str) -> list[str]:
    """An Exec line as systemd runs it: ${VAR} from the environment file, each one word."""
    words = shlex.split(command)
    return [
        binary if word == INSTALLED_BIN else re.sub(r"\$\{(\w+)\}", lambda m: settings[m.group(1)], word)
        for word in words
    ]


def venv_server() -> str:
    command = server_command()
    assert len(command) == 1, "the tests need the installed bashgah-server entry point"
    return command[0]


# ---------------------------------------------------------------------------------------------- the unit


def test_systemd_verifies_the_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        missing_component("systemd-analyze", "systemd-analyze is not installed")
    # verify wants the programs ExecStart names to exist: the venv's stands in for /opt/bashgah-server's
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace(INSTALLED_BIN, venv_server()))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert UNIT.name not in result.stdout + result.stderr, result.stderr

    security = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True, text=True, check=False,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", security.stdout)
    assert found is not None, security.stdout + security.stderr
    assert float(found.group(1)) <= 2.0 and found.group(2) == "OK", security.stdout  # 1.5 when written


def test_the_unit_is_hardened():
    options = unit_options(UNIT.read_text())
    expected = {
        "User": "bashgah",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "CapabilityBoundingSet": "",
        "MemoryDenyWriteExecute": "yes",
        "StateDirectory": "bashgah-server",
        "LogsDirectory": "bashgah-server",
        "ReadWritePaths": "/var/lib/bashgah-server",
        "EnvironmentFile": "/etc/bashgah/server.env",
    }
    assert {key: options.get(key, [None])[-1] for key in expected} == expected
    assert "@system-service" in options["SystemCallFilter"]
    assert options["ExecStart"][0].startswith(f"{INSTALLED_BIN} serve ")
    # the unit's settings are all in the example environment file
    used = set(re.findall(r"\$\{(\w+)\}", UNIT.read_text()))
    assert used <= set(env_file(ENV_EXAMPLE)), used - set(env_file(ENV_EXAMPLE))
    assert env_file(ENV_EXAMPLE)["BASHGAH_PORT"] == str(DEFAULT_PORT)


# ---------------------------------------------------------------------------------------------- running it


def mdwe_available() -> bool:
    probe = (
        "import ctypes, sys; "
        f"sys.exit(ctypes.CDLL(None).prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN}, 0, 0, 0) != 0)"
    )
    return subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0


def under_mdwe(command: list[str]) -> list[str]:
    """The command in a process that may never map memory writable and executable (inherited by every
    child, as systemd's MemoryDenyWriteExecute= is)."""
    wrapper = (
        "import ctypes, os, sys\n"
        f"if ctypes.CDLL(None).prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN}, 0, 0, 0) != 0:\n"
        "    sys.exit('PR_SET_MDWE refused')\n"
        "os.execv(sys.argv[1], sys.argv[1:])\n"
    )
    return [sys.executable, "-c", wrapper, *command]


def example_settings(folder: Path) -> dict[str, str]:
    """The example settings, on a SQLite file in `folder` and a free port."""
    return env_file(ENV_EXAMPLE) | {
        "BASHGAH_SERVER_DB": f"sqlite:///{folder / 'club.sqlite3'}",
        "BASHGAH_PORT": str(free_port()),
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """ExecStartPre and ExecStart as the unit says, under MDWE; a back-office owner added in between.
    One server for the module: starting one costs seconds on two shared cores."""
    tmp_path = tmp_path_factory.mktemp("unit")
    unit_settings = example_settings(tmp_path)
    if not mdwe_available():
        missing_component("PR_SET_MDWE", "this kernel has no PR_SET_MDWE (Linux 6.3 or later)")
    options = unit_options(UNIT.read_text())
    env = {**os.environ, **unit_settings}
    binary = venv_server()
    for line in options["ExecStartPre"]:
        command = under_mdwe(expand(line, unit_settings, binary))
        subprocess.run(command, env=env, check=True, capture_output=True)
    subprocess.run(
        under_mdwe([binary, "user", "add", "sara", "--role", "owner", "--password-stdin"]),
        input="a long passphrase for sara\n", text=True, env=env, check=True, capture_output=True,
    )
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        under_mdwe(expand(options["ExecStart"][0], unit_settings, binary)), env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{unit_settings['BASHGAH_PORT']}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(base):
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/v1/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_units_command_lines_serve_under_memory_deny_write_execute(served):
    """Log-in (argon2), pages (Jinja2) and the proxy's headers, in uvicorn's worker processes."""
    # from 127.0.0.1, the proxy's X-Forwarded-Proto is believed: over HTTPS the cookies are Secure
    over_https = httpx.get(served + "/admin/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in over_https.headers.get("set-cookie", "").lower()
    with httpx.Client(base_url=served) as client:  # plain HTTP: cookies an http:// client sends back
        page = client.get("/admin/login")
        assert page.status_code == 200
        assert "secure" not in page.headers.get("set-cookie", "").lower()
        token = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        answer = client.post(
            "/admin/login",
            data={"name": "sara", "password": "a long passphrase for sara", "login_csrf": token, "next": "/"},
        )
        assert answer.status_code == 303, answer.text
        assert client.get("/admin/").status_code == 200


def test_failed_attempts_count_against_the_address_the_proxy_names(served):
    """BASHGAH_FORWARDED_ALLOW_IPS=127.0.0.1: one client's guessing does not lock out the others behind
    the same proxy (the rate limit is per the client's address, not the proxy's)."""
    with httpx.Client(base_url=served, headers={"Authorization": "Bearer bga_wrong"}) as client:

        def guess(client_address: str) -> int:
            return client.get("/v1/admin/alerts", headers={"X-Forwarded-For": client_address}).status_code

        # each worker process counts on its own (sync/server/ratelimit.py): guess until all say 429
        refused_in_a_row = 0
        for _ in range(300):
            refused_in_a_row = refused_in_a_row + 1 if guess("203.0.113.7") == 429 else 0
            if refused_in_a_row == 20:
                break
        assert refused_in_a_row == 20, "the guessing address was never refused"
        assert guess("198.51.100.9") == 401  # another client behind the same proxy: still only "wrong"


# ---------------------------------------------------------------------------------------------- the rest


def test_the_admin_wrapper_runs_commands_with_the_services_settings(tmp_path):
    unit_settings = example_settings(tmp_path)
    settings_file = tmp_path / "server.env"
    settings_file.write_text("".join(f"{key}={value}\n" for key, value in unit_settings.items()))
    env = {
        **os.environ,
        "BASHGAH_SERVER_ENV": str(settings_file),
        "BASHGAH_SERVER_BIN": venv_server(),
        "BASHGAH_SERVER_USER": os.environ.get("USER") or "root",
    }
    env.pop("BASHGAH_SERVER_DB", None)
    command = [str(ADMIN), "db", "upgrade"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if os.geteuid() != 0:
        assert result.returncode == 1 and "run it as root" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "club.sqlite3").exists()  # the settings file's database, not the default one


def test_the_proxies_pass_the_clients_address_and_scheme_and_the_servers_body_size():
    nginx = (PACKAGING / "nginx.conf").read_text()
    assert f"proxy_pass http://127.0.0.1:{DEFAULT_PORT};" in nginx
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx  # set, not appended to
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d+" always;', nginx)
    size = re.search(r"client_max_body_size (\d+)m;", nginx)
    assert size is not None and int(size.group(1)) * 1024 * 1024 > MAX_BODY_BYTES

    caddy = (PACKAGING / "Caddyfile").read_text()
    assert f"reverse_proxy 127.0.0.1:{DEFAULT_PORT}" in caddy
    assert re.search(r'header Strict-Transport-Security "max-age=\d+"', caddy)
    caddy_size = re.search(r"max_size (\d+)MB", caddy)
    assert caddy_size is not None and int(caddy_size.group(1)) * 1000 * 1000 > MAX_BODY_BYTES
