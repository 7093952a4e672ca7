"""Where the watch keeps its sanctions, each backend alike: the strongest then the longest per
key, lapsing on time, lifted on demand (`store/sanctions.py`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sekimori.store.sanctions import RedisSanctionStore, SanctionRow, SanctionStore
from sekimori.store.sketches import WATCH_DB, SqliteSketchStore
from sekimori.testing.redis import forget_run_keys, redis_for_tests, unique_prefix
from sekimori.types import WatchAction


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_for_tests() as url:
        yield url
        forget_run_keys(url)


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SanctionStore]:
    """The watch's database (SQLite, PostgreSQL), and Redis beside the limits."""
    opened: SanctionStore
    if request.param == "sqlite":
        opened = SqliteSketchStore(tmp_path / WATCH_DB)
    elif request.param == "postgresql":
        from sekimori.store.postgres import PostgresSketchStore

        opened = PostgresSketchStore(request.getfixturevalue("pg_url"))
    else:
        opened = RedisSanctionStore(request.getfixturevalue("redis_url"), unique_prefix(), 1.0)
    yield opened
    opened.close()


def _row(key: str, action: WatchAction, since: float, for_s: float) -> SanctionRow:
    return SanctionRow(key, "acme", action, since, since + for_s, "distillation", "d", "蒸留", {})


def test_a_store_keeps_the_strongest_then_longest_and_lifts(store: SanctionStore) -> None:
    now = time.time()
    assert store.impose(_row("k1", WatchAction.THROTTLE, now, 60), now)
    assert store.impose(_row("k1", WatchAction.SUSPEND, now, 10), now)  # stronger
    assert not store.impose(_row("k1", WatchAction.HOLD, now, 600), now)  # weaker, longer
    assert store.impose(_row("k1", WatchAction.SUSPEND, now, 20), now)  # as strong, longer
    assert [(r.key_id, r.action, r.until) for r in store.active(now)] == [
        ("k1", "suspend", now + 20)
    ]
    # A lapsed sanction is not in force and gives way to any other.
    assert store.active(now + 21) == []
    assert store.impose(_row("k1", WatchAction.THROTTLE, now + 21, 5), now + 21)
    lifted = store.lift("k1", now + 22)
    assert lifted is not None and (lifted.action, lifted.reason_ja) == ("throttle", "蒸留")
    assert store.active(now + 22) == [] and store.lift("k1", now + 22) is None
    assert store.lift("never", now) is None
