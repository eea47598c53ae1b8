# SPDX-License-Identifier: GPL-3.0-or-later
"""The first run at a branch, without Qt: what the window's setup (app.ui.first_run) asks at each step.

A data folder is `READY` once it holds this terminal's own device (the demo, or an enrolled terminal whose
club has arrived): the window opens on it. Before that it is `FRESH` (nothing, or only an attempt whose
answer was lost: app.store.pending_enrolment, reused by the next attempt) or `INCOMPLETE` (the server
answered and its token is kept, but the club's pull has not finished): the setup then only finishes the
pull, with the server it enrolled with. So nothing half-enrolled stays: every stop is resumed.

The steps: `check_code` asks the server whose code it is (POST /v1/enroll/preview, spending nothing) and
refuses a clock far from the server's; `enrol` spends the code (app.services.device_enrollment, with its
catch-up pull) or finishes an enrolment that stopped. The receipt printer's step is in
app.ui.first_run_printer (Qt-free too, but app.receipts sits above the services).

Threading: every function here blocks on the network, the store or a printer: call them on a worker.
"""

from __future__ import annotations

import contextlib
import platform
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from app.domain.errors import ClubError
from app.domain.grants import CLOCK_BEHIND_LIMIT_US
from app.domain.keyboard_layout import latin_keys
from app.domain.ports import Clock
from app.services.terminal import SystemClock, Terminal
from app.store import pending_enrolment, start_up
from app.store.database import Database
from app.store.device_token import has_token

if TYPE_CHECKING:
    from sync.protocol import EnrollPreviewRequest, EnrollPreviewResponse

# The window asks `needs_setup` at every start, the demo's too: enrolment's modules (the card keys'
# cryptography, the protocol's pydantic) are imported by the steps that use them, not here.

# Further than this from the server's clock, the setup refuses: the same 5 minutes after which sync flags a
# terminal's clock as set back (app.domain.grants) and offline spending stops; ahead is as bad (its sales
# would be dated in the future), so either way.
CLOCK_TOLERANCE_US = CLOCK_BEHIND_LIMIT_US
MINUTE_US = 60 * 1_000_000


class Stage(StrEnum):
    FRESH = "fresh"  # nothing yet (perhaps an attempt whose answer was lost: asked again with its token)
    INCOMPLETE = "incomplete"  # enrolled with the server; the club's pull has not finished
    READY = "ready"  # this terminal's device is here: the window opens


class EnrollmentPreviewer(Protocol):
    """The club server's preview (sync.client.HttpEnrollment implements it, and enrol)."""

    def preview(self, server_url: str, request: EnrollPreviewRequest) -> EnrollPreviewResponse: ...


@dataclass(frozen=True, slots=True)
class BranchPreview:
    """Whose code it is: what the manager confirms before it is spent."""

    server_url: str
    code: str
    club_name_fa: str
    club_name_en: str
    branch_code: str
    branch_name_fa: str
    branch_name_en: str
    expires_at_us: int
    clock_offset_us: int  # this computer's clock minus the server's, when it answered
    resuming: bool  # this folder's earlier attempt spent the code: enrolling again finishes it


def stage(data_dir: Path) -> Stage:
    db = Database.open(data_dir)
    try:
        with db.read_driver() as conn:  # asked at every start, before the window: no SQLAlchemy yet
            if start_up.self_device(conn) is not None:
                return Stage.READY
            enrolled = start_up.is_enrolled(conn)
    finally:
        db.close()
    return Stage.INCOMPLETE if enrolled and has_token(data_dir) else Stage.FRESH


def needs_setup(data_dir: Path) -> bool:
    """True for a folder the window cannot open yet: neither the demo nor an enrolled terminal."""
    return stage(data_dir) is not Stage.READY


def enrolled_server(data_dir: Path) -> str | None:
    """The server an INCOMPLETE folder enrolled with."""
    from app.store import sync_state

    db = Database.open(data_dir)
    try:
        with db.read() as conn:
            return sync_state.get(conn, sync_state.SERVER_URL)
    finally:
        db.close()


def read_scan(text: str) -> tuple[str, str] | None:
    """(server address, code) from an enrolment QR a scanner typed (sync.protocol's digits), else None. A
    scan into a field that already held something is found at the end of what the field holds."""
    from app.domain.digits import to_latin_digits
    from sync.protocol import ENROLMENT_QR_MAGIC, parse_enrolment_qr

    digits = to_latin_digits(text.strip())
    start = digits.rfind(ENROLMENT_QR_MAGIC)
    while start >= 0:
        scanned = parse_enrolment_qr(digits[start:])
        if scanned is not None:
            return scanned
        start = digits.rfind(ENROLMENT_QR_MAGIC, 0, start)
    return None


