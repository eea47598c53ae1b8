# SPDX-License-Identifier: GPL-3.0-or-later
"""The sync fault tests use the same real club server fixtures as tests/integration/sync, and one streaming
replica of the PostgreSQL cluster for the whole session (made on first use: ~2 s)."""

from collections.abc import Iterator

import pytest

from tests.integration.sync.conftest import club_server, server_template
from tests.support.postgres import (
    PostgresCluster,
    PostgresReplica,
    PostgresUnavailableError,
    replica_of,
    unavailable,
)

__all__ = ["club_server", "postgres_replica", "server_template"]


@pytest.fixture(scope="session")
def postgres_replica() -> Iterator[PostgresReplica]:
    cluster = PostgresCluster()
    try:
        cluster.ensure_running()
    except PostgresUnavailableError as error:
        unavailable(str(error))
    yield from replica_of(cluster)
