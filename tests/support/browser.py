# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office in a real browser: Debian's headless Chromium driven by Playwright.

    with LiveServer(app) as server:      # uvicorn in a thread, on 127.0.0.1 at a port the kernel picks
        errors = page_errors(page)       # before goto: console errors, uncaught exceptions, failed requests
        page.goto(server.url + "/admin/")
        assert errors.messages == []
        violations = axe_violations(page)          # axe-core's serious and critical findings
        assert violations == [], format_violations(violations)

`chromium_path()` finds the browser (BASHGAH_CHROMIUM, else Debian's chromium-headless-shell, else its
full chromium): Playwright cannot download its own here, so it is never `playwright install`ed. A missing
browser skips the test with the apt command, or fails it when CI == "true" (tests.support.components).
tests/backoffice/conftest.py wires these into pytest-playwright's fixtures.

Threading: a LiveServer serves on its own thread; one test thread drives it and the page.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from playwright.sync_api import ConsoleMessage, Page, Request, Response

from tests.support.components import missing_component

CHROMIUM_ENV = "BASHGAH_CHROMIUM"
# The ELFs, not /usr/bin/chromium: that is a shell wrapper that adds Debian's flags (and prints a
# shell error here). The headless shell is what Playwright's headless mode wants and is the smaller package.
CHROMIUM_CANDIDATES = (
    Path("/usr/lib/chromium/chromium-headless-shell"),
    Path("/usr/lib/chromium/chromium"),
)
INSTALL_HINT = "apt-get install chromium-headless-shell (or: scripts/install-system-deps browser)"

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

HOST = "127.0.0.1"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0
GRACEFUL_S = 5  # uvicorn then cancels requests still running, within STOP_TIMEOUT_S


def chromium_path() -> Path:
    """The Chromium binary to launch; skips the test (fails it under CI=true) when there is none."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            missing_component("Chromium", f"{CHROMIUM_ENV}={configured} is not an executable file")
        return path
    for path in CHROMIUM_CANDIDATES:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    missing_component(
        "Chromium",
        f"no headless Chromium at {' or '.join(map(str, CHROMIUM_CANDIDATES))}: {INSTALL_HINT}, "
        f"or set {CHROMIUM_ENV} to a Chromium binary",
    )


# ---------------------------------------------------------------- the live server


class LiveServerError(RuntimeError):
    """The server thread failed or did not start in time; the message says which."""


class _Server(uvicorn.Server):
    """uvicorn's server that says when it is listening, so start() waits on an event, not a guess."""

    def __init__(self, config: uvicorn.Config, listening: threading.Event) -> None:
        super().__init__(config)
        self._listening = listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self._listening.set()


