# SPDX-License-Identifier: GPL-3.0-or-later
"""Schemathesis against the server's own OpenAPI: whatever it is sent, it never answers with a 5xx.

Every operation gets generated requests, valid and invalid (schemathesis's positive and negative
modes), authenticated as an enrolled device (device endpoints) or an admin (the admin API), on SQLite
and on PostgreSQL. Successful answers must also match the response schema the API publishes.
"""

from __future__ import annotations

import contextlib

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sync.server.app import create_app
from tests.server.club import FakeClock, admin_token, enroll, member, member_item

EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def served(club_db):
    """The app on a club with one device and one member, and the tokens to call it with."""
    terminal = enroll(club_db)

    app = create_app(club_db, FakeClock())
    with TestClient(app) as client:
        m = member()
        client.post(
            "/v1/sync/push",
            json=terminal.push_body([terminal.entry(m.id)], [member_item(m)]),
            headers=terminal.auth,
        )
    return {"app": app, "device": terminal.token, "admin": admin_token(club_db)}


def _operations(app) -> list:
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in api.get_all_operations()]


def _fuzz(operation, mode: GenerationMode, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same cases every run: a failure is reproducible, not a flake
        database=None,
    )
    @given(case=operation.as_strategy(mode))
    def call(case) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

    call()


def test_no_request_makes_the_server_fail(served):
    """Every operation, valid and invalid input. The operations run one after another in this one test:
    the schema comes from a per-test app, which schemathesis's pytest parametrisation cannot build."""
    tried = []
    for operation in _operations(served["app"]):
        token = served["admin"] if operation.path.startswith("/v1/admin") else served["device"]
        _fuzz(operation, GenerationMode.POSITIVE, token)
        with contextlib.suppress(Unsatisfiable):  # an operation without input has nothing invalid to send
            _fuzz(operation, GenerationMode.NEGATIVE, token)
        tried.append(f"{operation.method.upper()} {operation.path}")
    assert len(tried) >= 25, tried


def test_the_openapi_document_names_every_protocol_endpoint(served):
    with TestClient(served["app"]) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/health",
        "/v1/enroll",
        "/v1/sync/push",
        "/v1/sync/pull",
        "/v1/grants",
        "/v1/spend",
        "/v1/photos/{sha256}/upload",
        "/v1/photos/{sha256}",
    } <= set(paths)
    assert any(p.startswith("/v1/admin/") for p in paths)
