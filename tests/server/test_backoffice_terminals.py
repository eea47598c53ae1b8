# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's terminals and staff page (over HTTP): what terminals say of themselves, enrolment codes
as text and QR, revoking, and the terminals' staff per branch; who may do which, and at which branch."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from sync.protocol import enrolment_qr_text, parse_enrolment_qr
from sync.server.club import staff as staff_cases
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.enrolment import code_hash
from sync.server.models import AUDIT, CHANGE, DEVICE, ENROLLMENT_CODE, STAFF
from tests.server.club import BRANCH_1, BRANCH_2, T0, FakeClock, Terminal, enroll, pull_all
from tests.server.office import add_every_role, sign_in

PAGE = "/admin/terminals"
REPORT = {"X-Bashgah-Version": "0.1.0", "X-Bashgah-Backlog": "7"}


@pytest.fixture
def office(club_db: Database) -> Database:
    add_every_role(club_db)  # owner, manager, branchmanager (of THR, BRANCH_1), marketing, auditor
    return club_db


def _staff(db: Database, name: str, branch_id: str | None, role: str = "cashier") -> str:
    return staff_cases.add_staff(Call(db, T0, CONSOLE), name, role, branch_id, "1234").id


def _row(db: Database, staff_id: str) -> Any:
    with db.read() as conn:
        return conn.execute(select(STAFF).where(STAFF.c.id == staff_id)).one()


def _count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _last_audit(db: Database) -> Any:
    with db.read() as conn:
        return conn.execute(select(AUDIT).order_by(AUDIT.c.id.desc()).limit(1)).one()


def _post(client: TestClient, path: str, csrf: str, **data: str) -> Any:
    return client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


def _staff_changes(client: TestClient, terminal: Terminal, staff_id: str) -> list[dict[str, Any]]:
    return [
        c["staff"]
        for c in pull_all(client, terminal)
        if c["kind"] == "staff" and c["staff"]["id"] == staff_id
    ]


# ---- the page ------------------------------------------------------------------------------------------


def test_the_page_renders_in_persian_and_english(office: Database, client: TestClient, terminal: Terminal):
    _staff(office, "Sara", BRANCH_1)
    csrf = sign_in(client, "owner")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "پایانه‌ها و کارکنان" in page.text and terminal.device_code in page.text and "Sara" in page.text
    assert 'aria-current="page"' in page.text and "صندوقدار" in page.text
    client.post("/admin/lang", data={"lang": "en", "csrf_token": csrf})
    english = client.get(PAGE)
    assert "Terminals and staff" in english.text and "New enrolment code" in english.text
    assert "cashier" in english.text


def test_what_a_terminal_says_on_pull_is_on_the_page_and_the_dashboard(
    office: Database, client: TestClient, clock: FakeClock, terminal: Terminal
):
    sign_in(client, "owner")
    row = client.get(PAGE).text.split(f'data-testid="terminal-{terminal.device_code}"')[1].split("</tr>")[0]
    assert "گزارش نشده" in row  # nothing said yet
    pulled = client.get("/v1/sync/pull", headers=terminal.auth | REPORT)
    assert pulled.status_code == 200
    row = client.get(PAGE).text.split(f'data-testid="terminal-{terminal.device_code}"')[1].split("</tr>")[0]
    assert '<span dir="ltr">0.1.0</span>' in row and "۷" in row and "برخط" in row
    assert re.search(r'data-testid="backlog">۷<', client.get("/admin/").text)
    # malformed headers are ignored, never refused; what was said stands
    odd = {"X-Bashgah-Version": "<script>", "X-Bashgah-Backlog": "-3"}
    assert client.get("/v1/sync/pull", headers=terminal.auth | odd).status_code == 200
    clock.advance(10)  # a new report is written at once, within the minute
    client.post(
        "/v1/sync/push",
        json=terminal.push_body(),
        headers=terminal.auth | REPORT | {"X-Bashgah-Backlog": "0"},
    )
    with office.read() as conn:
        device = conn.execute(select(DEVICE).where(DEVICE.c.id == terminal.device_id)).one()
    assert (device.software_version, device.backlog, device.reported_at_us) == ("0.1.0", 0, clock.now)
    clock.advance(2 * 3600)
    client.post("/admin/lang", data={"lang": "en", "csrf_token": sign_in(client, "owner")})
    row = client.get(PAGE).text.split(f'data-testid="terminal-{terminal.device_code}"')[1].split("</tr>")[0]
    assert "lagging" in row and ">0<" in row


