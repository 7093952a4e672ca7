"""Versioned structured audit events and the query side, on both stores: version 2 records chain
and verify after version 1 ones, their new fields are hashed, and the reader filters by tenant,
key, decision, category and time, page by page."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sekimori.audit.record import (
    AUDIT_VERSION,
    AuditQuery,
    AuditRecord,
    AuditStore,
    StageDecision,
    StoredRecord,
    encode_scores,
    encode_stages,
    next_page,
)
from sekimori.audit.sqlite import SqliteAuditStore
from sekimori.store.postgres import PostgresAuditStore


def old(i: int, **changes: object) -> AuditRecord:
    """A record as written before versioned events."""
    base = AuditRecord(
        ts=1_700_000_000.0 + i,
        request_id=f"r{i}",
        tenant="acme",
        key_id="k1",
        model="m",
        upstream="u",
        status=200,
        decision="allow",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def event(i: int, **changes: object) -> AuditRecord:
    stages = [
        StageDecision("input", "flag", ("weapons.conventional",), {"weapons.conventional": 0.61}),
        StageDecision("output", "block", ("violence.extremism",), {"violence.extremism": 0.9}),
    ]
    record = dataclasses.replace(
        old(i),
        decision="block",
        categories="weapons.conventional,violence.extremism",
        client_request_id=f"c{i}",
        version=AUDIT_VERSION,
        stages=encode_stages(stages),
        blocked_at="output",
        held=True,
        scores=encode_scores(
            {"weapons.conventional": 0.61, "violence.extremism": 0.9, "noise": 0.001}
        ),
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditStore]:
    opened: AuditStore
    if request.param == "sqlite":
        opened = SqliteAuditStore(tmp_path / "audit.db")
    else:
        opened = PostgresAuditStore(request.getfixturevalue("pg_url"))
    yield opened
    opened.close()


def test_version_2_events_follow_version_1_records_and_read_back(store: AuditStore) -> None:
    store.append([old(1), old(2, client_request_id="theirs")])
    store.append([event(3), event(4, held=False, blocked_at=None, decision="allow")])
    report = store.verify()
    assert report.ok and report.records == 4, report.problems
    first, second, third = (store.get(n) for n in (1, 2, 3))
    assert first is not None and first.record == old(1) and first.record.version is None
    assert first.record.stage_decisions() == () and first.record.category_scores() == {}
    assert second is not None and second.record.client_request_id == "theirs"
    assert third is not None and third.record == event(3)
    assert third.record.held is True and third.record.blocked_at == "output"
    assert [s.stage for s in third.record.stage_decisions()] == ["input", "output"]
    assert third.record.stage_decisions()[1].scores == {"violence.extremism": 0.9}
    assert third.record.category_scores() == {
        "violence.extremism": 0.9,
        "weapons.conventional": 0.61,
    }
    assert store.get(99) is None


@pytest.mark.parametrize(
    ("column", "value"),
    [("stages", "[]"), ("blocked_at", "input"), ("scores", "{}"), ("version", None)],
)
def test_an_edited_event_field_is_detected(
    store: AuditStore, tmp_path: Path, column: str, value: object
) -> None:
    store.append([event(1), event(2)])
    if isinstance(store, SqliteAuditStore):
        with sqlite3.connect(tmp_path / "audit.db") as db:
            db.execute(f"UPDATE audit SET {column} = ? WHERE seq = 1", (value,))
    else:
        assert isinstance(store, PostgresAuditStore)
        with psycopg.connect(store._db.url, autocommit=True) as conn:
            conn.execute(f"UPDATE audit SET {column} = %s WHERE seq = 1".encode(), (value,))
    assert store.verify().problems == ("row 1: contents do not match its hash (edited)",)


def _seqs(rows: list[StoredRecord]) -> list[int]:
    return [r.seq for r in rows]


def test_the_reader_filters_and_pages(store: AuditStore) -> None:
    store.append(
        [
            event(1, key_id="k1", tenant="acme", categories="weapons.conventional"),
            event(2, key_id="k2", tenant="beta", categories="violence.extremism,pii"),
            old(3, key_id="k1", categories="weapons.conventional_x"),  # no prefix match
            event(4, key_id="k1", decision="flag", categories="violence.extremism"),
            old(5, key_id="k2", categories="a%b"),
            event(6, key_id="k1", categories=""),
        ]
    )
    assert _seqs(store.query(AuditQuery(key_id="k2"))) == [2, 5]
    assert _seqs(store.query(AuditQuery(category="weapons.conventional"))) == [1]
    assert _seqs(store.query(AuditQuery(category="violence.extremism"))) == [2, 4]
    assert _seqs(store.query(AuditQuery(category="pii"))) == [2]
    assert _seqs(store.query(AuditQuery(category="a%b"))) == [5]
    assert _seqs(store.query(AuditQuery(category="a_b"))) == []  # `_` is no wildcard
    both = AuditQuery(key_id="k1", decision="block", since=1_700_000_001.0)
    assert _seqs(store.query(both)) == [1, 6]
    # Pages of two, newest first, each answered oldest first; the last page says so.
    query: AuditQuery | None = AuditQuery(limit=2)
    pages = []
    while query is not None:
        rows = store.query(query)
        pages.append(_seqs(rows))
        query = next_page(query, rows)
    assert pages == [[5, 6], [3, 4], [1, 2], []]
    narrow = AuditQuery(limit=2, key_id="k1")
    rows = store.query(narrow)
    follow = next_page(narrow, rows)
    assert _seqs(rows) == [4, 6] and follow is not None
    assert _seqs(store.query(follow)) == [1, 3]


def test_an_older_sqlite_database_takes_version_2_events(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")
    store.append([old(1), old(2)])
    store.close()
    with sqlite3.connect(tmp_path / "audit.db") as db:  # the table as it was before events
        for column in ("version", "stages", "blocked_at", "held", "scores"):
            db.execute(f"ALTER TABLE audit DROP COLUMN {column}")
    store = SqliteAuditStore(tmp_path / "audit.db")
    store.append([event(3)])
    report = store.verify()
    assert report.ok and report.records == 3, report.problems
    assert _seqs(store.query(AuditQuery(key_id="k1", category="violence.extremism"))) == [3]
    store.close()
