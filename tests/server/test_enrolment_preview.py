# SPDX-License-Identifier: GPL-3.0-or-later
"""POST /v1/enroll/preview: whose code this is, before it is spent; used, expired and unknown told apart;
limited as /v1/enroll is."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sync.protocol import EnrollPreviewResponse
from sync.server.enrolment import HOUR_US
from tests.server.club import T0
from tests.server.test_enrolment import enroll, new_code, public_key

ATTACKER = ("203.0.113.9", 40000)
TOKEN = "t" * 43


def preview(client: TestClient, code: str, token: str | None = None):
    return client.post("/v1/enroll/preview", json={"code": code, "token": token})


def refusal(response) -> str:
    assert response.status_code == 401, response.text
    return str(response.json()["detail"]["code"])


def test_a_preview_names_the_club_and_branch_and_spends_nothing(client, club_db, admin, clock):
    code = new_code(client, admin, "ISF", ttl_hours=2)
    answers = [preview(client, code.lower().replace("-", " ")) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    shown = EnrollPreviewResponse.model_validate(answers[0].json())
    assert shown.branch_code == "ISF" and shown.branch_name_en and shown.branch_name_fa
    assert shown.club_name_fa and shown.club_name_en
    assert shown.expires_at_us == clock.now_us() + 2 * HOUR_US >= T0
    assert shown.server_time_us == clock.now_us() and not shown.spent_by_you
    assert enroll(client, code, public_key()).status_code == 200  # still unspent


def test_used_expired_and_unknown_codes_are_told_apart(client, club_db, admin, clock):
    used = new_code(client, admin)
    assert enroll(client, used).status_code == 200
    late = new_code(client, admin, ttl_hours=1)
    clock.advance(3601)
    assert refusal(preview(client, used)) == "enrollment_code_used"
    assert refusal(preview(client, late)) == "enrollment_code_expired"
    assert refusal(preview(client, "NOSU-CHCO-DE22")) == "invalid_enrollment_code"


def test_the_terminal_that_spent_a_code_may_preview_it_again(client, club_db, admin):
    """Its enrolment's answer was lost: the setup shows the branch again and finishes the same device."""
    code, key = new_code(client, admin), public_key()
    first = client.post("/v1/enroll", json={"code": code, "issuing_public_key": key, "token": TOKEN})
    assert first.status_code == 200
    assert EnrollPreviewResponse.model_validate(preview(client, code, TOKEN).json()).spent_by_you
    assert refusal(preview(client, code, "x" * 43)) == "enrollment_code_used"
    again = client.post("/v1/enroll", json={"code": code, "issuing_public_key": key, "token": TOKEN})
    assert again.json()["device_id"] == first.json()["device_id"]


def test_previews_are_limited_like_enrolments(client, club_db, admin):
    attacker = TestClient(client.app, client=ATTACKER)
    answers = [preview(attacker, "WRON-GCOD-E222") for _ in range(12)]
    assert [a.status_code for a in answers] == [401] * 10 + [429] * 2
    # the same allowance: enrolling from that address waits too
    assert attacker.post("/v1/enroll", json={"code": new_code(client, admin)}).status_code == 429
    assert preview(client, new_code(client, admin)).status_code == 200  # another address is not affected


def test_a_code_of_a_closed_branch_is_refused_as_enrolling_would_be(client, club_db, admin):
    from sqlalchemy import insert

    from sync.server.models import CLOSED_BRANCH
    from tests.server.club import BRANCH_1

    code = new_code(client, admin, "THR")
    club_db.write(
        lambda conn: conn.execute(
            insert(CLOSED_BRANCH).values(branch_id=BRANCH_1, closed_at_us=T0, closed_by="x")
        )
    )
    answer = preview(client, code)
    assert answer.status_code == 409 and answer.json()["detail"]["code"] == "branch_closed"