def test_a_pull_is_not_a_write_until_there_is_news(office: Database, client: TestClient, clock: FakeClock,
                                                   terminal: Terminal):  # fmt: skip
    client.get("/v1/sync/pull", headers=terminal.auth | REPORT)
    clock.advance(30)
    client.get("/v1/sync/pull", headers=terminal.auth | REPORT)  # the same, within the minute: not written
    with office.read() as conn:
        seen = conn.execute(select(DEVICE.c.last_seen_us).where(DEVICE.c.id == terminal.device_id)).scalar()
    assert seen == T0
    clock.advance(31)
    client.get("/v1/sync/pull", headers=terminal.auth)  # an older terminal, saying nothing: still seen
    with office.read() as conn:
        seen = conn.execute(select(DEVICE.c.last_seen_us).where(DEVICE.c.id == terminal.device_id)).scalar()
    assert seen == clock.now


# ---- enrolment codes -------------------------------------------------------------------------------------


def _qr_text_matrix(png_uri: str) -> list[list[bool]]:
    """The dark modules of the QR image (box 8, border 4), read back from its pixels."""
    assert png_uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(png_uri.split(",", 1)[1]))).convert("L")
    size = image.width // 8
    return [[image.getpixel((x * 8 + 4, y * 8 + 4)) < 128 for x in range(size)] for y in range(size)]


def test_a_new_code_is_shown_once_as_text_and_qr_and_enrols_a_terminal(office: Database, client: TestClient):
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    csrf = sign_in(client, "owner")
    answer = _post(client, f"{PAGE}/codes", csrf, branch_id=BRANCH_2, ttl_hours="2")
    assert answer.status_code == 200
    code = re.search(r'data-testid="enrolment-code">([0-9A-Z-]{14})<', answer.text).group(1)  # type: ignore[union-attr]
    assert f"--code {code}" in answer.text and "bashgah enroll --server http://testserver" in answer.text
    qr = re.search(r'<img src="(data:image/png;base64,[^"]+)"', answer.text).group(1)  # type: ignore[union-attr]
    expected = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    # the address and the code as digits: what a wedge scanner types intact on any keyboard layout
    expected.add_data(enrolment_qr_text("http://testserver", code))
    expected.make(fit=True)
    assert _qr_text_matrix(qr) == expected.get_matrix()
    assert parse_enrolment_qr(enrolment_qr_text("http://testserver", code)) == ("http://testserver", code)
    with office.read() as conn:
        stored = conn.execute(select(ENROLLMENT_CODE)).one()
        audit_rows = conn.execute(
            select(AUDIT.c.detail).where(AUDIT.c.action == "terminal.enrolment_code")
        ).all()
    assert stored.code_hash == code_hash(code) and stored.branch_id == BRANCH_2
    assert stored.expires_at_us == T0 + 2 * 3600 * 1_000_000
    assert code not in json.dumps([r.detail for r in audit_rows]) and '"ISF"' in audit_rows[0].detail
    enrolled = client.post("/v1/enroll", json={"code": code.lower(), "device_name": "till"})
    assert enrolled.status_code == 200 and enrolled.json()["device_code"] == "ISF-01"
    assert "ISF-01" in client.get(PAGE).text


def test_a_bad_ttl_is_shown_beside_the_form(office: Database, client: TestClient):
    csrf = sign_in(client, "owner")
    answer = _post(client, f"{PAGE}/codes", csrf, branch_id=BRANCH_1, ttl_hours="9999")
    assert answer.status_code == 422 and "۱ تا ۷۲۰ ساعت" in answer.text and 'value="9999"' in answer.text
    assert _count(office, ENROLLMENT_CODE) == 0


# ---- revoking ------------------------------------------------------------------------------------------


