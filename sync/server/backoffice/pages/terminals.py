# SPDX-License-Identifier: GPL-3.0-or-later
"""Terminals and staff: the terminals as they last reported, enrolment codes (as text and as a QR), revoking
a terminal, and the terminals' staff per branch (add, role, PIN, unlock, disable).

Thin: each route parses its form, calls a use case in sync.server.club.terminals or .staff (which check the
role and the branch) and redirects (303) to the page, or answers an htmx request with the staff section.
A refusal is shown on the page, beside the form that caused it.

The enrolment code is shown once, on the answer to the form that made it: the server keeps only its hash.
Its QR holds this server's address and the code as digits alone (sync.protocol.enrolment_qr_text, QR's
numeric mode): a keyboard-wedge scanner types into whatever keyboard layout the terminal has active, and on
a Persian one its letters arrive as Persian letters that cannot be read back, while its digits arrive as
Persian digits, which can. Scanned into the terminal's first-run setup it fills in the address and the code
at once; `bashgah enroll --code` takes it as the code too. The page shows the code as text and the whole
command with this server's address beside it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import RedirectResponse, Response

from app.domain.errors import ClubError
from app.messages import message as club_message
from sync.protocol import UUID_PATTERN, WireStaff, enrolment_qr_text
from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.texts import error_text
from sync.server.backoffice.web import is_htmx, render
from sync.server.club import staff as staff_cases
from sync.server.club import terminals
from sync.server.club.access import Permission
from sync.server.errors import ApiError

router = APIRouter(prefix=PREFIX)
Reader = Annotated[Desk, Depends(Needs(Permission.READ))]
TerminalManager = Annotated[Desk, Depends(Needs(Permission.TERMINAL_MANAGE))]
StaffManager = Annotated[Desk, Depends(Needs(Permission.STAFF_MANAGE))]
Id = Annotated[str, Path(pattern=UUID_PATTERN)]
PAGE = f"{PREFIX}/terminals"


def _(text: str) -> str:
    """Marks a text for texts.FA (the scan of the pages for texts finds it); translated where shown."""
    return text


# what a finished action says, by the `done` of the redirect (never text from the request)
DONE = {
    "revoked": _("The terminal is revoked: the server refuses it from now on."),
    "added": _("Added. Terminals get the new member of staff at their next sync."),
    "role": _("Role changed. Terminals apply it at their next sync."),
    "pin": _("PIN changed. Each terminal uses it, and lifts any lockout, at its next sync."),
    "unlocked": _("Unlocked. Each terminal lifts the lockout at its next sync."),
    "disabled": _("Disabled. They can no longer log in once the terminals have synced."),
    "enabled": _("Enabled again. They can log in once the terminals have synced."),
}


def qr_data_uri(text: str) -> str:
    """The text as a QR code in a PNG, as a data: URI (the page's CSP allows `img-src data:`)."""
    import qrcode  # with Pillow behind it: only when a code is made
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=8)
    code.add_data(text)
    code.make(fit=True)
    png = io.BytesIO()
    code.make_image().save(png)
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def _refusal(desk: Desk, error: Exception) -> tuple[int, str]:
    if isinstance(error, ApiError):
        return error.status, error_text(error.code, desk.lang, error.message)
    assert isinstance(error, ClubError)
    return 422, club_message(error, desk.lang)


def _staff_groups(everyone: list[WireStaff], branches: list[Any]) -> list[dict[str, Any]]:
    """Staff by branch, in the branches' order; those of no branch (every branch) last."""
    groups = [{"branch": b, "people": [s for s in everyone if s.branch_id == b.id]} for b in branches]
    groups.append({"branch": None, "people": [s for s in everyone if s.branch_id is None]})
    return [g for g in groups if g["people"]]


def _values(desk: Desk, **extra: Any) -> dict[str, Any]:
    call = desk.call
    branches = terminals.branches(call)
    everyone = staff_cases.staff(call)
    return {
        "page": "terminals",
        "terminals": terminals.terminals(call),
        "branches": branches,
        "code_branches": [b for b in branches if desk.may(Permission.TERMINAL_MANAGE, b.id)],
        "staff_branches": [b for b in branches if desk.may(Permission.STAFF_MANAGE, b.id)],
        "club_wide_staff": desk.may(Permission.STAFF_MANAGE, None),
        "groups": _staff_groups(everyone, branches),
        "roles": [r for r in staff_cases.STAFF_ROLES if r != "admin" or desk.actor.role == "owner"],
        "default_ttl": terminals.DEFAULT_TTL_HOURS,
        "max_ttl": 24 * 30,
        "done": "",
        "done_where": "",
        "error": "",
        "error_for": "",
        "form": {},
    } | extra


