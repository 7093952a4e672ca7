"""What the store tests share: a PostgreSQL server (the shared one, or a throwaway), a scratch
database a test, both stores for one test (`store_url`, `backend`) and a fake upstream a module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sekimori.store.backend import StoreBackend, open_backend
from sekimori.testing.postgres import postgres_for_tests, scratch_database
from sekimori.testing.procs import ProcessStartError, ServerProcess, start_fake_upstream

STORES = ("sqlite", "postgresql")


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


@contextmanager
def store_of(kind: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The store URL a test of `kind` runs on: None (SQLite in its data directory) or a scratch
    PostgreSQL database, dropped afterwards. For fixtures of any scope (`request` is theirs)."""
    if kind == "sqlite":
        yield None
        return
    with scratch_database(request.getfixturevalue("pg_admin")) as url:
        yield url


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Runs the test once on each store."""
    with store_of(request.param, request) as url:
        yield url


@pytest.fixture
def backend(store_url: str | None, tmp_path: Path) -> StoreBackend:
    return open_backend(store_url, tmp_path)


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerProcess]:
    with start_fake_upstream() as server:
        yield server