def typed_code(raw: str) -> str:
    """The code as typed, with what the Persian keyboard layout typed read back as its Latin keys (ضص… is
    QW…, Persian digits are digits): the code it would be in English letters. Letters that no key of the
    code's alphabet types are left for `clean_code`'s caller to refuse in words."""
    return latin_keys(raw or "").upper()


def clean_code(raw: str) -> str:
    """The code as the server takes it (it ignores case, spaces and dashes, and takes a code typed on the
    Persian layout as `typed_code` reads it); refuses what cannot be one."""
    code = " ".join(typed_code(raw).split())
    if len(code.replace(" ", "").replace("-", "")) < 6 or len(code) > 64:
        raise ClubError("enrollment_code_missing")
    return code


def check_clock(server_time_us: int, local_us: int) -> int:
    """This computer's clock minus the server's; ClubError `clock_off` (in whole minutes) when too far."""
    offset = local_us - server_time_us
    if abs(offset) > CLOCK_TOLERANCE_US:
        minutes = round(abs(offset) / MINUTE_US)
        raise ClubError("clock_off" if offset > 0 else "clock_off_behind", minutes=minutes)
    return offset


def check_code(
    data_dir: Path,
    server_url: str,
    code: str,
    *,
    server: EnrollmentPreviewer | None = None,
    clock: Clock | None = None,
) -> BranchPreview:
    """Ask the server whose `code` is (spending nothing) and check this computer's clock against it."""
    from app.services.device_enrollment import clean_server_url
    from sync.protocol import EnrollPreviewRequest

    url = clean_server_url(server_url)
    code = clean_code(code)
    pending = pending_enrolment.load(data_dir)
    if server is None:
        from sync.client import HttpEnrollment

        server = HttpEnrollment()
    request = EnrollPreviewRequest(code=code, token=pending.token if pending else None)
    with _plain_words(url):
        answer = server.preview(url, request)
    offset = check_clock(answer.server_time_us, (clock or SystemClock()).now_us())
    return BranchPreview(
        server_url=url,
        code=code,
        club_name_fa=answer.club_name_fa,
        club_name_en=answer.club_name_en,
        branch_code=answer.branch_code,
        branch_name_fa=answer.branch_name_fa,
        branch_name_en=answer.branch_name_en,
        expires_at_us=answer.expires_at_us,
        clock_offset_us=offset,
        resuming=answer.spent_by_you,
    )


Progress = Callable[[str], None]  # "enrolling" · "pulling" · "done", from the worker thread


def enrol(
    data_dir: Path,
    preview: BranchPreview | None,
    *,
    clock: Clock | None = None,
    progress: Progress | None = None,
    pull_limit: int | None = None,
) -> Terminal:
    """Spend the code and pull the club; or, for an INCOMPLETE folder (`preview` may be None), only finish
    the pull. Raises as enroll_device does; after a failed pull the folder is INCOMPLETE and calling this
    again finishes it."""
    from app.services.device_enrollment import enroll_device, finish_enrollment
    from sync.client import HttpEnrollment, SyncClient

    clock = clock or SystemClock()
    tell = progress or (lambda _stage: None)

    def catch_up(db: Database) -> object:
        tell("pulling")
        client = (
            SyncClient(db, clock=clock)
            if pull_limit is None
            else SyncClient(db, clock=clock, pull_limit=pull_limit)
        )
        return client.pull()

    if stage(data_dir) is Stage.INCOMPLETE:
        db = Database.open(data_dir)
        try:
            catch_up(db)
        except ClubError as error:
            raise ClubError("setup_pull_failed", detail=_detail(error)) from error
        terminal = finish_enrollment(db, data_dir, clock)
    else:
        if preview is None:
            raise ClubError("enrollment_code_missing")
        tell("enrolling")
        try:
            with _plain_words(preview.server_url):
                _enrollment, terminal = enroll_device(
                    data_dir,
                    server_url=preview.server_url,
                    code=preview.code,
                    server=HttpEnrollment(),
                    catch_up=catch_up,
                    device_name=platform.node()[:120],
                    clock=clock,
                )
        except ClubError as error:
            if error.code != "enrollment_incomplete":
                raise
            cause = error.__cause__
            detail = _detail(cause) if isinstance(cause, ClubError) else str(error.params.get("detail", ""))
            raise ClubError("setup_pull_failed", detail=detail) from error
    tell("done")
    return terminal


@contextlib.contextmanager
def _plain_words(url: str) -> Iterator[None]:
    """A server that cannot be reached, said to the person setting up (the sync client's own words are for
    a terminal that keeps working offline)."""
    try:
        yield
    except ClubError as error:
        if error.code == "server_unreachable" and error.params.get("reason") != "too_many_attempts":
            raise ClubError("setup_server_unreachable", url=url, detail=_detail(error)) from error
        raise


def _detail(error: ClubError) -> str:
    return str(error.params.get("detail") or error.code)
