"""The watch's store, SQLite and PostgreSQL alike: sketches and alerts come back as written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sekimori.store.sketches import (
    AlertRow,
    SketchRow,
    SketchStore,
    SqliteSketchStore,
    all_sketches,
)

ALERT = AlertRow(
    ts=1.5,
    detector="extraction",
    unit="key:00ff",
    action="throttle",
    tenant="acme",
    key_id="k1",
    score=4.5,
    level=4.0,
    category=None,
    reason_en="five system-prompt requests",
    reason_ja="システムプロンプトの要求 5 件",
    features={"extraction_attempts": 5.0},
)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SketchStore]:
    if request.param == "sqlite":
        opened: SketchStore = SqliteSketchStore(tmp_path / "watch.db")
    else:
        from sekimori.store.postgres import PostgresSketchStore

        opened = PostgresSketchStore(request.getfixturevalue("pg_url"))
    yield opened
    opened.close()


def test_sketches_and_alerts_round_trip(store: SketchStore) -> None:
    rows = [SketchRow(f"r{i}", float(i), bytes([i]) * 93) for i in range(25)]
    store.append(rows[:20], [ALERT])
    store.append(rows[20:])
    back = list(all_sketches(store, batch=7))
    assert [(r.request_id, r.ts, r.data) for r in back] == [
        (r.request_id, r.ts, r.data) for r in rows
    ]
    assert [r.seq for r in back] == sorted(r.seq for r in back)
    (alert,) = store.alerts()
    assert alert.seq > 0 and alert == AlertRow(**{**_fields(ALERT), "seq": alert.seq})
    assert store.alerts(after_seq=alert.seq) == []


def _fields(row: AlertRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in AlertRow.__slots__}
