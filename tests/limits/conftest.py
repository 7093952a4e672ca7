"""A Redis for the limit tests (see sekimori.testing.redis) and a store factory per backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sekimori.testing.redis import forget_run_keys, redis_for_tests


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_for_tests() as url:
        yield url
        forget_run_keys(url)