def _page(desk: Desk, status: int = 200, *, fragment: bool = False, **extra: Any) -> Response:
    """The page; or, for an htmx form of the staff section, that section alone (a refusal is shown in it,
    and it is answered 200 so that htmx swaps it in)."""
    if fragment:
        return render(desk, "terminals/_staff.html", **_values(desk, **extra))
    return render(desk, "terminals/page.html", status=status, **_values(desk, **extra))


def _done(desk: Desk, done: str) -> Response:
    if is_htmx(desk):
        return _page(desk, fragment=True, done=desk.gettext(DONE[done]), done_where="staff")
    return RedirectResponse(f"{PAGE}?done={done}#{'terminals' if done == 'revoked' else 'staff'}", 303)


@router.get("/terminals")
def page(desk: Reader, done: str = "") -> Response:
    if done not in DONE:
        return _page(desk)
    where = "terminals" if done == "revoked" else "staff"
    return _page(desk, done=desk.gettext(DONE[done]), done_where=where)


@router.post("/terminals/codes")
def new_code(
    desk: TerminalManager,
    branch_id: Annotated[str, Form(max_length=36)] = "",
    ttl_hours: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    form = {"branch_id": branch_id, "ttl_hours": ttl_hours}
    try:
        hours = int(ttl_hours or terminals.DEFAULT_TTL_HOURS)
    except ValueError:
        hours = 0  # refused by the use case, with its message
    try:
        issued = terminals.new_enrolment_code(desk.call, branch_id, hours)
    except (ApiError, ClubError) as error:
        status, text = _refusal(desk, error)
        return _page(desk, status, error=text, error_for="code", form=form)
    server = str(desk.request.base_url).rstrip("/")
    qr = qr_data_uri(enrolment_qr_text(server, issued.code))
    return render(
        desk, "terminals/code.html", page="terminals", issued=issued, qr=qr, server=server,
        command=f"bashgah enroll --server {server} --code {issued.code}",
    )  # fmt: skip


@router.get("/terminals/{device_id}/revoke")
def confirm_revoke(device_id: Id, desk: TerminalManager) -> Response:
    found = terminals.terminal(desk.call, device_id)
    return render(desk, "terminals/revoke.html", page="terminals", terminal=found)


@router.post("/terminals/{device_id}/revoke")
def revoke(device_id: Id, desk: TerminalManager) -> Response:
    try:
        terminals.revoke_terminal(desk.call, device_id)
    except ApiError as error:
        status, text = _refusal(desk, error)
        return _page(desk, status, error=text, error_for="terminals")
    return _done(desk, "revoked")


@router.post("/staff")
def add_staff(
    desk: StaffManager,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    branch_id: Annotated[str, Form(max_length=36)] = "",
    pin: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        staff_cases.add_staff(desk.call, name, role, branch_id or None, pin)
    except (ApiError, ClubError) as error:
        status, text = _refusal(desk, error)
        form = {"name": name, "role": role, "branch_id": branch_id}  # never the PIN back
        return _page(desk, status, fragment=is_htmx(desk), error=text, error_for="add", form=form)
    return _done(desk, "added")


def _staff_action(desk: Desk, staff_id: str, done: str, act: Callable[[], object]) -> Response:
    try:
        act()
    except (ApiError, ClubError) as error:
        status, text = _refusal(desk, error)
        return _page(desk, status, fragment=is_htmx(desk), error=text, error_for=staff_id)
    return _done(desk, done)


@router.post("/staff/{staff_id}/role")
def set_role(staff_id: Id, desk: StaffManager, role: Annotated[str, Form(max_length=16)] = "") -> Response:
    return _staff_action(
        desk, staff_id, "role", lambda: staff_cases.set_staff_role(desk.call, staff_id, role)
    )


@router.post("/staff/{staff_id}/pin")
def reset_pin(staff_id: Id, desk: StaffManager, pin: Annotated[str, Form(max_length=40)] = "") -> Response:
    return _staff_action(desk, staff_id, "pin", lambda: staff_cases.reset_pin(desk.call, staff_id, pin))


@router.post("/staff/{staff_id}/unlock")
def unlock(staff_id: Id, desk: StaffManager) -> Response:
    return _staff_action(desk, staff_id, "unlocked", lambda: staff_cases.unlock_staff(desk.call, staff_id))


@router.post("/staff/{staff_id}/disable")
def disable(staff_id: Id, desk: StaffManager) -> Response:
    return _staff_action(desk, staff_id, "disabled", lambda: staff_cases.disable_staff(desk.call, staff_id))


@router.post("/staff/{staff_id}/enable")
def enable(staff_id: Id, desk: StaffManager) -> Response:
    return _staff_action(desk, staff_id, "enabled", lambda: staff_cases.enable_staff(desk.call, staff_id))