def test_revoking_asks_first_then_refuses_the_terminal(
    office: Database, client: TestClient, terminal: Terminal
):
    client.get("/v1/sync/pull", headers=terminal.auth | REPORT)
    csrf = sign_in(client, "manager")
    confirm = client.get(f"{PAGE}/{terminal.device_id}/revoke")
    assert confirm.status_code == 200 and terminal.device_code in confirm.text
    assert f'action="/admin/terminals/{terminal.device_id}/revoke"' in confirm.text and "۷" in confirm.text
    with office.read() as conn:
        assert (
            conn.execute(select(DEVICE.c.revoked_at_us).where(DEVICE.c.id == terminal.device_id)).scalar()
            is None
        )
    done = _post(client, f"{PAGE}/{terminal.device_id}/revoke", csrf)
    assert done.status_code == 303 and done.headers["location"].startswith(f"{PAGE}?done=revoked")
    assert "باطل شد" in client.get(done.headers["location"]).text
    assert client.get("/v1/sync/pull", headers=terminal.auth).status_code == 403
    audit = _last_audit(office)
    assert audit.action == "terminal.revoke" and audit.target == terminal.device_id
    assert json.loads(audit.detail)["before"]["revoked_at_us"] is None
    assert json.loads(audit.detail)["after"]["revoked_at_us"] == T0


def test_changes_are_posts(office: Database, client: TestClient, terminal: Terminal):
    sara = _staff(office, "Sara", BRANCH_1)
    sign_in(client, "owner")
    for path in (
        f"{PAGE}/codes",
        f"/admin/staff/{sara}/unlock",
        f"/admin/staff/{sara}/disable",
        "/admin/staff",
    ):
        assert client.get(path).status_code == 405, path


# ---- staff -----------------------------------------------------------------------------------------------


def test_staff_are_added_changed_unlocked_and_disabled_and_terminals_follow(
    office: Database, client: TestClient, clock: FakeClock, terminal: Terminal
):
    csrf = sign_in(client, "owner")
    added = _post(client, "/admin/staff", csrf, name="  Sara   Karimi ", role="cashier", branch_id=BRANCH_1,
                  pin="۱۲۳۴")  # fmt: skip
    assert added.status_code == 303 and added.headers["location"].endswith("?done=added#staff")
    with office.read() as conn:
        sara = conn.execute(select(STAFF).where(STAFF.c.name == "Sara Karimi")).one()
    assert (sara.role, sara.branch_id, sara.active) == ("cashier", BRANCH_1, True)
    assert PasswordHasher().verify(sara.pin_hash, "1234")
    audit = json.loads(_last_audit(office).detail)
    assert audit["after"]["name"] == "Sara Karimi" and "pin_hash" not in json.dumps(audit)
    [published] = _staff_changes(client, terminal, sara.id)
    assert "unlocked_at_us" not in published  # never unlocked: an older terminal reads it as before

    clock.advance(60)
    assert _post(client, f"/admin/staff/{sara.id}/role", csrf, role="manager").status_code == 303
    assert _row(office, sara.id).role == "manager"
    assert json.loads(_last_audit(office).detail)["before"]["role"] == "cashier"
    clock.advance(60)
    assert _post(client, f"/admin/staff/{sara.id}/unlock", csrf).status_code == 303
    assert _row(office, sara.id).unlocked_at_us == clock.now
    assert _staff_changes(client, terminal, sara.id)[-1]["unlocked_at_us"] == clock.now
    clock.advance(60)
    assert _post(client, f"/admin/staff/{sara.id}/pin", csrf, pin="98765").status_code == 303
    row = _row(office, sara.id)
    assert (
        PasswordHasher().verify(row.pin_hash, "98765") and row.unlocked_at_us == clock.now
    )  # a new PIN unlocks
    assert json.loads(_last_audit(office).detail)["pin_changed"] is True
    assert _post(client, f"/admin/staff/{sara.id}/disable", csrf).status_code == 303
    assert _row(office, sara.id).active is False
    assert _staff_changes(client, terminal, sara.id)[-1]["active"] is False
    assert _post(client, f"/admin/staff/{sara.id}/enable", csrf).status_code == 303
    assert _row(office, sara.id).active is True


def test_an_older_terminal_gets_staff_changes_without_the_unlock(office: Database, client: TestClient,
                                                                 terminal: Terminal):  # fmt: skip
    sara = _staff(office, "Sara", BRANCH_1)
    staff_cases.unlock_staff(Call(office, T0 + 5, CONSOLE), sara)
    old = client.get("/v1/sync/pull?since=0&set_aside=true", headers=terminal.auth).json()["changes"]
    assert [c["staff"] for c in old if c["kind"] == "staff"][-1] == {
        "id": sara, "name": "Sara", "role": "cashier", "branch_id": BRANCH_1,
        "pin_hash": _row(office, sara).pin_hash, "active": True,
    }  # fmt: skip
    assert _staff_changes(client, terminal, sara)[-1]["unlocked_at_us"] == T0 + 5