class LiveServer:
    """An ASGI app served by uvicorn on a daemon thread, on a socket bound to 127.0.0.1 port 0.

    The socket is bound here, before the thread starts, so the port is known and taken (no race with
    another process picking the same "free" port). lifespan="auto" runs the app's startup and shutdown
    as `bashgah-server serve` does.
    """

    def __init__(self, app: Any, lifespan: str = "auto", start_timeout_s: float = START_TIMEOUT_S) -> None:
        self.app = app
        self.lifespan = lifespan
        self.start_timeout_s = start_timeout_s
        self._socket: socket.socket | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._port: int | None = None

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, without a trailing slash."""
        if self._port is None:
            raise LiveServerError("the live server is not running")
        return f"http://{HOST}:{self._port}"

    def start(self) -> LiveServer:
        if self._thread is not None:
            raise LiveServerError("the live server is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        listening = threading.Event()
        config = uvicorn.Config(
            self.app,
            lifespan=self.lifespan,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_S,
        )
        server = _Server(config, listening)

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as error:  # uvicorn exits with SystemExit when the app's startup fails
                self._failure = error
            finally:
                listening.set()  # wakes start() when the thread ends without ever listening

        self._socket, self._server = sock, server
        self._port = int(sock.getsockname()[1])
        self._thread = threading.Thread(target=serve, name=f"live-server:{self._port}", daemon=True)
        self._thread.start()
        port = self._port
        if not listening.wait(self.start_timeout_s):
            reason = f"not listening after {self.start_timeout_s:.0f} s"
        elif not server.started:
            # uvicorn logs why the app's lifespan startup failed, then exits (SystemExit) or just returns
            failure = self._failure
            reason = (
                f"it did not start: {failure!r}"
                if failure is not None and not isinstance(failure, SystemExit)
                else "the app's startup failed"
            )
        else:
            return self
        self.stop()
        raise LiveServerError(f"live server on port {port}: {reason} (see uvicorn's log above)")

    def stop(self) -> None:
        """Asks uvicorn to finish (requests in flight complete), joins the thread, closes the socket."""
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        self._port = None
        if server is not None:
            server.should_exit = True
        try:
            if thread is not None:
                thread.join(STOP_TIMEOUT_S)
                if thread.is_alive() and server is not None:
                    server.force_exit = True  # a connection that will not close; do not hang the suite
                    thread.join(STOP_TIMEOUT_S)
                if thread.is_alive():
                    raise LiveServerError(f"live server thread {thread.name} did not stop")
        finally:
            if sock is not None:
                sock.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


# ---------------------------------------------------------------- what went wrong on a page


@dataclass
class PageErrors:
    """What went wrong on a page since page_errors(page): each entry a line a person can read."""

    console: list[str] = field(default_factory=list)  # console.error, and Chromium's own error lines
    uncaught: list[str] = field(default_factory=list)  # exceptions no script caught
    failed: list[str] = field(default_factory=list)  # requests that got no response (refused, aborted, …)
    http: list[str] = field(default_factory=list)  # responses with status >= 400

    @property
    def messages(self) -> list[str]:
        """Everything, in one list: `assert errors.messages == []` shows each problem on failure."""
        return [*self.uncaught, *self.console, *self.failed, *self.http]


def page_errors(page: Page) -> PageErrors:
    """Starts collecting the page's console errors, uncaught exceptions and failed requests.

    Call it before page.goto: listeners see only what happens after. A 4xx/5xx response is counted too
    (Chromium also logs it as a console error); a test that expects one reads `.http` and clears it.
    """
    errors = PageErrors()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            at = f"{where.get('url')}:{where.get('lineNumber')}"
            errors.console.append(f"console error: {message.text} ({at})")

    def on_page_error(error: Exception) -> None:
        errors.uncaught.append(f"uncaught: {error}")

    def on_request_failed(request: Request) -> None:
        if request.resource_type == "font" and request.failure == "net::ERR_ABORTED":
            return  # a font still loading when the page was left: Chromium drops it (seen on a busy machine)
        errors.failed.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            errors.http.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    return errors


# ---------------------------------------------------------------- accessibility and fonts


def axe_violations(page: Page, impacts: Iterable[str] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations of those impacts on the page as it is now: [{id, impact, help, nodes}], where
    nodes are the offending elements' CSS selectors.

    The vendored axe.min.js is injected as a script tag (nothing leaves the machine). A page with a strict
    Content-Security-Policy blocks it: give such a test `@pytest.mark.browser_context_args(bypass_csp=True)`.
    """
    wanted = set(impacts)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [" ".join(map(str, node["target"])) for node in violation["nodes"]],
        }
        for violation in results["violations"]
        if violation["impact"] in wanted
    ]


def format_violations(violations: list[dict[str, Any]]) -> str:
    """One line per violation, for an assertion's message."""
    return "axe-core found:\n" + "\n".join(
        f"  {v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'])}" for v in violations
    )


def rendered_fonts(page: Page, selector: str) -> dict[str, int]:
    """The fonts Chromium drew the element's text with (its descendants' too): {PostScript name: glyphs},
    e.g. {"Vazirmatn-Regular": 22, "Vazirmatn-Bold": 4}; a system fallback shows up as e.g. "DejaVuSans".

    Not document.fonts.check(), which also answers true for a family no @font-face declares: this asks
    the renderer (DevTools' CSS.getPlatformFontsForNode).
    """
    session = page.context.new_cdp_session(page)
    try:
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument")["root"]["nodeId"]
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        if not node:
            raise AssertionError(f"no element matches {selector!r}")
        fonts: dict[str, int] = {}
        for font in session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]:
            name = font.get("postScriptName") or font["familyName"]
            fonts[name] = fonts.get(name, 0) + int(font["glyphCount"])
        return fonts
    finally:
        session.detach()
