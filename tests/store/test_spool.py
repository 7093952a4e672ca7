"""The audit spool in process: order kept across an outage, a torn last line, a damaged spool.

The store behind the spool is a real SQLite store that can be switched off (the AuditStore
protocol is ours); tests/store/test_gateway_postgres.py stops a real PostgreSQL instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from sekimori.audit.record import AuditQuery, AuditRecord, StoredRecord, VerifyReport
from sekimori.audit.spool import SpoolingAuditStore
from sekimori.audit.sqlite import SqliteAuditStore
from sekimori.errors import StoreError
from tests.store.test_postgres import record


class Switchable:
    def __init__(self, path: Path) -> None:
        self.inner = SqliteAuditStore(path)
        self.down = False

    def append(self, records: Sequence[AuditRecord]) -> None:
        if self.down:
            raise StoreError("store test: switched off")
        self.inner.append(records)

    def query(self, query: AuditQuery) -> list[StoredRecord]:
        return self.inner.query(query)

    def get(self, seq: int) -> StoredRecord | None:
        return self.inner.get(seq)

    def verify(self) -> VerifyReport:
        return self.inner.verify()

    def hash_at(self, seq: int) -> str | None:
        return self.inner.hash_at(seq)

    def close(self) -> None:
        self.inner.close()


def _ids(store: Switchable) -> list[str]:
    return [r.record.request_id for r in store.query(AuditQuery(limit=100))]


def test_records_keep_their_order_across_an_outage(tmp_path: Path) -> None:
    store = Switchable(tmp_path / "audit.db")
    spool = SpoolingAuditStore(store, tmp_path / "spool.jsonl")
    spool.append([record(1), record(2)])
    store.down = True
    spool.append([record(3)])
    spool.append([record(4, decision="block"), record(5)])
    assert spool.spooled == 3 and _ids(store) == ["r1", "r2"]
    store.down = False
    spool.append([record(6)])  # replays 3..5 first, then writes 6
    assert spool.spooled == 0 and _ids(store) == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert store.query(AuditQuery(decision="block"))[0].record == record(4, decision="block")
    report = spool.verify()
    assert report.ok and report.records == 6
    spool.close()


def test_a_spool_left_by_a_crash_is_replayed_at_start(tmp_path: Path) -> None:
    store = Switchable(tmp_path / "audit.db")
    store.down = True
    SpoolingAuditStore(store, tmp_path / "spool.jsonl").append([record(1), record(2)])
    with (tmp_path / "spool.jsonl").open("ab") as out:
        out.write(b'{"ts": 1.0, "request_id": "torn')  # a write cut short: never acknowledged
    store.down = False
    spool = SpoolingAuditStore(store, tmp_path / "spool.jsonl")
    assert _ids(store) == ["r1", "r2"] and spool.spooled == 0
    spool.close()


def test_a_damaged_spool_is_named_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    path.write_bytes(b"not json\n{}\n")
    with pytest.raises(StoreError, match=r"spool\.jsonl:1: not a record"):
        SpoolingAuditStore(Switchable(tmp_path / "audit.db"), path)
    assert path.read_bytes() == b"not json\n{}\n"


def test_when_the_spool_fails_too_the_write_fails(tmp_path: Path) -> None:
    store = Switchable(tmp_path / "audit.db")
    spool = SpoolingAuditStore(store, tmp_path / "no-such-dir" / "x" / "spool.jsonl")
    (tmp_path / "no-such-dir").write_text("a file, not a directory", encoding="utf-8")
    store.down = True
    with pytest.raises(StoreError, match="the store is down too"):
        spool.append([record(1, decision="block")])
