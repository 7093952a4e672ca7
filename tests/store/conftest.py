"""A PostgreSQL server for the store tests (shared, or a throwaway one) and a database a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sekimori.testing.postgres import postgres_for_tests, scratch_database
from sekimori.testing.procs import ProcessStartError


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[str]:
    try:
        with postgres_for_tests() as url:
            yield url
    except ProcessStartError as exc:
        pytest.skip(f"no PostgreSQL answers and none could be started: {exc}")


@pytest.fixture
def pg_url(pg_admin: str) -> Iterator[str]:
    with scratch_database(pg_admin) as url:
        yield url