def test_a_refused_form_says_why_and_keeps_what_was_typed(office: Database, client: TestClient):
    csrf = sign_in(client, "owner")
    answer = _post(client, "/admin/staff", csrf, name="Reza", role="cashier", branch_id=BRANCH_1, pin="12ab")
    assert answer.status_code == 422 and "رمز باید ۴ تا ۱۲ رقم باشد." in answer.text
    assert 'value="Reza"' in answer.text and "12ab" not in answer.text
    assert _count(office, STAFF) == 0
    unknown = _post(client, f"/admin/staff/{'0' * 8}-0000-7000-8000-{'0' * 12}/unlock", csrf)
    assert unknown.status_code == 404 and "چنین کارمندی نیست." in unknown.text


def test_an_htmx_form_gets_the_staff_section_back(office: Database, client: TestClient):
    sara = _staff(office, "Sara", BRANCH_1)
    csrf = sign_in(client, "owner")
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
    answer = client.post(f"/admin/staff/{sara}/disable", headers=headers)
    assert answer.status_code == 200 and answer.text.startswith('<section id="staff"')
    assert "<html" not in answer.text and "غیرفعال شد" in answer.text and _row(office, sara).active is False
    refused = client.post(f"/admin/staff/{sara}/pin", data={"pin": "1"}, headers=headers)
    assert refused.status_code == 200 and refused.text.startswith('<section id="staff"')
    assert "رمز باید ۴ تا ۱۲ رقم باشد." in refused.text


def test_what_people_typed_is_shown_as_text(office: Database, client: TestClient):
    _staff(office, "<script>alert(1)</script>", BRANCH_1)
    enroll(office)  # a device named by its terminal
    with office.read() as conn:
        device_id = conn.execute(select(DEVICE.c.id)).scalar()
    office.write(lambda conn: conn.execute(DEVICE.update().values(name="<script>x()</script>")))
    sign_in(client, "owner")
    page = client.get(PAGE).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>x()</script>" not in page and "&lt;script&gt;x()&lt;/script&gt;" in page
    assert client.get(f"{PAGE}/{device_id}/revoke").status_code == 200


def test_a_post_without_the_csrf_token_changes_nothing(
    office: Database, client: TestClient, terminal: Terminal
):
    sara = _staff(office, "Sara", BRANCH_1)
    sign_in(client, "owner")
    codes = _count(office, ENROLLMENT_CODE)  # the terminal's, spent
    for path, data in (
        (f"{PAGE}/codes", {"branch_id": BRANCH_1}),
        (f"{PAGE}/{terminal.device_id}/revoke", {}),
        ("/admin/staff", {"name": "X", "role": "cashier", "branch_id": BRANCH_1, "pin": "1234"}),
        (f"/admin/staff/{sara}/disable", {}),
    ):
        assert client.post(path, data=data, follow_redirects=False).status_code == 403, path
    assert (
        _count(office, ENROLLMENT_CODE) == codes and _count(office, STAFF) == 1 and _row(office, sara).active
    )
    with office.read() as conn:
        assert (
            conn.execute(select(DEVICE.c.revoked_at_us).where(DEVICE.c.id == terminal.device_id)).scalar()
            is None
        )


# ---- who may ----------------------------------------------------------------------------------------------


def test_a_branch_manager_acts_at_their_branch_only(office: Database, client: TestClient):
    thr, isf, everywhere = (
        _staff(office, "Thr", BRANCH_1),
        _staff(office, "Isf", BRANCH_2),
        _staff(office, "All", None),
    )
    csrf = sign_in(client, "branchmanager")
    page = client.get(PAGE).text
    form = page.split('action="/admin/terminals/codes"')[1].split("</form>")[0]
    assert BRANCH_1 in form and BRANCH_2 not in form  # the code form offers THR only
    assert f"/admin/staff/{thr}/unlock" in page and f"/admin/staff/{isf}/unlock" not in page
    assert f"/admin/staff/{everywhere}/unlock" not in page

    with office.read() as conn:
        changes = conn.execute(select(func.count()).select_from(CHANGE)).scalar_one()
    refused = _post(client, f"{PAGE}/codes", csrf, branch_id=BRANCH_2, ttl_hours="24")
    assert refused.status_code == 403 and "نقش شما اجازه این کار را ندارد." in refused.text
    assert _count(office, ENROLLMENT_CODE) == 0
    before = {s: _row(office, s) for s in (isf, everywhere)}
    for target in (isf, everywhere):
        for action, data in (("role", {"role": "manager"}), ("pin", {"pin": "5555"}), ("unlock", {}),
                             ("disable", {})):  # fmt: skip
            answer = _post(client, f"/admin/staff/{target}/{action}", csrf, **data)
            assert answer.status_code == 403, (target, action)
    moved = _post(client, "/admin/staff", csrf, name="Nima", role="cashier", branch_id=BRANCH_2, pin="1234")
    assert moved.status_code == 403
    assert {s: _row(office, s) for s in (isf, everywhere)} == before and _count(office, STAFF) == 3
    with office.read() as conn:
        assert (
            conn.execute(select(func.count()).select_from(CHANGE)).scalar_one() == changes
        )  # nothing published

    assert _post(client, f"{PAGE}/codes", csrf, branch_id=BRANCH_1, ttl_hours="24").status_code == 200
    assert _post(client, f"/admin/staff/{thr}/unlock", csrf).status_code == 303
    assert (
        _post(
            client, "/admin/staff", csrf, name="Nima", role="cashier", branch_id=BRANCH_1, pin="1234"
        ).status_code
        == 303
    )


def test_a_branch_manager_cannot_revoke_another_branchs_terminal(office: Database, client: TestClient):
    isf = enroll(office, "ISF")
    csrf = sign_in(client, "branchmanager")
    assert f"/admin/terminals/{isf.device_id}/revoke" not in client.get(PAGE).text
    assert _post(client, f"{PAGE}/{isf.device_id}/revoke", csrf).status_code == 403
    assert client.get("/v1/sync/pull", headers=isf.auth).status_code == 200


@pytest.mark.parametrize("name", ["auditor", "marketing"])
def test_readers_see_but_cannot_act(name: str, office: Database, client: TestClient, terminal: Terminal):
    sara = _staff(office, "Sara", BRANCH_1)
    csrf = sign_in(client, name)
    page = client.get(PAGE)
    assert page.status_code == 200 and terminal.device_code in page.text and "Sara" in page.text
    assert "/admin/terminals/codes" not in page.text and "/admin/staff" not in page.text
    assert "/revoke" not in page.text
    assert client.get(f"{PAGE}/{terminal.device_id}/revoke").status_code == 403
    audits, codes = _count(office, AUDIT), _count(office, ENROLLMENT_CODE)
    for path, data in (
        (f"{PAGE}/codes", {"branch_id": BRANCH_1}),
        (f"{PAGE}/{terminal.device_id}/revoke", {}),
        ("/admin/staff", {"name": "X", "role": "cashier", "branch_id": BRANCH_1, "pin": "1234"}),
        (f"/admin/staff/{sara}/unlock", {}),
        (f"/admin/staff/{sara}/disable", {}),
    ):
        assert _post(client, path, csrf, **data).status_code == 403, path
    assert _count(office, ENROLLMENT_CODE) == codes and _count(office, STAFF) == 1
    assert _count(office, AUDIT) == audits
    assert _row(office, sara).active and _row(office, sara).unlocked_at_us is None


def test_only_the_owner_manages_admin_staff(office: Database, client: TestClient):
    boss = _staff(office, "Boss", None, role="admin")
    csrf = sign_in(client, "manager")
    page = client.get(PAGE).text
    assert f"/admin/staff/{boss}/unlock" not in page and '<option value="admin"' not in page
    assert _post(client, f"/admin/staff/{boss}/unlock", csrf).status_code == 403
    assert (
        _post(client, "/admin/staff", csrf, name="Boss 2", role="admin", branch_id="", pin="1234").status_code
        == 403
    )
    owner = TestClient(client.app)
    csrf = sign_in(owner, "owner")
    assert _post(owner, f"/admin/staff/{boss}/unlock", csrf).status_code == 303
